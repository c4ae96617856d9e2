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
import { tensorDepth } from './parameters';
import { checkParameterNames, resolveParameters, tensorSeed } from './resolve';
import type { MergeMethodDefinition } from '../registry/contributions';
import { linearCombinationBf16, mergeKernels, ScratchArena } from '../kernels/merge-kernels';

/** Options of {@link runMerge}. */
export interface RunMergeOptions {
  readonly outDir: string;
  /** Largest output shard in bytes (default 5 GB). */
  readonly maxShardSize?: number;
  /** Replace `outDir` if it exists (only after the new folder is complete). */
  readonly overwrite?: boolean;
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
  readonly tensors: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly seconds: number;
}

interface Source {
  readonly label: string;
  readonly dir: string;
  readonly checkpoint: Checkpoint;
  readonly config: Record<string, unknown>;
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
  const { baseDir } = source;
  const modelDirs = config.models.map((m) => resolve(baseDir, m.model));
  const baseDirPath = config.base_model ? resolve(baseDir, config.base_model) : undefined;
  if (method.requiresBase && !baseDirPath) throw new UsageError(`${at(['merge_method'])}: merge method '${method.id}' needs base_model`);
  const baseIndex = baseDirPath ? modelDirs.indexOf(baseDirPath) : -1;
  const settings = {
    parameters: config.parameters,
    modelParameters: config.models.map((m) => m.parameters),
    isBase: modelDirs.map((d) => d === baseDirPath),
    modelLabels: config.models.map((m, i) => `models[${i}] (${m.model})`),
  };
  checkParameterNames(method, settings, configFile);

