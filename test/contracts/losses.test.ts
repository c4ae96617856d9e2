import { tf, toPlugin, type LossDefinition, type PairwiseLogps } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import copg from '@aya-fw/plugin-copg';
import dpo from '@aya-fw/plugin-dpo';

// The docs' example plugin, loaded the way the CLI loads a CommonJS plugin.
const hinge = toPlugin(require('../../examples/custom-loss-plugin'), 'aya-fw-plugin-hinge');

/** Every pairwise loss shipped or shown in the docs, through the same contract. */
describe('pairwise loss contract', () => {
  let losses: LossDefinition[] = [];
  beforeAll(async () => {
    const engine = await createTestEngine({ plugins: [dpo, copg, hinge] });
    losses = engine.registries.losses.list().filter((l) => l.inputKind === 'pairwise');
  });

  it('covers every pairwise loss', () => {
    expect(losses.map((l) => l.id).sort()).toEqual(['copg', 'dpo', 'hinge', 'ipo']);
  });

  for (const reduction of ['sum', 'mean'] as const) {
    it(`each gives a finite loss and metrics, a gradient on the policy, none on the reference, and leaks nothing (${reduction})`, async () => {
      const engine = await createTestEngine({ plugins: [dpo, copg, hinge] });
      const ref = { referenceChosen: tf.tensor1d([-4, -6, -2]), referenceRejected: tf.tensor1d([-5, -3, -2.5]) };
      const extra = {
        chosenLengths: tf.tensor1d([4, 6, 2]),
        rejectedLengths: tf.tensor1d([5, 3, 3]),
        chosenRewards: tf.tensor1d([1, 0.5, 2]),
        rejectedRewards: tf.tensor1d([0, 1, -1]),
      };
      const pc = tf.variable(tf.tensor1d([-3.5, -6.5, -1]));
      const pr = tf.variable(tf.tensor1d([-5.5, -2, -3]));
      for (const loss of losses) {
        const config = loss.configSchema ? loss.configSchema.parse({ reduction }) : {};
        const before = liveTensors();
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => {
            const inputs: PairwiseLogps = { ...ref, ...extra, policyChosen: pc, policyRejected: pr };
            const out = engine.computeLoss({ loss: loss.id, inputs, config });
            for (const [name, m] of Object.entries(out.metrics ?? {})) {
              expect([loss.id, name, Number.isFinite(m.dataSync()[0])]).toEqual([loss.id, name, true]);
            }
            return out.loss;
          }, [pc, pr]);
          expect(value.rank).toBe(0);
          expect(Number.isFinite(value.dataSync()[0])).toBe(true);
          const g = [...grads[pc.name].dataSync(), ...grads[pr.name].dataSync()];
          expect([loss.id, g.every(Number.isFinite), g.some((x) => x !== 0)]).toEqual([loss.id, true, true]);
        });
        expect([loss.id, liveTensors()]).toEqual([loss.id, before]);
      }
    });
  }
});
