import type {
  AdapterDefinition,
  DatasetFormatDefinition,
  EvaluatorDefinition,
  JudgeDefinition,
  LossDefinition,
  MergeMethodDefinition,
  OptimizerDefinition,
  ReproductionDefinition,
  RewardFunctionDefinition,
  TranslatorDefinition,
  TrainerDefinition,
} from './registry/contributions';
import type { ServiceIdentifier } from 'inversify';

/**
 * Service identifiers of the container. Each is `Symbol.for('aya-fw:<Name>')`, so two
 * copies of `@aya-fw/core` agree on them; each contribution token names the interface
 * its bindings implement. A plugin binds any number of values to a contribution token;
 * the matching registry collects them (an unbound token is an empty registry).
 */
export const Tokens = Object.freeze({
  /** The {@link Engine} of this container. */
  Engine: Symbol.for('aya-fw:Engine'),
  /** The {@link Reporter} that receives progress and messages (silent by default). */
  Reporter: Symbol.for('aya-fw:Reporter'),
  /** {@link TrainerDefinition} contributions: the trainer registry. */
  Trainer: Symbol.for('aya-fw:Trainer') as ServiceIdentifier<TrainerDefinition>,
  /** {@link LossDefinition} contributions. */
  Loss: Symbol.for('aya-fw:Loss') as ServiceIdentifier<LossDefinition>,
  /** {@link OptimizerDefinition} contributions. */
  Optimizer: Symbol.for('aya-fw:Optimizer') as ServiceIdentifier<OptimizerDefinition>,
  /** {@link AdapterDefinition} contributions. */
  Adapter: Symbol.for('aya-fw:Adapter') as ServiceIdentifier<AdapterDefinition>,
  /** {@link MergeMethodDefinition} contributions. */
  MergeMethod: Symbol.for('aya-fw:MergeMethod') as ServiceIdentifier<MergeMethodDefinition>,
  /** {@link DatasetFormatDefinition} contributions. */
  DatasetFormat: Symbol.for('aya-fw:DatasetFormat') as ServiceIdentifier<DatasetFormatDefinition>,
  /** {@link RewardFunctionDefinition} contributions. */
  RewardFunction: Symbol.for('aya-fw:RewardFunction') as ServiceIdentifier<RewardFunctionDefinition>,
  /** {@link JudgeDefinition} contributions. */
  Judge: Symbol.for('aya-fw:Judge') as ServiceIdentifier<JudgeDefinition>,
  /** {@link TranslatorDefinition} contributions. */
  Translator: Symbol.for('aya-fw:Translator') as ServiceIdentifier<TranslatorDefinition>,
  /** {@link EvaluatorDefinition} contributions. */
  Evaluator: Symbol.for('aya-fw:Evaluator') as ServiceIdentifier<EvaluatorDefinition>,
  /** {@link ReproductionDefinition} contributions (`aya-fw repro <id>`). */
  Reproduction: Symbol.for('aya-fw:Reproduction') as ServiceIdentifier<ReproductionDefinition>,
});
