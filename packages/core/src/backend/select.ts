import * as tf from '@tensorflow/tfjs';
import { dirname, join } from 'node:path';
import { UsageError, errorMessage } from '../errors';
import { registerWasmKernels } from './wasm-kernels';

/** Backends a user can ask for with `--backend`. */
export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backend a run uses. */
export interface BackendChoice {
  /** What was chosen (never `auto`). */
  readonly name: Exclude<BackendName, 'auto'>;
  /** The tfjs backend id in use (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** Why each better backend was skipped, for `auto`. */
  readonly skipped: readonly string[];
}

/** How backends' packages are found and loaded; tests replace it to simulate missing packages. */
export interface ModuleLoader {
  require(id: string): unknown;
  resolve(id: string): string;
}

interface Candidate {
  readonly name: Exclude<BackendName, 'auto'>;
  readonly pkg: string;
  readonly tfBackend: string;
  readonly init?: (mod: unknown, load: ModuleLoader) => void;
  /** Runs once the backend is active (kernel replacements). */
  readonly ready?: () => void;
}

const CANDIDATES: readonly Candidate[] = [
  { name: 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node-gpu', tfBackend: 'tensorflow' },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node', tfBackend: 'tensorflow' },
  {
    name: 'wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    tfBackend: 'wasm',
    // The .wasm binaries ship inside the package: point the loader at them, no network.
    init: (mod, load) => {
      const pkgJson = load.resolve('@tensorflow/tfjs-backend-wasm/package.json');
      (mod as { setWasmPaths(prefix: string, usePlatformFetch?: boolean): void }).setWasmPaths(join(dirname(pkgJson), 'dist') + '/');
    },
    ready: registerWasmKernels,
  },
  { name: 'cpu', pkg: '@tensorflow/tfjs', tfBackend: 'cpu' },
];

/** Node's own `require`. */
export const nodeModuleLoader: ModuleLoader = { require: (id) => require(id), resolve: (id) => require.resolve(id) };

async function activate(c: Candidate, load: ModuleLoader): Promise<void> {
  const mod = load.require(c.pkg);
  c.init?.(mod, load);
  const ok = await tf.setBackend(c.tfBackend);
  if (!ok) throw new Error(`tf.setBackend('${c.tfBackend}') returned false`);
  await tf.ready();
  c.ready?.();
}

/**
 * Selects the compute backend. `auto` takes `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node` when the user installed them (optional: never required),
 * else the embedded wasm backend, else cpu. A named backend that cannot start is a usage
 * error that says what to install.
 */
export async function selectBackend(preference: BackendName = 'auto', load: ModuleLoader = nodeModuleLoader): Promise<BackendChoice> {
  if (!BACKEND_NAMES.includes(preference)) {
    throw new UsageError(`unknown backend '${preference}'; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  const skipped: string[] = [];
  const wanted = preference === 'auto' ? CANDIDATES : CANDIDATES.filter((c) => c.name === preference);
  for (const c of wanted) {
    try {
      await activate(c, load);
      return { name: c.name, tfBackend: c.tfBackend, skipped };
    } catch (err) {
      const why = isMissingModule(err, c.pkg) ? `${c.pkg} is not installed` : `${c.pkg} failed to start: ${firstLine(errorMessage(err))}`;
      if (preference !== 'auto') throw new UsageError(`backend '${c.name}' is unavailable: ${why} (npm install ${c.pkg})`, { cause: err });
      skipped.push(`${c.name}: ${why}`);
    }
  }
  throw new UsageError(`no compute backend could start: ${skipped.join('; ')}`);
}

function isMissingModule(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'MODULE_NOT_FOUND' && (e.message ?? '').includes(pkg);
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
