import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine/engine';
import { AyaError } from '../errors';
import type { PretrainedModel } from '../hf/models/model';
import { savePretrained, tensorToWrite } from '../hf/models/save';
import { commitFolder } from '../fs/atomic';
import { Checkpoint as WeightsFile } from '../hf/safetensors/checkpoint';
import { SafetensorsFile } from '../hf/safetensors/file';
import { writeSafetensors } from '../hf/safetensors/write';
import type { AyaOptimizer } from './optimizer';

/** What a checkpoint records besides weights and optimizer state. */
export interface TrainerState {
  /** Optimizer updates done. */
  readonly step: number;
  readonly totalSteps: number;
  readonly seed: number;
  /** The last logged loss. */
  readonly loss: number;
  readonly stage: string;
  /** A trainer's own state to resume with (an online trainer's moving-average baseline…), JSON-serialisable. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

const PREFIX = 'step-';

/**
 * The checkpoint's name of each trainable variable of `model`, by its tfjs name: tfjs names carry a
 * per-process model counter (`m3/…`), so optimizer state is stored under the parameter's own name
 * (`model.layers.0…`, `<adapter>/<parameter>`) and a resumed process finds its slots whatever
 * else it loaded first.
 */
function checkpointNames(model: PretrainedModel): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, variable] of model.namedParameters()) names.set(variable.name, name);
  for (const m of model.attached.values()) for (const [k, v] of m.parameters) names.set(v.name, `${m.name}/${k}`);
  return names;
}

/** `<variable>/<slot>` with the variable renamed by `names` (unknown variables keep their name). */
function renameSlot(key: string, names: ReadonlyMap<string, string>): string {
  const cut = key.lastIndexOf('/');
  if (cut < 0) return key;
  return `${names.get(key.slice(0, cut)) ?? key.slice(0, cut)}${key.slice(cut)}`;
}

/** Folder of the checkpoint after `step` updates. */
export function checkpointDir(outDir: string, step: number): string {
  return join(outDir, 'checkpoints', `${PREFIX}${String(step).padStart(6, '0')}`);
}

/**
 * Writes a checkpoint: the model as an HF folder, optimizer state, trainer state. Everything is
 * written into a temporary folder (the `checkpoint` hook runs there) and renamed into place, so
 * a folder named `step-*` is always complete.
 */
export async function saveCheckpoint(engine: Engine, outDir: string, model: PretrainedModel, optimizer: AyaOptimizer, state: TrainerState, options: { keep?: number } = {}): Promise<string> {
  const dir = checkpointDir(outDir, state.step);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  savePretrained(model, join(tmp, 'model'));
  const tensors = Object.entries(optimizer.stateTensors());
  const names = checkpointNames(model);
  writeSafetensors(
    join(tmp, 'optimizer.safetensors'),
    tensors.map(([name, t]) => tensorToWrite(renameSlot(name, names), t)),
    { format: 'aya-fw-optimizer' },
  );
  tensors.find(([n]) => n === '__step__')?.[1].dispose();
  const attached = [...model.attached.values()].flatMap((m) => [...m.parameters].map(([k, v]) => [`${m.name}/${k}`, v] as const));
  if (attached.length) {
    writeSafetensors(
      join(tmp, 'attached.safetensors'),
      attached.map(([name, v]) => tensorToWrite(name, v)),
      { format: 'aya-fw-attached' },
    );
  }
  writeFileSync(join(tmp, 'trainer_state.json'), JSON.stringify(state, null, 2) + '\n');
  await engine.hooks.checkpoint.promise({ stage: state.stage, step: state.step, dir: tmp });
  commitFolder(tmp, dir);
  if (options.keep !== undefined && options.keep > 0) pruneCheckpoints(outDir, options.keep);
  return dir;
}

/** Complete checkpoint folders under `outDir`, oldest first. */
function completeCheckpoints(outDir: string): string[] {
  const root = join(outDir, 'checkpoints');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => new RegExp(`^${PREFIX}\\d+$`).test(d) && existsSync(join(root, d, 'trainer_state.json')))
    .sort()
    .map((d) => join(root, d));
}

/** Deletes all but the newest `keep` complete checkpoints (transformers' `save_total_limit`). */
export function pruneCheckpoints(outDir: string, keep: number): void {
  const done = completeCheckpoints(outDir);
  for (const dir of done.slice(0, Math.max(0, done.length - keep))) rmSync(dir, { recursive: true, force: true });
}

/** The newest complete checkpoint under `outDir`, if any (temporary folders are ignored). */
export function latestCheckpoint(outDir: string): string | undefined {
  return completeCheckpoints(outDir).at(-1);
}

/** Loads a checkpoint's weights into `model` and its state into `optimizer`; returns the trainer state. */
export function restoreCheckpoint(dir: string, model: PretrainedModel, optimizer: AyaOptimizer): TrainerState {
  const weights = WeightsFile.open(join(dir, 'model'));
  try {
    for (const [name, variable] of model.namedParameters()) {
      if (!weights.has(name)) throw new AyaError(`${dir}: checkpoint has no weights for '${name}'`);
      const t = tf.tensor(weights.readFloat32(name), variable.shape);
      variable.assign(t);
      t.dispose();
    }
  } finally {
    weights.close();
  }
  if (existsSync(join(dir, 'attached.safetensors'))) {
    const attached = SafetensorsFile.open(join(dir, 'attached.safetensors'));
    try {
      for (const m of model.attached.values()) {
        for (const [k, v] of m.parameters) {
          const t = tf.tensor(attached.readFloat32(`${m.name}/${k}`), v.shape);
          v.assign(t);
          t.dispose();
        }
      }
    } finally {
      attached.close();
    }
  }
  const file = SafetensorsFile.open(join(dir, 'optimizer.safetensors'));
  try {
    const variables = new Map([...checkpointNames(model)].map(([variable, name]) => [name, variable]));
    const state: Record<string, { values: Float32Array; shape: readonly number[] }> = {};
    for (const [name, info] of file.tensors) state[renameSlot(name, variables)] = { values: file.readFloat32(name), shape: info.shape };
    optimizer.loadState(state);
  } finally {
    file.close();
  }
  return JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as TrainerState;
}

/**
 * With `resume`, restores the newest complete checkpoint under `outDir` into the model and the
 * optimizer and says so; returns its trainer state (undefined for a fresh start).
 */
export function resumeLatest(engine: Engine, outDir: string, stage: string, model: PretrainedModel, optimizer: AyaOptimizer, resume: boolean | undefined): TrainerState | undefined {
  if (!resume) return undefined;
  const dir = latestCheckpoint(outDir);
  if (!dir) return undefined;
  const state = restoreCheckpoint(dir, model, optimizer);
  engine.reporter.info(`${stage}: resuming after step ${state.step} from ${dir}`);
  return state;
}
