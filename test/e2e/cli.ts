import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'aya-fw.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aya-fw` as a user would, in `cwd`, without a TTY (killed after `timeoutMs`). */
export function aya(args: readonly string[], cwd = ROOT, timeoutMs = 170_000, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env }, timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses the single JSON document that `--json` prints. */
export function json(r: CliResult): any {
  return JSON.parse(r.stdout);
}

/**
 * A user's project with aya-fw's core installed and the given local folders installed as
 * packages, each in its own folder under node_modules, as npm lays them out.
 */
export function userProject(packages: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'aya-user-'));
  mkdirSync(join(dir, 'node_modules', '@aya-fw'), { recursive: true });
  symlinkSync(join(ROOT, 'packages', 'core'), join(dir, 'node_modules', '@aya-fw', 'core'), 'dir');
  for (const [name, source] of Object.entries(packages)) cpSync(source, join(dir, 'node_modules', name), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  return dir;
}

/**
 * Starts `aya-fw <args>` in `dir` with the pause plugin (`./pause-plugin.js`, copied there) holding it
 * at the checkpoint write or step that `env` names, SIGKILLs it there, and returns what the plugin
 * wrote into its marker (the temporary checkpoint folder, or the step).
 */
export async function killDuring(dir: string, args: readonly string[], env: Record<string, string>): Promise<string> {
  const marker = join(dir, `marker-${Object.values(env).join('-').replace(/[^\w.-]/g, '_')}`);
  const child = spawn(process.execPath, [BIN, '--plugins', './pause-plugin.js', ...args], { cwd: dir, env: { ...process.env, AYA_TEST_MARKER: marker, ...env }, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  for (let i = 0; i < 600 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(marker)) throw new Error(`the run never reached ${JSON.stringify(env)}`);
  child.kill('SIGKILL');
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the run ended with ${signal} before it was killed`);
  return readFileSync(marker, 'utf8');
}

/** A running `aya-fw serve`: its base URL (`…/v1`), its stderr so far, and a stop that waits for the exit. */
export interface ServeProcess {
  readonly url: string;
  readonly stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `aya-fw serve <args> --port 0` and waits for the line that names its URL. */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  for (let i = 0; i < 600; i++) {
    const m = /at (http:\/\/\S+\/v1)/.exec(err);
    if (m) return { url: m[1], stderr: () => err, stop: (signal = 'SIGTERM') => (child.kill(signal), exited) };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`aya-fw serve did not start:\n${err}`);
}
