import {
  attachProgress,
  createEngine,
  nativeKernelsStatus,
  requirePlugin,
  resolvePlugin,
  selectBackend,
  setComputeThreads,
  usePlugin,
  type BackendChoice,
  type BackendName,
  type Engine,
} from '@aya-fw/core';
import { dirname } from 'node:path';
import { loadOra, TerminalReporter, type OutputMode } from './reporters/terminal';

/** Options every command takes. */
export interface GlobalOptions {
  /** Extra plugins, comma-separated on the command line. */
  readonly plugins?: string[];
  /** `--no-default-plugins` sets this false. */
  readonly defaultPlugins: boolean;
  readonly backend?: BackendName;
  /** Threads of the native kernels (default: every core). */
  readonly threads?: number;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/**
 * The plugins the CLI loads unless `--no-default-plugins`: aya-fw's own methods, resolved
 * and registered exactly like a user's plugins.
 */
export const DEFAULT_PLUGINS: readonly string[] = ['data', 'optimizers', 'sft', 'reward', 'preference', 'online-rl', 'peft', 'dpo', 'copg', 'srpo', 'eval', 'bandit', 'merge', 'merge-search', 'arbitrage', 'aya-toy'];

/** One plugin spec and the folder it resolves from. */
export interface PluginRequest {
  readonly spec: string;
  readonly cwd: string;
}

/** An engine with plugins loaded and a reporter bound. */
export interface Session {
  readonly engine: Engine;
  readonly reporter: TerminalReporter;
  /** `--threads`, applied when the backend starts. */
  readonly threads?: number;
}

/** The output mode the options and the terminal call for. */
export function outputMode(opts: GlobalOptions): OutputMode {
  if (opts.json) return 'json';
  if (opts.quiet) return 'quiet';
  return process.stdout.isTTY ? 'tty' : 'plain';
}

/** Creates the engine, loads default, recipe and command-line plugins (each once), and attaches progress. */
export async function openSession(opts: GlobalOptions, recipePlugins: readonly PluginRequest[] = [], io: { messages?: 'stdout' | 'stderr' } = {}): Promise<Session> {
  const mode = outputMode(opts);
  // A command whose product is text on stdout (generate) sends its messages and progress to stderr.
  const out = io.messages === 'stderr' && mode !== 'json' ? process.stderr : process.stdout;
  const reporter = new TerminalReporter(mode, out, process.stderr, mode === 'tty' && out.isTTY ? await loadOra() : undefined);
  const engine = createEngine({ reporter });
  const cliDir = dirname(require.resolve('@aya-fw/cli/package.json'));
  const requests: PluginRequest[] = [
    ...(opts.defaultPlugins ? DEFAULT_PLUGINS.map((spec) => ({ spec, cwd: process.cwd() })) : []),
    ...recipePlugins,
    ...(opts.plugins ?? []).map((spec) => ({ spec, cwd: process.cwd() })),
  ];
  const loaded = new Set<string>();
  for (const { spec, cwd } of requests) {
    const resolved = resolvePlugin(spec, { cwd, fallbackFrom: [cliDir] });
    if (loaded.has(resolved.path)) continue;
    loaded.add(resolved.path);
    usePlugin(engine, requirePlugin(resolved), spec);
  }
  attachProgress(engine, reporter);
  return { engine, reporter, threads: opts.threads };
}

/** The ids aya-fw's own plugins register for `kind` (for --help texts), in load order. */
export function defaultContributionIds(kind: 'adapters'): string[] {
  const engine = createEngine({});
  const cliDir = dirname(require.resolve('@aya-fw/cli/package.json'));
  for (const spec of DEFAULT_PLUGINS) usePlugin(engine, requirePlugin(resolvePlugin(spec, { cwd: cliDir, fallbackFrom: [cliDir] })), spec);
  return engine.registries[kind].list().map((c) => c.id);
}

/** Starts the compute backend and says once which one runs. */
export async function startBackend(session: Session, preference: BackendName): Promise<BackendChoice> {
  const choice = await selectBackend(preference);
  if (session.threads) setComputeThreads(session.threads);
  const skipped = choice.skipped.length ? ` (skipped ${choice.skipped.join('; ')})` : '';
  const kernels = choice.name === 'wasm' ? `, ${nativeKernelsStatus()}` : '';
  session.reporter.info(`backend: ${choice.name}${kernels}${skipped}`);
  session.reporter.result('backend', choice.name);
  return choice;
}

/**
 * Makes SIGINT and SIGTERM end a training run cleanly: the first finishes the step in progress,
 * writes a checkpoint and ends with an InterruptedError (main prints how to resume); a second
 * exits at once (checkpoints are written whole or not at all). Returns the function that removes the handlers.
 */
export function stopOnInterrupt(session: Session): () => void {
  let count = 0;
  const onSignal = () => {
    count += 1;
    if (count > 1) process.exit(130);
    session.engine.interrupt();
    session.reporter.warn('interrupted: finishing the current step and writing a checkpoint (Ctrl-C again to stop at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
