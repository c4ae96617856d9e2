import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readConfigFile } from '../config/files';
import { parseWithSchema } from '../config/validate';
import type { Engine } from '../engine/engine';
import type { MergeInfo } from '../engine/hook-types';
import { AyaError, UsageError, errorMessage } from '../errors';
import { Checkpoint, writeCheckpoint } from '../hf/safetensors/checkpoint';
import { DTYPE_BYTES, fromFloat32Into, toFloat32Into, type Dtype } from '../hf/safetensors/dtype';
import { SAVE_DTYPES, SIDE_FILES, withDtype, type SaveDtype } from '../hf/models/save';
import { commitFolder, copyExisting } from '../fs/atomic';
import { BackgroundWriter } from '../fs/background-writer';
import type { TensorToWrite } from '../hf/safetensors/write';
import { MergeConfigSchema, type MergeConfig } from './config';
import { chooseChatTemplate, writeChatTemplate } from './chat-template';
import { LoraSource } from './lora-source';
import { permuteEmbeddings, planTokenizer, writeMergedTokenizer, type TokenizerPlan } from './tokenizer-merge';
import { planMerge, type MergeModel, type TensorPlan } from './plan';
import { mergeParameterNames, tensorSeed } from './resolve';
import type { MergeMethodDefinition } from '../registry/contributions';
import { linearCombinationBf16, mergeKernels, ScratchArena } from '../kernels/merge-kernels';

/** Options of {@link runMerge}. */
export interface RunMergeOptions {
  readonly outDir: string;
  /** Largest output shard in bytes (default 5 GB). */
  readonly maxShardSize?: number;
  /** Replace `outDir` if it exists (only after the new folder is complete). */
  readonly overwrite?: boolean;
  /** Told about what the merge ignores (parameters the method does not take), one line each. */
  readonly onWarning?: (message: string) => void;
  /**
   * Refuse, before anything is read, a merge whose output would have no tokenizer because no
   * input has one (the CLI and recipe stages do: such a folder cannot generate or train).
   * Default false: a weights-only merge.
   */
  readonly requireTokenizer?: boolean;
}

/** A merge config held in memory (a recipe stage's): its value, its name in errors, the folder its paths resolve from. */
export interface MergeSource {
  readonly value: unknown;
  readonly where: string;
  readonly baseDir: string;
  locate?(path: readonly PropertyKey[]): string | undefined;
}

/** What a merge did. */
export interface MergeSummary {
  readonly method: string;
  readonly outDir: string;
  /** Distinct input model folders (the base included). */
  readonly models: number;
  readonly tensors: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly seconds: number;
  /** Seed of the random methods, also in the output's safetensors metadata (`merge_random_seed`). */
  readonly seed: number;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AyaError(`${file}: ${errorMessage(err)}`);
  }
}

/**
 * Merges checkpoints as a mergekit YAML (a file, or a {@link MergeSource}) describes, streaming tensor by tensor: each output
 * tensor reads that tensor from every input, merges it in f32 through the `mergeTensor` hook
 * and writes it cast to the output dtype. Peak memory is about (inputs + 1) × the largest
 * tensor. Every check (names, shapes, architectures, parameters, headers) runs before anything
 * is written; the output folder appears only when complete.
 */
