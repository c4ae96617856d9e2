import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initModel, parseModelConfig, runTrainingLoop, tf, TrainingConfigSchema, type TokenizedSequence } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import optimizers from '@aya-fw/plugin-optimizers';
import sft, { tokenLogps } from '@aya-fw/plugin-sft';

describe('the training loop', () => {
  it('keeps the tensor count flat across steps, with accumulation and clipping', async () => {
    const engine = await createTestEngine({ plugins: [optimizers, sft] });
    const ce = engine.prepareLoss('cross-entropy', {}, 'test');
    const model = initModel(parseModelConfig({ model_type: 'llama', vocab_size: 50, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 32 }), { seed: 3 });
    const items: TokenizedSequence[] = Array.from({ length: 24 }, (_, i) => ({ ids: [1, 2 + (i % 7), 3 + (i % 5), 4], lossMask: [0, 1, 1, 1] }));
    const counts: number[] = [];
    engine.hooks.step.tap('count', () => void counts.push(tf.memory().numTensors));
    const result = await runTrainingLoop({
      engine,
      stage: 'sft',
      outDir: mkdtempSync(join(tmpdir(), 'aya-loop-')),
      seed: 0,
      model,
      config: TrainingConfigSchema.parse({ maxSteps: 8, batchSize: 4, gradientAccumulation: 2, maxGradNorm: 0.5, optimizerConfig: { learningRate: 0.01 } }),
      items,
      loss: (batch) => ce.compute(tokenLogps(model, batch, 0)),
    });
    expect(result.steps).toBe(8);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(new Set(counts.slice(1)).size).toBe(1);
    model.dispose();
  });
});
