import { UsageError } from '../errors';
import type { Engine } from '../engine/engine';
import type { ParameterSetting } from './parameters';
import { tensorDepth } from './parameters';
import { checkParameterNames, mergeParameterNames, resolveParameters, tensorSeed } from './resolve';

/** A merge of tensors held in memory. */
export interface InMemoryMerge {
  /** Merge method id in the merge-method registry. */
  readonly method: string;
  /** Method-level parameters (`t`, `lambda`, `normalize`…): scalars, gradients or conditionals. */
  readonly parameters?: Readonly<Record<string, ParameterSetting>>;
  /** Per-model parameters, one entry per model. */
  readonly modelParameters?: readonly (Readonly<Record<string, ParameterSetting>> | undefined)[];
  /** Shorthand for `modelParameters[i].weight`; must have one entry per model. */
  readonly weights?: readonly number[];
  /** Index of the base model among the models, if it is one of them. */
  readonly baseIndex?: number;
  readonly seed?: number;
}

function settingsOf(spec: InMemoryMerge, count: number) {
  if (spec.weights && spec.weights.length !== count) {
    throw new UsageError(`merge '${spec.method}': ${spec.weights.length} weights for ${count} models; give one weight per model`);
  }
  if (spec.modelParameters && spec.modelParameters.length !== count) {
    throw new UsageError(`merge '${spec.method}': ${spec.modelParameters.length} modelParameters entries for ${count} models`);
  }
  const modelParameters = Array.from({ length: count }, (_, i) => ({
    ...(spec.modelParameters?.[i] ?? {}),
    ...(spec.weights ? { weight: spec.weights[i] } : {}),
  }));
  return { parameters: spec.parameters, modelParameters, isBase: modelParameters.map((_, i) => i === spec.baseIndex) };
}

/** Merges one tensor given in every model (and the base): the in-memory form of the merge stage. */
export function mergeTensors(
  engine: Engine,
  spec: InMemoryMerge,
  tensors: readonly Float32Array[],
  options: { base?: Float32Array; name?: string; shape?: readonly number[]; t?: number } = {},
): Float32Array {
  const method = engine.resolve('mergeMethods', spec.method);
  const settings = settingsOf(spec, tensors.length);
  checkParameterNames(method, settings, `merge '${spec.method}'`, mergeParameterNames(engine));
  const n = tensors[0]?.length ?? 0;
  if (tensors.some((x) => x.length !== n) || (options.base && options.base.length !== n)) {
    throw new UsageError(`merge '${spec.method}': tensors differ in size (${tensors.map((x) => x.length).join(', ')})`);
  }
  const base = options.base ?? (spec.baseIndex !== undefined ? tensors[spec.baseIndex] : undefined);
  if (method.requiresBase && !base) throw new UsageError(`merge method '${method.id}' needs a base model`);
  const name = options.name ?? 'tensor';
  const resolved = resolveParameters(method, settings, tensors.length, name, options.t ?? 0, `merge '${spec.method}'`);
  const shape = options.shape ?? [n];
  const problem = method.checkParameters?.({ ...resolved, name, baseIndex: spec.baseIndex });
  if (problem) throw new UsageError(`merge '${spec.method}', tensor ${name}: ${problem}`);
  const out = engine.mergeTensor({ method: method.id, name, shape, tensors, base, baseIndex: spec.baseIndex, seed: tensorSeed(spec.seed ?? 0, name), ...resolved });
  engine.hooks.tensorMerged.call({ method: method.id, name, shape, bytesRead: 4 * n * (tensors.length + (options.base ? 1 : 0)) });
  return out;
}

/**
 * Merges whole models held in memory (name → values), tensor by tensor, with gradient
 * parameters interpolated over `numLayers` as in a file merge. For merge-weight searches.
 */
export function mergeWeights(
  engine: Engine,
  spec: InMemoryMerge,
  models: readonly ReadonlyMap<string, Float32Array>[],
  options: { base?: ReadonlyMap<string, Float32Array>; numLayers: number },
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of models[0].keys()) {
    const tensors = models.map((m, i) => {
      const x = m.get(name);
      if (!x) throw new UsageError(`merge '${spec.method}': model ${i} has no tensor '${name}'`);
      return x;
    });
    out.set(name, mergeTensors(engine, spec, tensors, { base: options.base?.get(name), name, t: tensorDepth(name, options.numLayers).t }));
  }
  return out;
}
