import { UsageError } from '../errors';
import type { Checkpoint } from '../hf/safetensors/checkpoint';
import type { MergeMethodDefinition } from '../registry/contributions';
import type { MergeConfig, OutputSlice } from './config';
import type { ParameterSetting } from './parameters';
import { splitLayerName } from './parameters';
import type { LoraSource } from './lora-source';
import { checkParameterNames, resolveParameters } from './resolve';

/** An input model folder, opened once however many slices use it. */
export interface MergeModel {
  readonly label: string;
  readonly dir: string;
  readonly checkpoint: Checkpoint;
  readonly config: Record<string, unknown>;
  /** A LoRA folded into this model's tensors as they are read (`model+lora`). */
  readonly lora?: LoraSource;
}

/** One tensor of one model. */
export interface TensorInput {
  readonly model: MergeModel;
  readonly name: string;
}

/** One output tensor: where its inputs come from and the parameters it merges with. */
export interface TensorPlan {
  readonly name: string;
  readonly shape: readonly number[];
  /** The slice's sources, in order (the merge request's `tensors`). */
  readonly inputs: readonly TensorInput[];
  /** The base's tensor, when the merge has a base model that is not among `inputs`. */
  readonly base?: TensorInput;
  /** Index of the base in `inputs`, when it is one of them. */
  readonly baseIndex?: number;
  readonly parameters: Record<string, number | boolean>;
  readonly modelParameters: Record<string, number | boolean>[];
  /** An embedding or LM head whose rows follow the output vocabulary (a tokenizer merge). */
  readonly permuted?: boolean;
}

/** What a merge writes: its tensors in order and the output config.json. */
export interface MergePlan {
  readonly tensors: readonly TensorPlan[];
  readonly reference: MergeModel;
  readonly outConfig: Record<string, unknown>;
  /** Parameters given that this method does not take (other methods' `weight`…), ignored as mergekit does. */
  readonly ignored: readonly string[];
}

interface Source {
  readonly model: MergeModel;
  readonly start: number;
  readonly end: number;
  readonly parameters?: Readonly<Record<string, ParameterSetting>>;
  readonly label: string;
}

interface Slice {
  readonly sources: readonly Source[];
  readonly base?: MergeModel;
  readonly parameters?: Readonly<Record<string, ParameterSetting>>;
  readonly label: string;
}

/** Keys of config.json that hold the layer count (Llama-style, GPT-2). */
const LAYER_KEYS = ['num_hidden_layers', 'n_layer', 'num_layers'] as const;

export function numLayersOf(config: Record<string, unknown>): number {
  for (const k of LAYER_KEYS) if (typeof config[k] === 'number') return config[k] as number;
  return 0;
}

/** Token embeddings and LM heads: [vocab, hidden] tensors whose rows are tokens. */
export function isEmbedding(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && /(?:^|\.)(?:embed_tokens|wte|lm_head|embed_out|word_embeddings)\.weight$/.test(name);
}

/** Embeddings (and GPT-2's position table) come before the layer stack; every other non-layer tensor after it. */
function isPreLayer(name: string): boolean {
  return /embed|wte|wpe/.test(name);
}

/**
 * Plans a merge as mergekit's planner does: a `models:` config is one slice over every layer
 * of every model; each slice's layers are merged layer by layer and renumbered after the
 * slices before it, with gradients over the slice's own depth (t = i/(L−1)); embeddings take
 * the first slice's sources, the final norm and LM head the last slice's, both at t = 0.
 * Every check (layer ranges, names, shapes, parameters) runs here, before anything is read.
 */
