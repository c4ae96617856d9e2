import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { commitFolder, copyExisting } from '../../fs/atomic';
import { basename, dirname, join } from 'node:path';
import { AyaError } from '../../errors';
import { writeCheckpoint } from '../safetensors/checkpoint';
import { fromFloat32, type Dtype } from '../safetensors/dtype';
import type { TensorToWrite } from '../safetensors/write';
import { architectureName } from './architectures';
import type { PretrainedModel } from './model';

/** The dtypes a model can be saved in, by their transformers names. */
export const SAVE_DTYPES = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const satisfies Record<string, Dtype>;
export type SaveDtype = keyof typeof SAVE_DTYPES;

/** Files copied from the tokenizer's folder when present. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'special_tokens_map.json'] as const;

/** What a saved or merged folder takes from its tokenizer's folder: tokenizer files and the generation config. */
export const SIDE_FILES: readonly string[] = [...TOKENIZER_FILES, 'generation_config.json'];

/** Options of {@link savePretrained}. */
export interface SaveOptions {
  /** Weight dtype (default float32). */
  readonly dtype?: SaveDtype;
  /** Largest shard in bytes before the weights are split with an index (default 5 GB). */
  readonly maxShardSize?: number;
  /** Folder whose tokenizer and generation config are copied (default: the folder the model was loaded from). */
  readonly tokenizerFrom?: string;
  /** Replace `dir` if it exists (the old folder is removed only after the new one is complete). */
  readonly overwrite?: boolean;
}

/**
 * Writes a folder transformers loads: config.json, safetensors weights (sharded with an
 * index past `maxShardSize`), tokenizer and chat template, generation_config.json. Everything
 * is written into a temporary sibling folder that is renamed into place when complete, so a
 * crash never leaves a folder that looks like a checkpoint.
 */
export function savePretrained(model: PretrainedModel, dir: string, options: SaveOptions = {}): void {
  const dtypeName = options.dtype ?? 'float32';
  const dtype = SAVE_DTYPES[dtypeName];
  if (!dtype) throw new AyaError(`unknown dtype '${dtypeName}'; expected one of ${Object.keys(SAVE_DTYPES).join(', ')}`);
  if (existsSync(dir) && !options.overwrite) throw new AyaError(`${dir} already exists; choose another folder or allow overwriting`);
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(configToSave(model, dtypeName), null, 2) + '\n');
    const tensors = [...model.namedParameters()].map(([name, variable]) => tensorToWrite(name, variable, dtype));
    writeCheckpoint(tmp, tensors, { maxShardSize: options.maxShardSize });
    const from = options.tokenizerFrom ?? model.source;
    if (from) copyExisting(from, tmp, SIDE_FILES);
    if (!existsSync(join(tmp, 'generation_config.json'))) writeFileSync(join(tmp, 'generation_config.json'), JSON.stringify(generationConfig(model), null, 2) + '\n');
    commitFolder(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function configToSave(model: PretrainedModel, dtype: SaveDtype): Record<string, unknown> {
  return { ...withDtype(model.config.raw, dtype), architectures: [architectureName(model.config, model.task)] };
}

/** A config.json object with its dtype set, under the key it already uses (`torch_dtype` in older files, else `dtype`). */
export function withDtype(raw: Readonly<Record<string, unknown>>, dtype: SaveDtype): Record<string, unknown> {
  return 'torch_dtype' in raw && !('dtype' in raw) ? { ...raw, torch_dtype: dtype } : { ...raw, dtype };
}

/** A tensor's values as a tensor to write (read back from the backend when the writer asks). */
export function tensorToWrite(name: string, tensor: tf.Tensor, dtype: Dtype = 'F32'): TensorToWrite {
  return { name, dtype, shape: tensor.shape, bytes: () => fromFloat32(dtype, tensor.dataSync() as Float32Array, name) };
}

function generationConfig(model: PretrainedModel): Record<string, unknown> {
  const c = model.config;
  const eos = c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds.length ? c.eosTokenIds : undefined;
  return { bos_token_id: c.bosTokenId ?? undefined, eos_token_id: eos, pad_token_id: c.padTokenId ?? undefined };
}

/** Reads every parameter's values back from the backend, by name (for tests and merges). */
export function parameterValues(model: PretrainedModel): Map<string, Float32Array> {
  return new Map([...model.namedParameters()].map(([n, v]) => [n, v.dataSync() as Float32Array]));
}
