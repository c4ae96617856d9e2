import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
    const tensors: TensorToWrite[] = [...model.namedParameters()].map(([name, variable]) => ({
      name,
      dtype,
      shape: variable.shape,
      bytes: () => fromFloat32(dtype, variable.dataSync() as Float32Array, name),
    }));
    writeCheckpoint(tmp, tensors, { maxShardSize: options.maxShardSize });
    const from = options.tokenizerFrom ?? model.source;
    if (from) for (const f of [...TOKENIZER_FILES, 'generation_config.json']) if (existsSync(join(from, f))) copyFileSync(join(from, f), join(tmp, f));
    if (!existsSync(join(tmp, 'generation_config.json'))) writeFileSync(join(tmp, 'generation_config.json'), JSON.stringify(generationConfig(model), null, 2) + '\n');
    if (existsSync(dir)) {
      const old = `${tmp}-old`;
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function configToSave(model: PretrainedModel, dtype: string): Record<string, unknown> {
  const raw = { ...model.config.raw };
  raw.architectures = [architectureName(model.config, model.task)];
  if ('torch_dtype' in raw && !('dtype' in raw)) raw.torch_dtype = dtype;
  else raw.dtype = dtype;
  return raw;
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
