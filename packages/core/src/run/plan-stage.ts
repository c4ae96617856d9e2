import type { Engine } from '../engine/engine';
import { UsageError, errorMessage } from '../errors';
import type { ContributionUse, TrainerDefinition } from '../registry/contributions';
import { formatPath, type ParseOptions } from '../config/validate';

/** A stage ready to run: its trainer resolved, its options and every contribution they name validated. */
export interface PlannedStage {
  readonly name: string;
  readonly trainer: TrainerDefinition;
  readonly config: unknown;
  /** The stage's output folder. */
  readonly outDir: string;
}

/** What {@link planStage} needs to know about where the stage comes from. */
export interface PlanStageOptions {
  /** The file (or command) the options come from, for errors without a line. */
  readonly where: string;
  /** Path of the options inside that file (`['stages', 2, 'with']`) and a path → `file:line` map. */
  readonly prefix?: ParseOptions['prefix'];
  readonly locate?: ParseOptions['locate'];
  /** Names of the stages that run before this one (`stage:<name>` may name only them). */
  readonly earlier?: readonly string[];
  /** Where the trainer id stands (`recipe.yaml:3: stages[0].trainer`), for an unknown trainer. */
  readonly trainerAt?: string;
  readonly outDir: string;
}

/**
 * Resolves a stage's trainer, validates its options with the trainer's schema, then resolves and
 * validates every contribution the options name (`contributions()`: the loss and its
 * `lossConfig`, the optimizer, the adapter…), writing their parsed options back, and checks that
 * each `stage:<name>` reference names an earlier stage. Errors carry `file:line` and the field.
 */
export function planStage(engine: Engine, name: string, trainerId: string, raw: unknown, options: PlanStageOptions): PlannedStage {
  const prefix = options.prefix ?? [];
  const at = (path: readonly (string | number)[]) => options.locate?.([...prefix, ...path]) ?? options.where;
  let trainer: TrainerDefinition;
  try {
    trainer = engine.resolve('trainers', trainerId);
  } catch (err) {
    if (!options.trainerAt) throw err;
    throw new UsageError(`${options.trainerAt}: ${errorMessage(err)}`, { cause: err });
  }
  const config = engine.parseConfig(trainer, raw, options.where, { prefix, locate: options.locate }) as Record<string, unknown>;
  for (const use of trainer.contributions?.(config) ?? []) configureUse(engine, config, use, at, prefix, options.locate);
  if (options.earlier) checkStageReferences(config, options.earlier, name, (path) => `${at(path)}: ${formatPath([...prefix, ...path])}`);
  return { name, trainer, config, outDir: options.outDir };
}

function configureUse(
  engine: Engine,
  config: Record<string, unknown>,
  use: ContributionUse,
  at: (path: readonly (string | number)[]) => string,
  prefix: readonly PropertyKey[],
  locate: ParseOptions['locate'],
): void {
  let definition;
  try {
    definition = engine.resolve(use.kind, use.id);
  } catch (err) {
    throw new UsageError(`${at(use.idPath)}: ${formatPath([...prefix, ...use.idPath])}: ${errorMessage(err)}`, { cause: err });
  }
  const kind = (definition as { inputKind?: string }).inputKind;
  if (use.inputKind && kind !== use.inputKind) {
    throw new UsageError(`${at(use.idPath)}: ${formatPath([...prefix, ...use.idPath])}: loss '${use.id}' takes '${kind}' inputs; this trainer feeds '${use.inputKind}' ones`);
  }
  const path = use.configPath ?? use.idPath.slice(0, -1);
  const parsed = engine.parseConfig(definition as { id: string }, use.config, at(path), { prefix: [...prefix, ...path], locate });
  if (use.configPath) setAt(config, use.configPath, parsed);
}

function setAt(target: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}

/** Every string `stage:<name>[/artifact]` in the options must name an earlier stage. */
function checkStageReferences(value: unknown, earlier: readonly string[], stage: string, at: (path: readonly (string | number)[]) => string, path: (string | number)[] = []): void {
  if (typeof value === 'string' && value.startsWith('stage:')) {
    const ref = value.slice('stage:'.length).split('/')[0];
    if (!earlier.includes(ref)) {
      throw new UsageError(`${at(path)}: '${value}' names stage '${ref}', which does not run before '${stage}' (earlier: ${earlier.join(', ') || 'none'})`);
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => checkStageReferences(v, earlier, stage, at, [...path, i]));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkStageReferences(v, earlier, stage, at, [...path, k]);
}
