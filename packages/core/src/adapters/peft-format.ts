import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors';
import { commitFolder } from '../fs/atomic';
import type { AttachedModule } from '../hf/models/model';
import { tensorToWrite } from '../hf/models/save';
import { SafetensorsFile } from '../hf/safetensors/file';
import { writeSafetensors } from '../hf/safetensors/write';

/** PEFT's key prefix: the module path inside `PeftModel` (`base_model.model.` + the HF name). */
export const PEFT_PREFIX = 'base_model.model.';

/** Reads `adapter_config.json`; errors name the file. */
export function readAdapterConfig(dir: string): Record<string, unknown> {
  const file = join(dir, 'adapter_config.json');
  if (!existsSync(file)) throw new UsageError(`${dir}: no adapter_config.json`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${file}: expected a JSON object`);
  return value as Record<string, unknown>;
}

/** Assigns an adapter's tensors from `adapter_model.safetensors` (PEFT keys) to its variables. */
export function loadAdapterWeights(dir: string, module: AttachedModule): void {
  const file = join(dir, 'adapter_model.safetensors');
  if (!existsSync(file)) throw new UsageError(`${dir}: no adapter_model.safetensors (adapter_model.bin is not supported)`);
  const f = SafetensorsFile.open(file);
  try {
    for (const [key, variable] of module.parameters) {
      const name = `${PEFT_PREFIX}${key}`;
      if (!f.tensors.has(name)) throw new UsageError(`${file}: missing tensor '${name}'`);
      const info = f.info(name);
      if (info.shape.join(',') !== variable.shape.join(',')) {
        throw new UsageError(`${file}: tensor '${name}' has shape [${info.shape.join(', ')}], the adapter config implies [${variable.shape.join(', ')}]`);
      }
      const t = tf.tensor(f.readFloat32(name), variable.shape);
      variable.assign(t);
      t.dispose();
    }
    const known = new Set([...module.parameters.keys()].map((k) => `${PEFT_PREFIX}${k}`));
    const extra = [...f.tensors.keys()].find((k) => !known.has(k));
    if (extra) throw new UsageError(`${file}: tensor '${extra}' does not belong to any targeted module of this model`);
  } finally {
    f.close();
  }
}

/** Writes an adapter folder (config + weights with PEFT keys) atomically. */
export function writeAdapter(dir: string, config: Record<string, unknown>, module: AttachedModule): void {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'adapter_config.json'), JSON.stringify(config, null, 2) + '\n');
  writeSafetensors(
    join(tmp, 'adapter_model.safetensors'),
    [...module.parameters].map(([key, v]) => tensorToWrite(`${PEFT_PREFIX}${key}`, v)),
    { format: 'pt' },
  );
  commitFolder(tmp, dir);
}
