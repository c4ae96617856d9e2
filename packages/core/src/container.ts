import 'reflect-metadata';
import { Container } from 'inversify';
import { Engine } from './engine/engine';
import { silentReporter, type Reporter } from './reporting/reporter';
import { Tokens } from './tokens';
import type { AyaPlugin } from './plugin/plugin';
import { usePlugin } from './plugin/load';

/** Options of {@link createEngine}. */
export interface CreateEngineOptions {
  /** Where progress and messages go (default: silent). */
  readonly reporter?: Reporter;
  /** Plugin objects to load right away, in order. */
  readonly plugins?: readonly AyaPlugin[];
}

/** A new container with an {@link Engine} and a reporter bound, and the given plugins loaded. */
export function createEngine(options: CreateEngineOptions = {}): Engine {
  const container = new Container();
  const engine = new Engine(container);
  container.bind(Tokens.Engine).toConstantValue(engine);
  container.bind(Tokens.Reporter).toConstantValue(options.reporter ?? silentReporter);
  for (const plugin of options.plugins ?? []) usePlugin(engine, plugin);
  return engine;
}
