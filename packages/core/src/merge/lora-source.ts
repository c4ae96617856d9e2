import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PEFT_PREFIX, readAdapterConfig } from '../adapters/peft-format';
import { UsageError } from '../errors';
import type { Checkpoint } from '../hf/safetensors/checkpoint';
import { SafetensorsFile } from '../hf/safetensors/file';
import { batchedMatmul } from '../kernels/matmul-kernels';

/**
 * A PEFT LoRA folder applied to its base model's tensors as they are read (mergekit's
 * `model+lora` references): W + s·B·A with s = lora_alpha / r (lora_alpha / √r with rsLoRA),
 * transposed for `fan_in_fan_out` (GPT-2's Conv1D) and for embeddings; `modules_to_save`
 * tensors replace the base's. Only the tensors a merge reads are computed, one at a time.
 */
export class LoraSource {
  readonly #file: SafetensorsFile;
  readonly #scale: number;
  readonly #fanInFanOut: boolean;

  private constructor(
    readonly dir: string,
    file: SafetensorsFile,
    config: Record<string, unknown>,
  ) {
    this.#file = file;
    const r = Number(config.r);
    const alpha = Number(config.lora_alpha ?? r);
    this.#scale = config.use_rslora ? alpha / Math.sqrt(r) : alpha / r;
    this.#fanInFanOut = config.fan_in_fan_out === true;
  }

  /** Opens a LoRA folder for the model in `base`; refuses other adapter types and options it cannot fold, naming them. */
  static open(dir: string, base: Checkpoint, label: string): LoraSource {
    const config = readAdapterConfig(dir);
    const where = join(dir, 'adapter_config.json');
    if (config.peft_type !== 'LORA') throw new UsageError(`${label}: ${where}: peft_type ${JSON.stringify(config.peft_type)} cannot be merged as model+lora; only LORA`);
    for (const key of ['use_dora', 'lora_bias'] as const) if (config[key] === true) throw new UsageError(`${label}: ${where}: ${key} is not supported in model+lora references`);
    for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
      const v = config[key];
      if (v && typeof v === 'object' && Object.keys(v).length > 0) throw new UsageError(`${label}: ${where}: ${key} is not supported in model+lora references`);
    }
    if (!(Number(config.r) > 0)) throw new UsageError(`${label}: ${where}: r must be a positive integer`);
    const weights = join(dir, 'adapter_model.safetensors');
    if (!existsSync(weights)) throw new UsageError(`${label}: ${dir}: no adapter_model.safetensors`);
    const file = SafetensorsFile.open(weights);
    const source = new LoraSource(dir, file, config);
    // Every adapter tensor must land on a tensor of the base.
    for (const key of file.tensors.keys()) {
      const target = source.#targetOf(key);
      if (!target || !base.has(target)) {
        file.close();
        throw new UsageError(`${label}: ${weights}: tensor '${key}' does not belong to any tensor of the base model`);
      }
    }
    return source;
  }

  /** The base tensor an adapter key changes. */
  #targetOf(key: string): string | undefined {
    if (!key.startsWith(PEFT_PREFIX)) return undefined;
    const m = /^(.*)\.lora_(?:embedding_)?[AB](?:\.weight)?$/.exec(key.slice(PEFT_PREFIX.length));
    return m ? `${m[1]}.weight` : key.slice(PEFT_PREFIX.length);
  }

  /** Whether reading `name` needs the adapter (the whole tensor is then read at once). */
  touches(name: string): boolean {
    const module = name.replace(/\.weight$/, '');
    const f = this.#file.tensors;
    return f.has(`${PEFT_PREFIX}${module}.lora_A.weight`) || f.has(`${PEFT_PREFIX}${module}.lora_embedding_A`) || f.has(`${PEFT_PREFIX}${name}`);
  }

  /** Applies the adapter to `values`, the whole base tensor `name` of `shape`, in place. */
  apply(name: string, shape: readonly number[], values: Float32Array): void {
    const module = name.replace(/\.weight$/, '');
    const f = this.#file;
    const replaced = `${PEFT_PREFIX}${name}`;
    if (f.tensors.has(replaced)) {
      values.set(f.readFloat32(replaced));
      return;
    }
    const linear = f.tensors.has(`${PEFT_PREFIX}${module}.lora_A.weight`);
    const aName = linear ? `${PEFT_PREFIX}${module}.lora_A.weight` : `${PEFT_PREFIX}${module}.lora_embedding_A`;
    const bName = linear ? `${PEFT_PREFIX}${module}.lora_B.weight` : `${PEFT_PREFIX}${module}.lora_embedding_B`;
    if (!f.tensors.has(aName)) return;
    const [r, inner] = f.info(aName).shape;
    const [outer, rb] = f.info(bName).shape;
    if (rb !== r) throw new UsageError(`${this.dir}: '${bName}' has rank ${rb}, '${aName}' ${r}`);
    // B·A is [outer, inner]; the base stores it transposed for Conv1D (fan_in_fan_out) and embeddings.
    const transposed = !linear || this.#fanInFanOut;
    const want = transposed ? [inner, outer] : [outer, inner];
    if (shape.length !== 2 || shape[0] !== want[0] || shape[1] !== want[1]) {
      throw new UsageError(`${this.dir}: the update of '${name}' has shape [${want.join(', ')}], the base tensor [${shape.join(', ')}]`);
    }
    const a = f.readFloat32(aName);
    const b = f.readFloat32(bName);
    const delta = new Float32Array(outer * inner);
    if (!batchedMatmul(b, a, delta, 1, outer, r, inner)) {
      for (let i = 0; i < outer; i++) for (let k = 0; k < r; k++) {
        const bik = b[i * r + k];
        for (let j = 0; j < inner; j++) delta[i * inner + j] += bik * a[k * inner + j];
      }
    }
    const s = this.#scale;
    if (!transposed) for (let i = 0; i < delta.length; i++) values[i] += s * delta[i];
    else for (let i = 0; i < outer; i++) for (let j = 0; j < inner; j++) values[j * outer + i] += s * delta[i * inner + j];
  }

  close(): void {
    this.#file.close();
  }
}
