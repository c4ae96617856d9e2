import { z } from 'zod';
import { judgeContribution, judgeRef } from '../judges/open-judge';
import type { ContributionUse } from '../registry/contributions';

/**
 * One reward of a trainer's `rewards:` list, weighted (default 1):
 * - `{ function: <id>, config? }`: a reward function from the registry (a plugin's JS function);
 * - `{ model: DIR }`: a reward model (`*ForSequenceClassification`, one label) scoring prompt + completion
 *   as text, re-tokenized with its own tokenizer;
 * - `{ judge: <id or URL>, judgeConfig?, against: <column> }`: a pairwise judge comparing the completion with
 *   the row's `against` column: 1 if it wins, ½ for a tie, 0 if it loses (`null` without a verdict).
 */
export const RewardSpecSchema = z.union([
  z.object({ function: z.string(), config: z.record(z.string(), z.unknown()).default({}), weight: z.number().default(1), name: z.string().optional() }).strict(),
  z.object({ model: z.string(), weight: z.number().default(1), name: z.string().optional(), batchSize: z.number().int().positive().default(16) }).strict(),
  z.object({ judge: z.string(), judgeConfig: z.record(z.string(), z.unknown()).optional(), against: z.string(), weight: z.number().default(1), name: z.string().optional() }).strict(),
]);
export type RewardSpec = z.infer<typeof RewardSpecSchema>;

/** A non-empty list of rewards. */
export const RewardsSchema = z.array(RewardSpecSchema).min(1);

/** The name a reward's metrics are logged under (`rewards/<name>/mean`): its `name`, else its id or folder. */
export function rewardName(spec: RewardSpec): string {
  if (spec.name) return spec.name;
  if ('function' in spec) return spec.function;
  if ('judge' in spec) return `${judgeRef(spec.judge).id}-vs-${spec.against}`;
  return spec.model.split(/[\\/]/).filter(Boolean).pop() ?? spec.model;
}

/** The reward functions and judges a `rewards:` list names, for validation before a recipe runs. */
export function rewardContributions(specs: readonly RewardSpec[], path: readonly (string | number)[] = ['rewards']): ContributionUse[] {
  return specs.flatMap((spec, i): ContributionUse[] => {
    if ('function' in spec) return [{ kind: 'rewardFunctions', id: spec.function, idPath: [...path, i, 'function'], config: spec.config, configPath: [...path, i, 'config'] }];
    if ('judge' in spec) return [judgeContribution(spec.judge, spec.judgeConfig, [...path, i, 'judge'])];
    return [];
  });
}
