import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AyaOptimizer, initModel, parseModelConfig, restoreCheckpoint, saveCheckpoint, tf } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';

/** Heavy-ball momentum: one state slot per variable, enough to see whether state finds its variable. */
class Momentum extends AyaOptimizer {
  protected update(variable: tf.Variable, gradient: tf.Tensor): void {
    const m = this.slot(variable, 'momentum');
    m.assign(tf.add(tf.mul(m, 0.9), gradient));
    variable.assign(tf.sub(variable, tf.mul(m, this.learningRate)));
  }
}

const config = parseModelConfig(
  { architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 40, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32 },
  'config.json',
);

/** One update of every parameter with a gradient that differs per parameter. */
function step(model: ReturnType<typeof initModel>, optimizer: AyaOptimizer): void {
  const grads = Object.fromEntries([...model.namedParameters()].map(([, v], i) => [v.name, tf.fill(v.shape, 0.01 * (i + 1))]));
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
}

describe('checkpoints', () => {
  it('restore the optimizer state into a model loaded later in another order (tfjs variable names differ), so the next update is the same', async () => {
    const engine = await createTestEngine();
    const dir = mkdtempSync(join(tmpdir(), 'aya-ckpt-'));
    const a = initModel(config, { seed: 4 });
    const optA = new Momentum(0.1);
    step(a, optA);
    step(a, optA);
    await saveCheckpoint(engine, dir, a, optA, { step: 2, totalSteps: 3, seed: 0, loss: 0, stage: 'test' });
    const other = initModel(config, { seed: 5 }); // shifts the counter in tfjs names
    const b = initModel(config, { seed: 6 });
    expect([...b.namedParameters()][0][1].name).not.toBe([...a.namedParameters()][0][1].name);
    const optB = new Momentum(0.1);
    restoreCheckpoint(join(dir, 'checkpoints', 'step-000002'), b, optB);
    expect(optB.step).toBe(2);
    const slots = Object.keys(optB.stateTensors()).filter((k) => k !== '__step__');
    expect(slots.length).toBe([...b.namedParameters()].length);
    expect(slots.every((k) => k.startsWith(`${b.id}/`))).toBe(true);
    step(a, optA);
    step(b, optB);
    for (const [name, v] of a.namedParameters()) expect(Array.from(b.namedParameters().get(name)!.dataSync())).toEqual(Array.from(v.dataSync()));
    for (const m of [a, b, other]) m.dispose();
    optA.dispose();
    optB.dispose();
  });
});
