import { selectBackend } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import optimizers from '@aya-fw/plugin-optimizers';
import peft, { runMoeToy, type MoeToyResult } from '@aya-fw/plugin-peft';

// The MoV paper's claims at toy scale (`aya-fw repro moe-toy`): five runs, about 6 minutes on
// the wasm backend with the native kernels. Scores are means over the runs: single runs of the
// small adapters vary by several points with the seed (and with the rounding of the kernels).
describe('MoV / MoLoRA reproduction on a generated multi-task instruction set', () => {
  let result: MoeToyResult;
  let leaked: number;
  const score = (id: string) => result.methods.find((m) => m.method === id)!;

  beforeAll(async () => {
    await selectBackend('wasm');
    const engine = await createTestEngine({ plugins: [optimizers, peft], backend: 'wasm' });
    const before = liveTensors();
    result = await runMoeToy(engine, 0);
    leaked = liveTensors() - before;
  }, 1_200_000);

  it('the base has the skills under its pre-training markers but not under the new instructions', () => {
    expect(result.seeds).toHaveLength(5);
    expect(result.base.pretrainFormat).toBeGreaterThan(0.95);
    expect(result.base.instructionFormat).toBeLessThan(0.6);
    expect(score('full').heldOut.overall).toBeGreaterThan(0.95);
  });

  it('MoV and MoLoRA train under 1% of the parameters and reach at least 90% of full fine-tuning', () => {
    for (const id of ['mov', 'molora']) {
      expect(score(id).share).toBeLessThan(0.01);
      expect(score(id).relativeToFull).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('each mixture beats a single adapter of its expert size: MoV beats IA3, MoLoRA beats LoRA of rank 1', () => {
    expect(score('mov').heldOut.overall).toBeGreaterThan(score('ia3').heldOut.overall + 0.01);
    expect(score('molora').heldOut.overall).toBeGreaterThan(score('lora-r1').heldOut.overall + 0.02);
  });

  it('a single LoRA with as many parameters as the MoLoRA mixture ties with it', () => {
    expect(score('lora-r6').trainable).toBe(score('molora').trainable);
    expect(Math.abs(score('molora').heldOut.overall - score('lora-r6').heldOut.overall)).toBeLessThan(0.03);
  });

  it('frees every tensor it made', () => {
    expect(leaked).toBe(0);
  });
});
