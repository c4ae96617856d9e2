import type { ZodType } from 'zod';
import { ConfigError } from '../errors';
import { didYouMean } from '../ids';

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
  const message = unknown === undefined ? issue.message : `unknown field${didYouMean(String(unknown), objectKeysAt(schema, issue.path) ?? [])}`;
  const at = options.locate?.(path) ?? where;
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw new ConfigError(`${at}: ${formatPath(path)}: ${message}${more}`);
}

interface ZodDefLike {
  type?: string;
  shape?: Record<string, ZodType>;
  innerType?: ZodType;
  in?: ZodType;
  element?: ZodType;
  options?: readonly ZodType[];
  valueType?: ZodType;
  getter?: () => ZodType;
  left?: ZodType;
  right?: ZodType;
}

/** The field names the object schema at `path` declares (through optionals, defaults, pipes, arrays, unions), for did-you-mean. */
function objectKeysAt(schema: ZodType, path: readonly PropertyKey[]): string[] | undefined {
  const def = (schema as unknown as { _zod?: { def?: ZodDefLike } })._zod?.def;
  if (!def) return undefined;
  const inner = def.innerType ?? def.in ?? (def.getter ? def.getter() : undefined);
  if (inner && def.type !== 'object') return objectKeysAt(inner, path);
  if (def.type === 'union' && def.options) {
    const keys = def.options.flatMap((o) => objectKeysAt(o, path) ?? []);
    return keys.length ? keys : undefined;
  }
  if (def.type === 'intersection' && def.left && def.right) return [...(objectKeysAt(def.left, path) ?? []), ...(objectKeysAt(def.right, path) ?? [])];
  if (path.length === 0) return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
  const [head, ...rest] = path;
  if (def.type === 'object' && def.shape && typeof head === 'string' && def.shape[head]) return objectKeysAt(def.shape[head], rest);
  if (def.type === 'array' && def.element && typeof head === 'number') return objectKeysAt(def.element, rest);
  if (def.type === 'record' && def.valueType) return objectKeysAt(def.valueType, rest);
  return undefined;
}
