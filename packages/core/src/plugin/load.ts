import { AyaError, UsageError, errorMessage } from '../errors';
import type { Engine } from '../engine/engine';
import { installCorePeerFallback } from './peer-fallback';
import type { AyaPlugin } from './plugin';
import { resolvePlugin, type ResolveOptions, type ResolvedPlugin } from './resolve';

function isContainerModuleLike(v: unknown): v is AyaPlugin['containerModule'] {
  return typeof v === 'object' && v !== null && typeof (v as { load?: unknown }).load === 'function' && 'id' in v;
}

function isClass(fn: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/**
 * Turns a module's exports into a plugin. Accepted default exports: an {@link AyaPlugin}
 * object, an inversify `ContainerModule`, a class with `apply(engine)`, or a factory
 * function returning one of these.
 */
export function toPlugin(exported: unknown, fallbackName: string): AyaPlugin {
  let value = (exported as { default?: unknown })?.default ?? exported;
  if (typeof value === 'function') {
    value = isClass(value) ? new (value as new () => unknown)() : (value as () => unknown)();
  }
  if (isContainerModuleLike(value)) return { name: fallbackName, containerModule: value };
  const p = value as Partial<AyaPlugin> | null;
  if (typeof p === 'object' && p !== null && (typeof p.apply === 'function' || isContainerModuleLike(p.containerModule))) {
    if (typeof p.name === 'string' && p.name) return p as AyaPlugin;
    return { name: fallbackName, containerModule: p.containerModule, apply: p.apply?.bind(p) };
  }
  throw new UsageError(
    `plugin ${fallbackName} does not export a plugin: expected a default export with apply(engine) or a containerModule (see definePlugin)`,
  );
}

/** Requires a resolved plugin's entry; an exception while loading is an {@link AyaError} naming the plugin. */
export function requirePlugin(resolved: ResolvedPlugin): AyaPlugin {
  let exported: unknown;
  installCorePeerFallback();
  try {
    exported = require(resolved.path);
  } catch (err) {
    throw new AyaError(`plugin '${resolved.spec}' (${resolved.path}) threw while loading: ${errorMessage(err)}`, { cause: err });
  }
  return toPlugin(exported, resolved.id);
}

/** Resolves, loads and applies each plugin spec in order; returns what was loaded. */
export function loadPlugins(engine: Engine, specs: readonly string[], options: ResolveOptions): AyaPlugin[] {
  const loaded: AyaPlugin[] = [];
  for (const spec of specs) {
    const plugin = requirePlugin(resolvePlugin(spec, options));
    usePlugin(engine, plugin, spec);
    loaded.push(plugin);
  }
  return loaded;
}

/** `engine.use(plugin)`, with errors from its bindings or `apply` naming the plugin. */
export function usePlugin(engine: Engine, plugin: AyaPlugin, spec = plugin.name): void {
  try {
    engine.use(plugin);
  } catch (err) {
    if (err instanceof AyaError) throw err;
    throw new AyaError(`plugin '${spec}' failed while registering: ${errorMessage(err)}`, { cause: err });
  }
}
