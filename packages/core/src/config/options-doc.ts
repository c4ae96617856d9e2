import { z, type ZodType } from 'zod';

/** One option of a contribution's schema, as `--help` and the generated reference show it. */
export interface OptionDoc {
  /** Dotted path in the options (`batchSize`, `schedule.warmupSteps`). */
  readonly path: string;
  /** `integer`, `number`, `string`, `boolean`, `string[]`, `object`, `a | b` for choices. */
  readonly type: string;
  /** JSON of the default, when the schema has one. */
  readonly default?: string;
  readonly required: boolean;
  readonly description?: string;
  /** The JSON-schema type the command line coerces a value to. */
  readonly kind: 'integer' | 'number' | 'string' | 'boolean' | 'array' | 'object' | 'any';
  /** Element kind of an array option. */
  readonly items?: OptionDoc['kind'];
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  const?: unknown;
}

/**
 * The options a schema takes, from its JSON Schema (zod's own conversion): every top-level field,
 * and the fields of nested fixed-shape objects (`schedule.type`) after their parent. Records and
 * free-form objects (`optimizerConfig`) are one option: their fields belong to another schema.
 */
export function optionDocs(schema: ZodType): OptionDoc[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: OptionDoc[] = [];
  const visit = (node: JsonSchema, prefix: string) => {
    for (const [name, field] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      out.push(describeField(path, field, node.required?.includes(name) ?? false));
      if (field.properties && field.additionalProperties === false) visit(field, path);
    }
  };
  visit(json, '');
  return out;
}

function describeField(path: string, field: JsonSchema, required: boolean): OptionDoc {
  const { kind, items } = kindOf(field);
  return {
    path,
    type: typeName(field),
    ...(field.default !== undefined ? { default: JSON.stringify(field.default) } : {}),
    required: required && field.default === undefined,
    ...(field.description ? { description: field.description } : {}),
    kind,
    ...(items ? { items } : {}),
  };
}

function kindOf(field: JsonSchema): { kind: OptionDoc['kind']; items?: OptionDoc['kind'] } {
  const alternatives = field.anyOf ?? field.oneOf;
  if (alternatives) {
    // A string or a list of strings (`data`) is given as a string on the command line.
    const kinds = alternatives.map((a) => kindOf(a).kind);
    return { kind: kinds.every((k) => k === kinds[0]) ? kinds[0] : kinds.includes('string') ? 'string' : 'any' };
  }
  if (field.enum) return { kind: field.enum.every((e) => typeof e === 'string') ? 'string' : 'any' };
  const type = Array.isArray(field.type) ? field.type.find((t) => t !== 'null') : field.type;
  switch (type) {
    case 'integer':
    case 'number':
    case 'string':
    case 'boolean':
      return { kind: type };
    case 'array':
      return { kind: 'array', items: field.items ? kindOf(field.items).kind : 'any' };
    case 'object':
      return { kind: 'object' };
    default:
      return { kind: 'any' };
  }
}

function typeName(field: JsonSchema): string {
  if (field.enum) return field.enum.map((e) => String(e)).join(' | ');
  if (field.const !== undefined) return JSON.stringify(field.const);
  const alternatives = field.anyOf ?? field.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeName))].join(' | ');
  const type = Array.isArray(field.type) ? field.type.join(' | ') : field.type;
  if (type === 'array') return `${field.items ? typeName(field.items) : 'any'}[]`;
  if (type === 'object') return field.properties && field.additionalProperties === false ? 'object' : 'mapping';
  return type ?? 'any';
}

/** `batchSize` → `batch-size` (the command line's spelling of a field). */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `batch-size`, `batch_size` → `batchSize`. */
export function camelCase(name: string): string {
  return name.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The options as aligned text lines for `--help`: flag, type, default, description. */
export function formatOptionDocs(docs: readonly OptionDoc[], indent = '  '): string {
  const rows = docs.map((d) => [`--${d.path.split('.').map(kebabCase).join('.')}`, `${d.type}${d.required ? ' (required)' : ''}${d.default !== undefined ? ` = ${d.default}` : ''}`, d.description ?? '']);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.min(36, Math.max(...rows.map((r) => r[1].length)));
  return rows.map(([a, b, c]) => `${indent}${a.padEnd(w0)}  ${b.length > w1 ? `${b}\n${indent}${' '.repeat(w0 + 2 + w1)}` : b.padEnd(w1)}  ${c}`.trimEnd()).join('\n');
}

/** The options as a Markdown table: option, type, default, description. */
export function markdownOptionDocs(docs: readonly OptionDoc[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| option | type | default | description |', '| --- | --- | --- | --- |'];
  for (const d of docs) lines.push(`| \`${d.path}\` | ${cell(d.type)}${d.required ? ' (required)' : ''} | ${d.default !== undefined ? `\`${cell(d.default)}\`` : ''} | ${cell(d.description ?? '')} |`);
  return lines.join('\n');
}
