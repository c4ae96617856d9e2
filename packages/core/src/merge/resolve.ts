import type { Engine } from '../engine/engine';
import { fnv1a } from '../random/rng';
import { UsageError } from '../errors';
import type { MergeMethodDefinition, MergeParameterDef } from '../registry/contributions';
import { evaluateSetting, type ParameterSetting } from './parameters';

/** Parameter settings of a merge: method-level and per model (parallel to the models). */
export interface MergeSettings {
  readonly parameters?: Readonly<Record<string, ParameterSetting>>;
  /** The output slice's `parameters`, consulted before the global ones (mergekit's slice level). */
  readonly sliceParameters?: Readonly<Record<string, ParameterSetting>>;
  readonly modelParameters?: readonly (Readonly<Record<string, ParameterSetting>> | undefined)[];
  /** Which models are the base (it needs no per-model parameters). */
  readonly isBase?: readonly boolean[];
  /** Names the models in errors (`models[1]`, a folder). */
  readonly modelLabels?: readonly string[];
}

/**
 * Rejects parameter names the method does not take, listing those it does; a name that another
 * registered method takes (`weight` in a slerp config) is returned instead, as mergekit ignores
 * those.
 */
export function checkParameterNames(method: MergeMethodDefinition, settings: MergeSettings, where = 'merge config', knownElsewhere: ReadonlySet<string> = new Set()): string[] {
  const known = (defs: readonly MergeParameterDef[]) => defs.map((d) => d.name);
  const ignored: string[] = [];
  const check = (names: string[], defs: readonly MergeParameterDef[], at: string) => {
    for (const n of names) {
      if (known(defs).includes(n)) continue;
      if (knownElsewhere.has(n)) {
        ignored.push(`${at}${n}`);
        continue;
      }
      const list = known(defs).join(', ') || 'none';
      throw new UsageError(`${where}: ${at}${n}: merge method '${method.id}' has no parameter '${n}' (its parameters: ${list})`);
    }
  };
  // A per-model parameter may also be given globally, as mergekit allows.
  check(Object.keys(settings.parameters ?? {}), [...method.parameters, ...method.tensorParameters], 'parameters.');
  check(Object.keys(settings.sliceParameters ?? {}), [...method.parameters, ...method.tensorParameters], 'slice parameters.');
  settings.modelParameters?.forEach((p, i) => check(Object.keys(p ?? {}), method.tensorParameters, `${settings.modelLabels?.[i] ?? `models[${i}]`}.parameters.`));
  return ignored;
}

/**
 * The parameters of one tensor at depth t: per-model values (evaluated on that model's tensor
 * name) fall back to the slice's, then the global setting, then the default, as mergekit's
 * `ConfigReader.parameter` does; a required value that is
 * missing is an error naming the model, parameter and tensor.
 */
export function resolveParameters(
  method: MergeMethodDefinition,
  settings: MergeSettings,
  modelCount: number,
  tensorName: string,
  t: number,
  where = 'merge config',
  modelTensorNames?: readonly string[],
): { parameters: Record<string, number | boolean>; modelParameters: Record<string, number | boolean>[] } {
  const value = (def: MergeParameterDef, own: Readonly<Record<string, ParameterSetting>> | undefined, required: boolean, label: string, name = tensorName) => {
    for (const source of [own, settings.sliceParameters, settings.parameters]) {
      if (source && def.name in source) {
        const v = evaluateSetting(source[def.name], name, t);
        if (v !== undefined) return v;
      }
    }
    if (def.default !== undefined) return def.default;
    if (required) throw new UsageError(`${where}: ${label}parameter '${def.name}' is required by merge method '${method.id}' (tensor ${tensorName})`);
    return undefined;
  };
  const parameters: Record<string, number | boolean> = {};
  for (const def of method.parameters) {
    const v = value(def, undefined, !def.optional, '');
    if (v !== undefined) parameters[def.name] = v;
  }
  const modelParameters = Array.from({ length: modelCount }, (_, i) => {
    const out: Record<string, number | boolean> = {};
    const isBase = settings.isBase?.[i] ?? false;
    for (const def of method.tensorParameters) {
      const v = value(def, settings.modelParameters?.[i], !isBase && !def.optional, `${settings.modelLabels?.[i] ?? `models[${i}]`}: `, modelTensorNames?.[i]);
      if (v !== undefined) out[def.name] = v;
    }
    return out;
  });
  return { parameters, modelParameters };
}

/** A 32-bit seed from the run seed and a tensor name (FNV-1a), so results do not depend on tensor order. */
export function tensorSeed(seed: number, name: string): number {
  return fnv1a(name, seed);
}

const parameterNames = new WeakMap<object, Set<string>>();

/**
 * Every parameter name some registered merge method takes: those are ignored, not refused, by
 * the others (as in mergekit). Computed once per registry: in-memory merges ask for every tensor.
 */
export function mergeParameterNames(engine: Engine): ReadonlySet<string> {
  const registry = engine.registries.mergeMethods;
  let names = parameterNames.get(registry);
  if (!names) {
    names = new Set(registry.list().flatMap((m) => [...m.parameters, ...m.tensorParameters].map((p) => p.name)));
    parameterNames.set(registry, names);
  }
  return names;
}
