import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
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
