import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AyaError, errorMessage } from '../../errors';
import type { ByteSink } from '../../fs/background-writer';
import { SafetensorsFile } from './file';
import type { TensorInfo } from './header';
import { tensorByteLength, writeSafetensors, type TensorToWrite } from './write';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/**
 * The weights of a Hugging Face folder: one `model.safetensors`, or shards listed by
 * `model.safetensors.index.json`. Only headers are read on open; tensors are read one by one.
 */
export class Checkpoint {
  readonly #files: SafetensorsFile[];
  readonly #where = new Map<string, SafetensorsFile>();

  private constructor(readonly dir: string, files: SafetensorsFile[], weightMap?: Record<string, string>) {
    this.#files = files;
    const byName = new Map(files.map((f) => [f.path, f]));
    if (weightMap) {
      for (const [tensor, shard] of Object.entries(weightMap)) {
        const file = byName.get(join(dir, shard))!;
        if (!file.tensors.has(tensor)) throw new AyaError(`${join(dir, INDEX_FILE)}: weight_map names '${tensor}' in ${shard}, which does not hold it`);
        this.#where.set(tensor, file);
      }
    } else {
      for (const file of files) for (const name of file.tensors.keys()) this.#where.set(name, file);
    }
  }

  /** Opens a folder's weights; errors name the file at fault. */
  static open(dir: string): Checkpoint {
    const indexPath = join(dir, INDEX_FILE);
    if (existsSync(indexPath)) {
      let index: { weight_map?: Record<string, string> };
      try {
        index = JSON.parse(readFileSync(indexPath, 'utf8'));
      } catch (err) {
        throw new AyaError(`${indexPath}: not valid JSON (${errorMessage(err)})`);
      }
      const weightMap = index.weight_map;
      if (typeof weightMap !== 'object' || weightMap === null || Object.values(weightMap).some((v) => typeof v !== 'string')) {
        throw new AyaError(`${indexPath}: weight_map must map tensor names to shard files`);
      }
      const shards = [...new Set(Object.values(weightMap))];
      const files: SafetensorsFile[] = [];
      try {
        for (const shard of shards) {
          if (shard.includes('/') || shard.includes('\\')) throw new AyaError(`${indexPath}: shard '${shard}' must be a file name in the same folder`);
          files.push(SafetensorsFile.open(join(dir, shard)));
        }
        return new Checkpoint(dir, files, weightMap);
      } catch (err) {
        for (const f of files) f.close();
        throw err;
      }
    }
    const single = join(dir, SINGLE_FILE);
    if (existsSync(single)) return new Checkpoint(dir, [SafetensorsFile.open(single)]);
    const legacy = existsSync(join(dir, 'pytorch_model.bin')) ? ' (pytorch_model.bin is not supported: convert it to safetensors)' : '';
    throw new AyaError(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}${legacy}`);
  }

  /** Every tensor name. */
  names(): string[] {
    return [...this.#where.keys()];
  }

  has(name: string): boolean {
    return this.#where.has(name);
  }

  info(name: string): TensorInfo & { file: string } {
    const file = this.#where.get(name);
    if (!file) throw new AyaError(`${this.dir}: checkpoint has no tensor '${name}'`);
    return { ...file.info(name), file: file.path };
  }

  readFloat32(name: string): Float32Array {
    const file = this.#where.get(name);
    if (!file) throw new AyaError(`${this.dir}: checkpoint has no tensor '${name}'`);
    return file.readFloat32(name);
  }

  readBytes(name: string): Uint8Array {
    const file = this.#where.get(name);
    if (!file) throw new AyaError(`${this.dir}: checkpoint has no tensor '${name}'`);
    return file.readBytes(name);
  }

  /** Reads values `start`… of a tensor into `target` (see {@link SafetensorsFile.readInto}). */
  readInto(name: string, target: Uint8Array, start = 0): Uint8Array {
    const file = this.#where.get(name);
    if (!file) throw new AyaError(`${this.dir}: checkpoint has no tensor '${name}'`);
    return file.readInto(name, target, start);
  }

  /** `__metadata__` of the first file. */
  get metadata(): Readonly<Record<string, string>> {
    return this.#files[0]?.metadata ?? {};
  }

  close(): void {
    for (const f of this.#files) f.close();
  }
}

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** Largest shard in bytes; past it the weights are split with an index (default 5 GB, like transformers). */
  readonly maxShardSize?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Where the bytes go (default: synchronous writes). */
  readonly sink?: ByteSink;
}

/**
 * Writes weights into `dir`: one `model.safetensors` when they fit in `maxShardSize`, else
 * `model-0000i-of-0000N.safetensors` shards (filled in the given order) and an index.
 * Returns the files written.
 */
export function writeCheckpoint(dir: string, tensors: readonly TensorToWrite[], options: WriteCheckpointOptions = {}): string[] {
  const max = options.maxShardSize ?? 5_000_000_000;
  const metadata = options.metadata ?? { format: 'pt' };
  const shards: TensorToWrite[][] = [[]];
  let size = 0;
  let total = 0;
  for (const t of tensors) {
    const n = tensorByteLength(t.dtype, t.shape);
    total += n;
    if (size > 0 && size + n > max) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(t);
    size += n;
  }
  if (shards.length === 1) {
    writeSafetensors(join(dir, SINGLE_FILE), shards[0], metadata, options.sink);
    return [SINGLE_FILE];
  }
  const digits = 5;
  const names = shards.map((_, i) => `model-${String(i + 1).padStart(digits, '0')}-of-${String(shards.length).padStart(digits, '0')}.safetensors`);
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    writeSafetensors(join(dir, names[i]), shard, metadata, options.sink);
    for (const t of shard) weightMap[t.name] = names[i];
  });
  const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const index = { metadata: { total_size: total }, weight_map: sortedMap };
  writeFileSync(join(dir, INDEX_FILE), JSON.stringify(index, null, 2) + '\n');
  return [...names, INDEX_FILE];
}
