import { UsageError, AyaError } from '../errors';
import { didYouMean, isKebabId } from '../ids';
import type { Contribution } from './contributions';

/**
 * The contributions of one kind (trainers, losses…), collected from every loaded plugin.
 * Ids are validated on collection: lowercase kebab-case and unique.
 */
export class Registry<T extends Contribution> {
  readonly #items = new Map<string, T>();

  constructor(
    /** Singular human name of the kind, used in errors (`loss`, `merge method`). */
    readonly kind: string,
    items: readonly T[],
  ) {
    for (const item of items) {
      assertContributionId(kind, item);
      const existing = this.#items.get(item.id);
      if (existing) {
        throw new AyaError(
          `${kind} '${item.id}' is registered twice (by ${existing.plugin ?? 'an unnamed plugin'} and ${item.plugin ?? 'an unnamed plugin'})`,
        );
      }
      this.#items.set(item.id, item);
    }
  }

  /** The contribution with this id; an unknown id is a {@link UsageError} that lists the known ones. */
  get(id: string): T {
    const item = this.#items.get(id);
    if (item) return item;
    const known = [...this.#items.keys()];
    const list = known.length ? `known: ${known.join(', ')}` : `none is registered; load a plugin that provides one with --plugins`;
    throw new UsageError(`unknown ${this.kind} '${id}'${didYouMean(id, known)}; ${list}`);
  }

  has(id: string): boolean {
    return this.#items.has(id);
  }

  ids(): string[] {
    return [...this.#items.keys()];
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  get size(): number {
    return this.#items.size;
  }
}

/** Throws unless a contribution has a kebab-case id and a description. */
export function assertContributionId(kind: string, item: Contribution): void {
  const by = item.plugin ? ` (from plugin ${item.plugin})` : '';
  if (typeof item?.id !== 'string' || !isKebabId(item.id)) {
    throw new AyaError(`${kind} id ${JSON.stringify(item?.id)}${by} must be lowercase kebab-case, like 'dare-ties'`);
  }
  if (typeof item.description !== 'string' || item.description.length === 0) {
    throw new AyaError(`${kind} '${item.id}'${by} needs a one-line description`);
  }
}
