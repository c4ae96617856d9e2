import { fnv1a } from '../random/rng';
import { UsageError } from '../errors';
import type { MergeMethodDefinition, MergeParameterDef } from '../registry/contributions';
import { evaluateSetting, type ParameterSetting } from './parameters';

/** Parameter settings of a merge: method-level and per model (parallel to the models). */
export interface MergeSettings {
  readonly parameters?: Readonly<Record<string, ParameterSetting>>;
  readonly modelParameters?: readonly (Readonly<Record<string, ParameterSetting>> | undefined)[];
  /** Which models are the base (it needs no per-model parameters). */
  readonly isBase?: readonly boolean[];
  /** Names the models in errors (`models[1]`, a folder). */
  readonly modelLabels?: readonly string[];
}

/** Rejects parameter names the method does not take, listing those it does. */
export function checkParameterNames(method: MergeMethodDefinition, settings: MergeSettings, where = 'merge config'): void {
  const known = (defs: readonly MergeParameterDef[]) => defs.map((d) => d.name);
  const check = (names: string[], defs: readonly MergeParameterDef[], at: string) => {
    for (const n of names) {
      if (!known(defs).includes(n)) {
        const list = known(defs).join(', ') || 'none';
        throw new UsageError(`${where}: ${at}${n}: merge method '${method.id}' has no parameter '${n}' (its parameters: ${list})`);
      }
    }
  };
  // A per-model parameter may also be given globally, as mergekit allows.
  check(Object.keys(settings.parameters ?? {}), [...method.parameters, ...method.tensorParameters], 'parameters.');
  settings.modelParameters?.forEach((p, i) => check(Object.keys(p ?? {}), method.tensorParameters, `models[${i}].parameters.`));
}

/**
 * The parameters of one tensor at depth t: per-model values fall back to the global setting,
 * then to the default, as mergekit's `ConfigReader.parameter` does; a required value that is
 * missing is an error naming the model, parameter and tensor.
 */
export function resolveParameters(
  method: MergeMethodDefinition,
  settings: MergeSettings,
  modelCount: number,
  tensorName: string,
  t: number,
  where = 'merge config',
): { parameters: Record<string, number | boolean>; modelParameters: Record<string, number | boolean>[] } {
  const global = settings.parameters ?? {};
  const value = (def: MergeParameterDef, own: Readonly<Record<string, ParameterSetting>> | undefined, required: boolean, label: string) => {
    for (const source of [own, global]) {
      if (source && def.name in source) {
        const v = evaluateSetting(source[def.name], tensorName, t);
        if (v !== undefined) return v;
      }
    }
    if (def.default !== undefined) return def.default;
    if (required) throw new UsageError(`${where}: ${label}parameter '${def.name}' is required by merge method '${method.id}' (tensor ${tensorName})`);
    return undefined;
  };
  const parameters: Record<string, number | boolean> = {};
  for (const def of method.parameters) {
    const v = value(def, undefined, true, '');
    if (v !== undefined) parameters[def.name] = v;
  }
  const modelParameters = Array.from({ length: modelCount }, (_, i) => {
    const out: Record<string, number | boolean> = {};
    const isBase = settings.isBase?.[i] ?? false;
    for (const def of method.tensorParameters) {
      const v = value(def, settings.modelParameters?.[i], !isBase, `${settings.modelLabels?.[i] ?? `models[${i}]`}: `);
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
