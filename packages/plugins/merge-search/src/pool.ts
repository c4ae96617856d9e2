import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  architectureName,
  loadPretrained,
  mergeTensors,
  parameterShapes,
  parameterValues,
  parseModelConfig,
  taskOf,
  tensorDepth,
  tf,
  Tokenizer,
  UsageError,
  type Engine,
  type PretrainedModel,
} from '@aya-fw/core';
import { tensorGroup, type DecodedGenome } from './genome';

/** The checkpoints of a search in memory, and one model whose weights each candidate overwrites. */
export class CheckpointPool {
  private constructor(
    readonly dirs: readonly string[],
    readonly values: readonly Map<string, Float32Array>[],
    readonly base: Map<string, Float32Array> | undefined,
    /** The model candidates are written into (the first checkpoint's architecture). */
    readonly model: PretrainedModel,
    readonly tokenizer: Tokenizer | undefined,
  ) {}

  /**
   * Loads the pool after checking, from the configs alone, that every checkpoint (and the base)
   * has the first one's architecture and tensor shapes: a mismatch is one line naming the folder
   * and the tensor, before any weights are read.
   */
  static open(dirs: readonly string[], baseDir?: string): CheckpointPool {
    const all = baseDir ? [...dirs, baseDir] : [...dirs];
    const shapesOf = (dir: string) => {
      const file = join(dir, 'config.json');
      if (!existsSync(file)) throw new UsageError(`${dir}: no config.json (a merge-search pool holds model folders)`);
      const config = parseModelConfig(JSON.parse(readFileSync(file, 'utf8')), file);
      const task = taskOf(config);
      return { arch: architectureName(config, task), shapes: parameterShapes(config, task) };
    };
    const first = shapesOf(all[0]);
    for (const dir of all.slice(1)) {
      const other = shapesOf(dir);
      if (other.arch !== first.arch) throw new UsageError(`${dir}: a ${other.arch}, but ${all[0]} is a ${first.arch}; a pool merges one architecture`);
      for (const [name, shape] of first.shapes) {
        const s = other.shapes.get(name);
        if (!s) throw new UsageError(`${dir}: has no tensor '${name}' (${all[0]} has)`);
        if (s.join('×') !== shape.join('×')) throw new UsageError(`${dir}: tensor '${name}' is ${s.join('×')}, in ${all[0]} ${shape.join('×')}`);
      }
      for (const name of other.shapes.keys()) if (!first.shapes.has(name)) throw new UsageError(`${dir}: has tensor '${name}', which ${all[0]} has not`);
    }
    const read = (dir: string) => {
      const m = loadPretrained(dir, { trainable: false });
      try {
        return parameterValues(m);
      } finally {
        m.dispose();
      }
    };
    const values = dirs.map(read);
    const base = baseDir ? read(baseDir) : undefined;
    const model = loadPretrained(dirs[0], { trainable: false });
    const tokenizer = existsSync(join(dirs[0], 'tokenizer.json')) ? Tokenizer.fromPretrained(dirs[0]) : undefined;
    return new CheckpointPool(dirs, values, base, model, tokenizer);
  }

  /** Writes the merge a decoded genome stands for into {@link model}, tensor by tensor, in memory. */
  apply(engine: Engine, method: string, decoded: DecodedGenome): void {
    const groups = decoded.weights.length;
    const layers = this.model.config.numLayers;
    for (const [name, variable] of this.model.namedParameters()) {
      const g = tensorGroup(name, layers, groups);
      const weights = decoded.weights[g];
      const modelParameters = weights.map((w, i) => ({ weight: w, ...(decoded.density ? { density: decoded.density[g][i] } : {}) }));
      const merged = mergeTensors(
        engine,
        { method, modelParameters },
        this.values.map((v) => v.get(name)!),
        { base: this.base?.get(name), name, shape: variable.shape, t: tensorDepth(name, layers).t },
      );
      tf.tidy(() => variable.assign(tf.tensor(merged, variable.shape, 'float32')));
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
