import type { Container, ServiceIdentifier } from 'inversify';
import { Tokens } from '../tokens';
import type {
  AdapterDefinition,
  Contribution,
  DatasetFormatDefinition,
  EvaluatorDefinition,
  JudgeDefinition,
  LossDefinition,
  MergeMethodDefinition,
  OptimizerDefinition,
  ReproductionDefinition,
  RewardFunctionDefinition,
  TrainerDefinition,
  TranslatorDefinition,
} from './contributions';
import { Registry } from './registry';

/** Every contribution point, by the key plugins use in `definePlugin({ contributes })`. */
export interface ContributionKinds {
  trainers: TrainerDefinition;
  losses: LossDefinition;
  optimizers: OptimizerDefinition;
  adapters: AdapterDefinition;
  mergeMethods: MergeMethodDefinition;
  datasetFormats: DatasetFormatDefinition;
  rewardFunctions: RewardFunctionDefinition;
  judges: JudgeDefinition;
  translators: TranslatorDefinition;
  evaluators: EvaluatorDefinition;
  reproductions: ReproductionDefinition;
}

/** The registries of a container, one per contribution point. */
export type Registries = { readonly [K in keyof ContributionKinds]: Registry<ContributionKinds[K]> };

/** Token, singular and plural human names of each contribution point. */
export const CONTRIBUTION_POINTS: {
  readonly [K in keyof ContributionKinds]: { token: ServiceIdentifier<ContributionKinds[K]>; kind: string; plural: string };
} =
  Object.freeze({
    trainers: { token: Tokens.Trainer, kind: 'trainer', plural: 'trainers' },
    losses: { token: Tokens.Loss, kind: 'loss', plural: 'losses' },
    optimizers: { token: Tokens.Optimizer, kind: 'optimizer', plural: 'optimizers' },
    adapters: { token: Tokens.Adapter, kind: 'adapter', plural: 'adapters' },
    mergeMethods: { token: Tokens.MergeMethod, kind: 'merge method', plural: 'merge methods' },
    datasetFormats: { token: Tokens.DatasetFormat, kind: 'dataset format', plural: 'dataset formats' },
    rewardFunctions: { token: Tokens.RewardFunction, kind: 'reward function', plural: 'reward functions' },
    judges: { token: Tokens.Judge, kind: 'judge', plural: 'judges' },
    translators: { token: Tokens.Translator, kind: 'translator', plural: 'translators' },
    evaluators: { token: Tokens.Evaluator, kind: 'evaluator', plural: 'evaluators' },
    reproductions: { token: Tokens.Reproduction, kind: 'reproduction', plural: 'reproductions' },
  });

/** Collects and validates every registry from the container's current bindings. */
export function collectRegistries(container: Container): Registries {
  const out: Partial<Record<keyof ContributionKinds, Registry<Contribution>>> = {};
  for (const key of Object.keys(CONTRIBUTION_POINTS) as (keyof ContributionKinds)[]) {
    const { token, kind } = CONTRIBUTION_POINTS[key];
    const items = container.getAll<Contribution>(token as ServiceIdentifier<Contribution>, { optional: true }) ?? [];
    out[key] = new Registry(kind, items);
  }
  return Object.freeze(out) as Registries;
}