export function planMerge(
  config: MergeConfig,
  method: MergeMethodDefinition,
  open: (ref: string, label: string) => MergeModel,
  where: string,
  knownElsewhere: ReadonlySet<string>,
  /** Rows of the output embeddings when a tokenizer merge permutes them; called once every model is open. */
  embeddingRows?: () => number,
): MergePlan {
  if (Boolean(config.models) === Boolean(config.slices)) {
    throw new UsageError(`${where}: give exactly one of models: or slices: (${config.models ? 'both are' : 'neither is'} present)`);
  }
  const base = config.base_model ? open(config.base_model, `base_model (${config.base_model})`) : undefined;
  const slices: Slice[] = config.models
    ? [
        {
          label: 'models',
          base,
          sources: config.models.map((m, i) => {
            const label = `models[${i}] (${m.model})`;
            const model = open(m.model, label);
            return { model, start: 0, end: numLayersOf(model.config), parameters: m.parameters, label };
          }),
        },
      ]
    : config.slices!.map((s: OutputSlice, j) => ({
        label: `slices[${j}]`,
        base: s.base_model ? open(s.base_model, `slices[${j}].base_model (${s.base_model})`) : base,
        parameters: s.parameters,
        sources: s.sources.map((src, i) => {
          const label = `slices[${j}].sources[${i}] (${src.model})`;
          const model = open(src.model, label);
          const [start, end] = src.layer_range;
          const layers = numLayersOf(model.config);
          if (!(start < end && end <= layers)) throw new UsageError(`${where}: ${label}: layer_range [${start}, ${end}] is not inside the model's ${layers} layers`);
          return { model, start, end, parameters: src.parameters, label };
        }),
      }));

  const ignored = new Set<string>();
  for (const s of slices) {
    const lengths = s.sources.map((src) => src.end - src.start);
    const odd = lengths.findIndex((n) => n !== lengths[0]);
    if (odd >= 0) throw new UsageError(`${where}: ${s.sources[odd].label}: spans ${lengths[odd]} layers, ${s.sources[0].label} ${lengths[0]}; every source of a slice must span as many layers`);
    const baseIndex = s.base ? s.sources.findIndex((src) => src.model === s.base) : -1;
    if (config.slices && s.base && baseIndex < 0 && method.requiresBase) {
      throw new UsageError(`${where}: ${s.label}: base model ${s.base.label} must be one of the slice's sources for '${method.id}'`);
    }
    for (const n of checkParameterNames(method, settingsOf(s, baseIndex, config.parameters), where, knownElsewhere)) ignored.add(`${s.label === 'models' ? '' : `${s.label}.`}${n}`);
  }
  const reference = slices[0].base ?? slices[0].sources[0].model;
  for (const s of slices) for (const src of s.sources) checkArchitecture(reference, src.model, where);

  const tensors: TensorPlan[] = [];
  let vocabRows: number | undefined;
  const planTensor = (s: Slice, outName: string, inNames: readonly string[], t: number) => {
    const baseIndex = s.base ? s.sources.findIndex((src) => src.model === s.base) : -1;
    const inputs = s.sources.map((src, i) => ({ model: src.model, name: inNames[i] }));
    // In a models: config the base is gathered beside the models (mergekit adds it as a source).
    const baseInput = s.base && baseIndex < 0 && !config.slices ? { model: s.base, name: inNames[0] } : undefined;
    const all = baseInput ? [...inputs, baseInput] : inputs;
    let shape = shapeOf(inputs[0], where);
    // Embeddings and heads: the rows follow the output vocabulary (permuted) or, without a tokenizer
    // merge, mergekit's common submatrix of models with different vocabulary sizes.
    const embedding = isEmbedding(outName, shape);
    const permuted = embedding && embeddingRows !== undefined;
    if (embedding) {
      const rows = permuted ? embeddingRows!() : Math.min(...all.map((i) => shapeOf(i, where)[0]));
      shape = [rows, shape[1]];
      vocabRows = rows;
    }
    for (const input of all) {
      const own = shapeOf(input, where);
      const other = embedding ? [shape[0], own[1]] : own;
      if (other.length !== shape.length || other.some((d, i) => d !== shape[i])) {
        throw new UsageError(`${where}: ${input.model.label}: tensor '${input.name}' has shape [${other.join(', ')}], ${inputs[0].model.label} has [${shape.join(', ')}]`);
      }
    }
    const resolved = resolveParameters(method, settingsOf(s, baseIndex, config.parameters), inputs.length, outName, t, where, inNames);
    const problem = method.checkParameters?.({ ...resolved, name: outName, baseIndex: baseIndex >= 0 ? baseIndex : undefined });
    if (problem) throw new UsageError(`${where}: merge method '${method.id}', tensor ${outName}: ${problem}`);
    tensors.push({ name: outName, shape, inputs, base: baseInput, baseIndex: baseIndex >= 0 ? baseIndex : undefined, ...resolved, ...(permuted ? { permuted } : {}) });
  };

  const outside = reference.checkpoint.names().filter((n) => !splitLayerName(n));
  for (const name of outside.filter(isPreLayer)) planTensor(slices[0], name, slices[0].sources.map(() => name), 0);
  const layerTypes: unknown[] = [];
  let outLayer = 0;
  for (const s of slices) {
    const length = s.sources[0].end - s.sources[0].start;
    for (let offset = 0; offset < length; offset++) {
      const t = length > 1 ? offset / (length - 1) : 1;
      const lead = s.sources[0];
      const names = lead.model.checkpoint.names().map((n) => ({ n, parts: splitLayerName(n) })).filter((x) => x.parts?.layer === lead.start + offset);
      for (const { parts } of names) {
        const inNames = s.sources.map((src) => `${parts!.prefix}${src.start + offset}.${parts!.suffix}`);
        planTensor(s, `${parts!.prefix}${outLayer}.${parts!.suffix}`, inNames, t);
      }
      const types = lead.model.config.layer_types;
      if (Array.isArray(types)) layerTypes.push(types[lead.start + offset]);
      outLayer++;
    }
  }
  const last = slices[slices.length - 1];
  for (const name of outside.filter((n) => !isPreLayer(n))) planTensor(last, name, last.sources.map(() => name), 0);

  const outConfig: Record<string, unknown> = { ...reference.config };
  for (const k of LAYER_KEYS) if (typeof outConfig[k] === 'number') outConfig[k] = outLayer;
  if (Array.isArray(outConfig.layer_types)) outConfig.layer_types = layerTypes;
  if (vocabRows !== undefined && typeof outConfig.vocab_size === 'number') outConfig.vocab_size = vocabRows;
  return { tensors, reference, outConfig, ignored: [...ignored] };
}

function settingsOf(s: Slice, baseIndex: number, global: Readonly<Record<string, ParameterSetting>> | undefined) {
  return {
    parameters: global,
    sliceParameters: s.parameters,
    modelParameters: s.sources.map((src) => src.parameters),
    isBase: s.sources.map((_, i) => i === baseIndex),
    modelLabels: s.sources.map((src) => src.label),
  };
}

function shapeOf(input: TensorInput, where: string): readonly number[] {
  if (!input.model.checkpoint.has(input.name)) throw new UsageError(`${where}: ${input.model.label}: missing tensor '${input.name}'`);
  return input.model.checkpoint.info(input.name).shape;
}

function checkArchitecture(reference: MergeModel, model: MergeModel, where: string): void {
  const arch = (m: MergeModel) => `${String(m.config.model_type)} ${JSON.stringify(m.config.architectures ?? [])}`;
  if (arch(model) !== arch(reference)) throw new UsageError(`${where}: ${model.label}: architecture ${arch(model)} differs from ${reference.label}: ${arch(reference)}`);
}