export async function runMerge(engine: Engine, from: string | MergeSource, options: RunMergeOptions): Promise<MergeSummary> {
  const started = Date.now();
  const source: MergeSource = typeof from === 'string' ? { ...readConfigFile(from), where: from, baseDir: dirname(resolve(from)) } : from;
  const configFile = source.where;
  const config: MergeConfig = parseWithSchema(MergeConfigSchema, source.value, configFile, { locate: source.locate });
  const at = (path: PropertyKey[]) => source.locate?.(path) ?? configFile;
  let method: MergeMethodDefinition;
  try {
    // mergekit writes snake_case (`dare_ties`); registry ids are kebab-case.
    method = engine.resolve('mergeMethods', config.merge_method.replace(/_/g, '-'));
  } catch (err) {
    throw new UsageError(`${at(['merge_method'])}: merge_method: ${errorMessage(err)}`);
  }
  if (method.requiresBase && !config.base_model) throw new UsageError(`${at(['merge_method'])}: merge method '${method.id}' needs base_model`);
  if (config.tokenizer !== undefined && config.tokenizer_source !== undefined) throw new UsageError(`${at(['tokenizer'])}: give tokenizer_source or a tokenizer: section, not both`);
  const { baseDir } = source;

  const opened = new Map<string, MergeModel>();
  try {
    const open = (ref: string, label: string): MergeModel => {
      const key = resolve(baseDir, ref);
      const known = opened.get(key);
      if (known) return known;
      // mergekit's `model+lora`: a LoRA folder folded into the model before the merge.
      const plus = ref.lastIndexOf('+');
      const withLora = !existsSync(key) && plus > 0;
      const dir = withLora ? resolve(baseDir, ref.slice(0, plus)) : key;
      if (!existsSync(join(dir, 'config.json'))) throw new UsageError(`${label}: ${dir} has no config.json`);
      const config = readJson(join(dir, 'config.json'));
      const checkpoint = Checkpoint.open(dir);
      let lora: LoraSource | undefined;
      try {
        lora = withLora ? LoraSource.open(resolve(baseDir, ref.slice(plus + 1)), checkpoint, label) : undefined;
      } catch (err) {
        checkpoint.close();
        throw err;
      }
      const model: MergeModel = { label, dir, config, checkpoint, lora };
      opened.set(key, model);
      return model;
    };
    // mergekit's tokenizer merge: with a tokenizer source, every model's embeddings are permuted to the output vocabulary.
    const tokenizerRef = config.tokenizer?.source ?? config.tokenizer_source;
    const refDir = (ref: string) => opened.get(resolve(baseDir, ref))?.dir ?? resolve(baseDir, ref);
    let tokenizerPlan: TokenizerPlan | undefined;
    const embeddingRows =
      tokenizerRef === undefined
        ? undefined
        : () => {
            // The planner opens the base first (else the first model): mergekit's tokenizer base.
            const models = [...opened.values()];
            tokenizerPlan ??= planTokenizer(
              tokenizerRef,
              models.map((m) => ({ dir: m.dir, label: m.label, vocabSize: typeof m.config.vocab_size === 'number' ? m.config.vocab_size : Infinity })),
              models[0].dir,
              refDir,
              config.tokenizer ?? {},
            );
            return tokenizerPlan.rows;
          };
    const plan = planMerge(config, method, open, configFile, mergeParameterNames(engine), embeddingRows);
    embeddingRows?.();
    for (const w of tokenizerPlan?.warnings ?? []) options.onWarning?.(w);
    for (const p of plan.ignored) options.onWarning?.(`${configFile}: ${p}: merge method '${method.id}' takes no such parameter; ignored (as mergekit does)`);
    const tokenizerDir = tokenizerPlan?.dir ?? plainTokenizerDir(config.base_model ? resolve(baseDir, config.base_model) : plan.reference.dir, [...opened.values()], configFile, options);
    const chatTemplate = config.chat_template === undefined ? undefined : chooseChatTemplate(config.chat_template, [...opened.values()].map((m) => m.dir), at(['chat_template']));

    const dtypeFor = (p: TensorPlan): Dtype =>
      config.out_dtype ? SAVE_DTYPES[config.out_dtype] : config.dtype ? SAVE_DTYPES[config.dtype] : p.inputs[0].model.checkpoint.info(p.inputs[0].name).dtype;
    const readersOf = (p: TensorPlan) => (p.base ? [...p.inputs, p.base] : p.inputs);
    const inputBytes = plan.tensors.reduce((n, p) => n + readersOf(p).reduce((m, r) => m + byteLength(r.model.checkpoint, r.name), 0), 0);
    const inputElements = plan.tensors.reduce((n, p) => n + readersOf(p).length * numel(p.shape), 0);
    const modelDirs = [...new Set(plan.tensors.flatMap((p) => p.inputs.map((i) => i.model.dir)))];
    const baseDirPath = config.base_model ? resolve(baseDir, config.base_model) : undefined;
    const info: MergeInfo = { method: method.id, models: modelDirs, base: baseDirPath, outDir: options.outDir, tensorCount: plan.tensors.length, inputBytes, inputElements };
    if (existsSync(options.outDir) && !options.overwrite) throw new UsageError(`${options.outDir} already exists; choose another output folder`);

    await engine.hooks.beforeMerge.promise(info);
    const tmp = join(dirname(resolve(options.outDir)), `.${basename(options.outDir)}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    let outputBytes = 0;
    const seed = config.random_seed ?? 0;
    try {
      const arena = new ScratchArena();
      // Plugins that tap `mergeTensor` see every tensor; only the built-in dispatch may be bypassed.
      const onlyBuiltInMerge = engine.hooks.mergeTensor.taps.length === 1 && mergeKernels() !== null;
      const tensors: TensorToWrite[] = plan.tensors.map((p) => {
        const { shape } = p;
        const dtype = dtypeFor(p);
        const total = numel(shape);
        const readers = readersOf(p);
        const adapted = readers.map((r) => r.model.lora?.touches(r.name) ?? false);
        // A LoRA update is computed for the whole tensor, so such tensors are merged whole.
        const slice = method.elementwise && !adapted.includes(true) && !p.permuted ? MERGE_SLICE : Math.max(total, 1);
        const inDtypes = readers.map((r) => r.model.checkpoint.info(r.name).dtype);
        const models = p.inputs;
        const coefficients = onlyBuiltInMerge && !adapted.includes(true) && !p.permuted && dtype === 'BF16' && inDtypes.slice(0, models.length).every((d) => d === 'BF16') ? method.linearCoefficients?.(p) : undefined;
        const merged = { method: method.id, name: p.name, shape, bytesRead: readers.reduce((n, r) => n + byteLength(r.model.checkpoint, r.name), 0) };
        function* slices(): Generator<Uint8Array> {
          for (let start = 0; start < total; start += slice) {
            const count = Math.min(slice, total - start);
            // Fresh large allocations cost page faults on every slice; one reused layout does not.
            if (coefficients) {
              // A weighted sum of bf16 checkpoints: one fused pass per input, no widened copies.
              const views = arena.layout([...models.map(() => count * 2), count * 4, count * 2]);
              const raws = models.map((r, i) => r.model.checkpoint.readInto(r.name, views[i], start));
              const acc = new Float32Array(views[models.length].buffer, views[models.length].byteOffset, count);
              if (!linearCombinationBf16(coefficients, raws, acc, views[models.length + 1])) throw new AyaError(`merge kernels refused tensor '${p.name}'`);
              outputBytes += views[models.length + 1].byteLength;
              yield views[models.length + 1];
              continue;
            }
            const views = arena.layout([
              ...inDtypes.map((d) => count * DTYPE_BYTES[d]),
              ...inDtypes.map(() => count * 4),
              count * 4,
              count * DTYPE_BYTES[dtype],
            ]);
            const floats = (v: Uint8Array) => new Float32Array(v.buffer, v.byteOffset, count);
            let values = readers.map((r, i) => {
              if (p.permuted) return readWhole(r.model, r.name, inDtypes[i]);
              const raw = r.model.checkpoint.readInto(r.name, views[i], start);
              const values = toFloat32Into(inDtypes[i], raw, floats(views[readers.length + i]), r.name);
              if (adapted[i]) r.model.lora!.apply(r.name, shape, values);
              return values;
            });
            if (p.permuted) values = permuteEmbeddings(tokenizerPlan!, readers.map((r) => r.model.dir), values, shape[1], refDir, p.name);
            const out = engine.mergeTensor({
              method: method.id,
              name: p.name,
              shape,
              tensors: values.slice(0, models.length),
              base: p.base ? values[models.length] : p.baseIndex !== undefined ? values[p.baseIndex] : undefined,
              baseIndex: p.baseIndex,
              parameters: p.parameters,
              modelParameters: p.modelParameters,
              seed: tensorSeed(seed, p.name),
              offset: start,
              out: floats(views[2 * readers.length]),
            });
            const bytes = fromFloat32Into(dtype, out, views[2 * readers.length + 1], p.name);
            outputBytes += bytes.byteLength;
            yield bytes;
          }
        }
        return {
          name: p.name,
          dtype,
          shape,
          *bytes() {
            yield* slices();
            engine.hooks.tensorMerged.call(merged);
          },
        };
      });
      // Output pages are written on a worker thread while this one reads and merges the next slice.
      const writer = new BackgroundWriter();
      try {
        const metadata = { format: 'pt', merge_method: method.id, merge_random_seed: String(seed) };
        writeCheckpoint(tmp, tensors, { maxShardSize: options.maxShardSize, metadata, sink: writer });
      } finally {
        writer.dispose();
      }
      writeSideFiles(tmp, plan.outConfig, config, tokenizerDir, chatTemplate);
      if (tokenizerPlan) writeMergedTokenizer(tmp, tokenizerPlan);
      commitFolder(tmp, options.outDir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    await engine.hooks.afterMerge.promise(info);
    return { method: method.id, outDir: options.outDir, models: opened.size, tensors: plan.tensors.length, inputBytes, outputBytes, seconds: (Date.now() - started) / 1000, seed };
  } finally {
    for (const m of opened.values()) {
      m.checkpoint.close();
      m.lora?.close();
    }
  }
}

/** Values merged at once by elementwise methods: bounds memory whatever the tensor size. */
export const MERGE_SLICE = 1 << 22;

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function byteLength(checkpoint: Checkpoint, name: string): number {
  const info = checkpoint.info(name);
  return info.end - info.begin;
}

/** A whole input tensor in f32, with its model's LoRA applied (embeddings before their permutation). */
function readWhole(model: MergeModel, name: string, dtype: Dtype): Float32Array {
  const info = model.checkpoint.info(name);
  const values = new Float32Array(numel(info.shape));
  toFloat32Into(dtype, model.checkpoint.readBytes(name), values, name);
  if (model.lora?.touches(name)) model.lora.apply(name, info.shape, values);
  return values;
}

/**
 * The folder whose tokenizer a merge without a tokenizer source copies: the base's (else the
 * reference model's); when it has none, the first input that has one, with a warning; when no
 * input has one, `preferred` (weights only), or a refusal with `requireTokenizer`.
 */
function plainTokenizerDir(preferred: string, models: readonly MergeModel[], configFile: string, options: RunMergeOptions): string {
  if (hasTokenizer(preferred)) return preferred;
  const donor = models.find((m) => hasTokenizer(m.dir));
  if (donor) {
    options.onWarning?.(`${configFile}: ${preferred} has no tokenizer.json; the merged model gets ${donor.label}'s (${donor.dir})`);
    return donor.dir;
  }
  if (options.requireTokenizer) {
    throw new UsageError(`${configFile}: no input model has a tokenizer.json, so the merged folder could not generate or train; copy the base model's tokenizer files into ${preferred}, or pass --no-tokenizer for a weights-only merge`);
  }
  return preferred;
}

function hasTokenizer(dir: string): boolean {
  return existsSync(join(dir, 'tokenizer.json'));
}

/** config.json (with the output dtype and layer count), tokenizer files, generation config and the chat template. */
function writeSideFiles(tmp: string, outConfig: Record<string, unknown>, config: MergeConfig, tokenizerDir: string, chatTemplate: string | undefined): void {
  const outDtype: SaveDtype | undefined = config.out_dtype ?? config.dtype;
  const cfg = outDtype ? withDtype(outConfig, outDtype) : outConfig;
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  copyExisting(tokenizerDir, tmp, SIDE_FILES);
  if (chatTemplate !== undefined) writeChatTemplate(tmp, chatTemplate);
}
