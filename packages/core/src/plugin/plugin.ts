import { ContainerModule } from 'inversify';
import { AyaError } from '../errors';
import type { Engine } from '../engine/engine';
import type { ContributionKinds } from '../registry/registries';
import { CONTRIBUTION_POINTS } from '../registry/registries';
import { assertContributionId } from '../registry/registry';

/**
 * A plugin: the default export of an npm package or a local file. It contributes to the
 * registries through an inversify `ContainerModule` and/or taps the engine's hooks in
 * `apply`. Its `name` shows up in logs and errors.
 */
export interface AyaPlugin {
  readonly name: string;
  /** Binds contributions to the contribution tokens (`Tokens.Loss`, …). */
  readonly containerModule?: ContainerModule;
  /** Taps the engine's hooks. */
  apply?(engine: Engine): void;
}

/** Contributions by contribution point, as `definePlugin` takes them. */
export type Contributions = { readonly [K in keyof ContributionKinds]?: readonly ContributionKinds[K][] };

/** What `definePlugin` takes. */
export interface PluginSpec {
  /** Package-style name (`@aya-fw/plugin-dpo`, `my-loss-plugin`). */
  readonly name: string;
  /** Registry entries this plugin adds. */
  readonly contributes?: Contributions;
  /** Hook taps. */
  readonly apply?: (engine: Engine) => void;
}

/**
 * Builds a plugin from its contributions: each is stamped with the plugin's name, checked
 * (kebab-case id, description) and bound to its contribution token in a `ContainerModule`.
 * This is how the shipped plugins register, and how a third party should.
 */
export function definePlugin(spec: PluginSpec): AyaPlugin {
  if (typeof spec.name !== 'string' || !spec.name) throw new AyaError('definePlugin: a plugin needs a name');
  const bindings: { token: symbol; value: object }[] = [];
  for (const [key, items] of Object.entries(spec.contributes ?? {})) {
    const point = CONTRIBUTION_POINTS[key as keyof ContributionKinds];
    if (!point) {
      throw new AyaError(`plugin ${spec.name}: unknown contribution point '${key}'; known: ${Object.keys(CONTRIBUTION_POINTS).join(', ')}`);
    }
    for (const item of items ?? []) {
      const stamped = Object.freeze({ ...item, plugin: spec.name });
      assertContributionId(point.kind, stamped);
      bindings.push({ token: point.token as symbol, value: stamped });
    }
  }
  const containerModule = new ContainerModule(({ bind }) => {
    for (const { token, value } of bindings) bind(token).toConstantValue(value);
  });
  return Object.freeze({ name: spec.name, containerModule, apply: spec.apply });
}

