import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../errors';
import { closest } from '../ids';

/** Scope and prefix of aya-fw plugin packages. */
export const PLUGIN_SCOPE_PREFIX = '@aya-fw/plugin-';
export const PLUGIN_PREFIX = 'aya-fw-plugin-';

/** Where a plugin was found. */
export interface ResolvedPlugin {
  /** What the user wrote (`dpo`, `./my-loss.js`). */
  readonly spec: string;
  /** The module id that resolved (`@aya-fw/plugin-dpo`), or the absolute path. */
  readonly id: string;
  /** Absolute path of the entry file. */
  readonly path: string;
}

/** Options of plugin resolution. */
export interface ResolveOptions {
  /** The user's project folder; resolution starts here. */
  readonly cwd: string;
  /** Further folders to resolve from when the project has no match (the CLI's own install). */
  readonly fallbackFrom?: readonly string[];
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || isAbsolute(spec) || spec === '.' || spec === '..';
}

/**
 * The module ids tried for a short name, in order, like Babel and textlint:
 * `dpo` → `@aya-fw/plugin-dpo` → `aya-fw-plugin-dpo` → `dpo` → `./dpo` in the project.
 */
export function pluginCandidates(spec: string): string[] {
  if (isPathSpec(spec)) return [spec];
  if (spec.startsWith(PLUGIN_SCOPE_PREFIX) || spec.startsWith(PLUGIN_PREFIX) || spec.startsWith('@')) return [spec, `./${spec}`];
  return [`${PLUGIN_SCOPE_PREFIX}${spec}`, `${PLUGIN_PREFIX}${spec}`, spec, `./${spec}`];
}

function tryResolve(id: string, fromDir: string): string | undefined {
  try {
    return createRequire(join(fromDir, '__aya-fw-resolve__.js')).resolve(id);
  } catch {
    return undefined;
  }
}

/** Resolves a plugin spec to its entry file; a failure lists what was tried and suggests the closest installed plugin. */
export function resolvePlugin(spec: string, options: ResolveOptions): ResolvedPlugin {
  const candidates = pluginCandidates(spec);
  const dirs = [options.cwd, ...(options.fallbackFrom ?? [])];
  for (const dir of dirs) {
    for (const id of candidates) {
      const asPath = id.startsWith('./') || id.startsWith('../') || isAbsolute(id) ? resolve(options.cwd, id) : undefined;
      if (asPath && dir !== options.cwd) continue;
      const path = tryResolve(asPath ?? id, dir);
      if (path) return { spec, id: asPath ?? id, path };
    }
  }
  const installed = installedPlugins(dirs);
  const shortName = spec.replace(PLUGIN_SCOPE_PREFIX, '').replace(PLUGIN_PREFIX, '');
  const suggestion = closest(shortName, installed);
  const hint = suggestion
    ? `; did you mean '${suggestion}'?`
    : installed.length
      ? `; installed plugins: ${installed.join(', ')}`
      : '; no aya-fw plugins are installed here';
  throw new UsageError(`cannot find plugin '${spec}': tried ${candidates.join(', ')} from ${options.cwd}${hint}`);
}

/** Short names of the aya-fw plugins installed in `node_modules` folders above each dir. */
export function installedPlugins(dirs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const start of dirs) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const nm = join(dir, 'node_modules');
      for (const entry of safeReaddir(join(nm, '@aya-fw'))) {
        if (`@aya-fw/${entry}`.startsWith(PLUGIN_SCOPE_PREFIX)) names.add(entry.slice('plugin-'.length));
      }
      for (const entry of safeReaddir(nm)) if (entry.startsWith(PLUGIN_PREFIX)) names.add(entry.slice(PLUGIN_PREFIX.length));
      if (dirname(dir) === dir) break;
    }
  }
  return [...names].sort();
}

function safeReaddir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
