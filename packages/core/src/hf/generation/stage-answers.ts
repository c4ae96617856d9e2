import type { TrainerContext } from '../../registry/contributions';
import { resolveModelRef } from '../../training/inputs';
import { greedyTexts, openTextGenerator } from './text-generator';

/**
 * Greedy answers of the model `ref` (a folder, `stage:` output or remote model) to `prompts`,
 * with a progress bar: what the evaluation stages and the pair builders generate for a model.
 */
export async function stageAnswers(ctx: TrainerContext<{ batchSize: number; maxNewTokens: number }>, ref: string, prompts: readonly string[], label: string): Promise<string[]> {
  const generator = openTextGenerator(resolveModelRef(ctx, ref), { batchSize: ctx.config.batchSize });
  const task = ctx.reporter.progress(`${ctx.stage}: ${label} answers`, prompts.length);
  try {
    const out = await greedyTexts(generator, prompts, ctx.config.maxNewTokens, () => task.tick());
    task.done();
    return out;
  } finally {
    generator.dispose();
  }
}