  const sources: Source[] = [];
  try {
    const open = (label: string, dir: string): Source => {
      if (!existsSync(join(dir, 'config.json'))) throw new UsageError(`${label}: ${dir} has no config.json`);
      return { label, dir, config: readJson(join(dir, 'config.json')), checkpoint: Checkpoint.open(dir) };
    };
    modelDirs.forEach((d, i) => sources.push(open(`models[${i}] (${config.models[i].model})`, d)));
    const base = baseDirPath ? (baseIndex >= 0 ? sources[baseIndex] : open(`base_model (${config.base_model})`, baseDirPath)) : undefined;
    if (base && baseIndex < 0) sources.push(base);
    const reference = base ?? sources[0];
    checkCompatible(reference, sources);
    const tokenizerDir = tokenizerSource(config, baseDir, (base ?? reference).dir, at(['tokenizer_source']));

    const names = reference.checkpoint.names();
    const numLayers = Number(reference.config.num_hidden_layers ?? reference.config.n_layer ?? 0);
    const dtypeFor = (name: string): Dtype =>
      config.out_dtype ? SAVE_DTYPES[config.out_dtype] : config.dtype ? SAVE_DTYPES[config.dtype] : reference.checkpoint.info(name).dtype;
    const plans = names.map((name) => {
      const { t } = tensorDepth(name, numLayers);
      return { name, ...resolveParameters(method, settings, modelDirs.length, name, t, configFile) };
    });
    const inputs = modelDirs.length + (base && baseIndex < 0 ? 1 : 0);
    const read = sources.slice(0, inputs);
    const inputBytes = names.reduce((n, name) => n + read.reduce((m, s) => m + byteLength(s.checkpoint, name), 0), 0);
    const inputElements = names.reduce((n, name) => n + read.length * numel(reference.checkpoint.info(name).shape), 0);
    const info: MergeInfo = { method: method.id, models: modelDirs, base: baseDirPath, outDir: options.outDir, tensorCount: names.length, inputBytes, inputElements };
    if (existsSync(options.outDir) && !options.overwrite) throw new UsageError(`${options.outDir} already exists; choose another output folder`);

    await engine.hooks.beforeMerge.promise(info);
    const tmp = join(dirname(resolve(options.outDir)), `.${basename(options.outDir)}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    let outputBytes = 0;
    try {
      const seed = config.random_seed ?? 0;
      const arena = new ScratchArena();
      const readers = [...modelDirs.map((_, i) => sources[i]), ...(base && baseIndex < 0 ? [base] : [])];
      // Plugins that tap `mergeTensor` see every tensor; only the built-in dispatch may be bypassed.
      const onlyBuiltInMerge = engine.hooks.mergeTensor.taps.length === 1 && mergeKernels() !== null;
      const tensors: TensorToWrite[] = plans.map((plan) => {
        const shape = reference.checkpoint.info(plan.name).shape;
        const dtype = dtypeFor(plan.name);
        const total = numel(shape);
        const slice = method.elementwise ? MERGE_SLICE : Math.max(total, 1);
        const inDtypes = readers.map((r) => r.checkpoint.info(plan.name).dtype);
        const models = readers.slice(0, modelDirs.length);
        const coefficients = onlyBuiltInMerge && dtype === 'BF16' && inDtypes.slice(0, models.length).every((d) => d === 'BF16') ? method.linearCoefficients?.(plan) : undefined;
        const merged = { method: method.id, name: plan.name, shape, bytesRead: readers.reduce((n, r) => n + byteLength(r.checkpoint, plan.name), 0) };
        function* slices(): Generator<Uint8Array> {
          for (let start = 0; start < total; start += slice) {
            const count = Math.min(slice, total - start);
            // Fresh large allocations cost page faults on every slice; one reused layout does not.
            if (coefficients) {
              // A weighted sum of bf16 checkpoints: one fused pass per input, no widened copies.
              const views = arena.layout([...models.map(() => count * 2), count * 4, count * 2]);
              const raws = models.map((r, i) => r.checkpoint.readInto(plan.name, views[i], start));
              const acc = new Float32Array(views[models.length].buffer, views[models.length].byteOffset, count);
              if (!linearCombinationBf16(coefficients, raws, acc, views[models.length + 1])) throw new AyaError(`merge kernels refused tensor '${plan.name}'`);
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
            const values = readers.map((r, i) => {
              const raw = r.checkpoint.readInto(plan.name, views[i], start);
              return toFloat32Into(inDtypes[i], raw, floats(views[readers.length + i]), plan.name);
            });
            const out = engine.mergeTensor({
              method: method.id,
              name: plan.name,
              shape,
              tensors: values.slice(0, modelDirs.length),
              base: base ? (baseIndex >= 0 ? values[baseIndex] : values[modelDirs.length]) : undefined,
              baseIndex: baseIndex >= 0 ? baseIndex : undefined,
              parameters: plan.parameters,
              modelParameters: plan.modelParameters,
              seed: tensorSeed(seed, plan.name),
              offset: start,
              out: floats(views[2 * readers.length]),
            });
            const bytes = fromFloat32Into(dtype, out, views[2 * readers.length + 1], plan.name);
            outputBytes += bytes.byteLength;
            yield bytes;
          }
        }
        return {
          name: plan.name,
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
        writeCheckpoint(tmp, tensors, { maxShardSize: options.maxShardSize, metadata: { format: 'pt' }, sink: writer });
      } finally {
        writer.dispose();
      }
      writeSideFiles(tmp, reference, config, tokenizerDir);
      commitFolder(tmp, options.outDir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    await engine.hooks.afterMerge.promise(info);
    return { method: method.id, outDir: options.outDir, tensors: names.length, inputBytes, outputBytes, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const s of sources) s.checkpoint.close();
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

/** Same architecture, same tensor names, same shapes: or an error naming the model and tensor. */
function checkCompatible(reference: Source, sources: readonly Source[]): void {
  const arch = (s: Source) => `${String(s.config.model_type)} ${JSON.stringify(s.config.architectures ?? [])}`;
  const names = new Set(reference.checkpoint.names());
  for (const s of sources) {
    if (s === reference) continue;
    if (arch(s) !== arch(reference)) throw new UsageError(`${s.label}: architecture ${arch(s)} differs from ${reference.label}: ${arch(reference)}`);
    for (const name of names) {
      if (!s.checkpoint.has(name)) throw new UsageError(`${s.label}: missing tensor '${name}' that ${reference.label} has`);
      const a = s.checkpoint.info(name).shape;
      const b = reference.checkpoint.info(name).shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
        throw new UsageError(`${s.label}: tensor '${name}' has shape [${a.join(', ')}], ${reference.label} has [${b.join(', ')}]`);
      }
    }
    const extra = s.checkpoint.names().find((n) => !names.has(n));
    if (extra) throw new UsageError(`${s.label}: tensor '${extra}' is not in ${reference.label}`);
  }
}

/** The folder whose tokenizer files the merged model gets: `base` (default) or a model folder. */
function tokenizerSource(config: MergeConfig, baseDir: string, baseModelDir: string, where: string): string {
  const src = config.tokenizer_source;
  if (src === undefined || src === 'base') return baseModelDir;
  if (src === 'union') throw new UsageError(`${where}: tokenizer_source: 'union' is not supported; use 'base' or a model folder`);
  const dir = resolve(baseDir, src);
  if (!existsSync(join(dir, 'tokenizer.json')) && !existsSync(join(dir, 'tokenizer_config.json'))) {
    throw new UsageError(`${where}: tokenizer_source: ${dir} has no tokenizer files`);
  }
  return dir;
}

/** config.json (with the output dtype), tokenizer files and generation config. */
function writeSideFiles(tmp: string, reference: Source, config: MergeConfig, tokenizerDir: string): void {
  const outDtype: SaveDtype | undefined = config.out_dtype ?? config.dtype;
  const cfg = outDtype ? withDtype(reference.config, outDtype) : reference.config;
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  copyExisting(tokenizerDir, tmp, SIDE_FILES);
}
