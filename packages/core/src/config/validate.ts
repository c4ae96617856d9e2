import type { ZodType } from 'zod';
import { ConfigError } from '../errors';

/** `stages[0].with.beta` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/** Where a validated value sits inside a file. */
export interface ParseOptions {
  /** Path of the value inside its file (`['stages', 0, 'with']`). */
  readonly prefix?: readonly PropertyKey[];
  /** Maps a full path to `file:line`. */
  readonly locate?: (path: readonly PropertyKey[]) => string | undefined;
}

/**
 * Validates `value` with `schema`, filling in defaults. On failure throws a {@link ConfigError}
 * whose message is `<where>: <field path>: <what was expected>`; `locate` may turn a
 * path into a line (`recipe.yaml:12`).
 */
export function parseWithSchema<T>(
  schema: ZodType<T>,
  value: unknown,
  where: string,
  options: ParseOptions = {},
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An unknown key is reported at the key itself, so the line points at it.
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = [...(options.prefix ?? []), ...issue.path, ...(unknown === undefined ? [] : [unknown])];
  const message = unknown === undefined ? issue.message : 'unknown field';
  const at = options.locate?.(path) ?? where;
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw new ConfigError(`${at}: ${formatPath(path)}: ${message}${more}`);
}
