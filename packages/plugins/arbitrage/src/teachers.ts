import { UsageError, z, type DataRow } from '@aya-fw/core';

/**
 * One teacher of the pool: a model folder, `stage:<name>`, or an OpenAI-compatible model
 * (`http://host:port/v1#name`), optionally limited to the languages it serves.
 */
export const TeacherSchema = z.union([
  z.string(),
  z
    .object({
      model: z.string(),
      name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only').optional().describe('Name in the output columns and the summary (default: the folder\'s, stage\'s or remote model\'s name).'),
      languages: z.array(z.string()).min(1).optional().describe('Languages it serves (the prompt rows\' `language`); all languages without a list.'),
    })
    .strict(),
]);
export type TeacherSpec = z.infer<typeof TeacherSchema>;

/** A teacher with its name settled. */
export interface Teacher {
  readonly name: string;
  readonly model: string;
  readonly languages?: readonly string[];
}

/** `runs/a/model` → `a`; `stage:teacher-b` → `teacher-b`; `http://h/v1#gpt` → `gpt`. */
function defaultName(model: string): string {
  if (model.includes('#')) return model.slice(model.lastIndexOf('#') + 1);
  if (model.startsWith('stage:')) return model.slice('stage:'.length).split('/')[0];
  const parts = model.split(/[\\/]/).filter(Boolean);
  const last = parts.pop() ?? model;
  return last === 'model' && parts.length ? parts.pop()! : last;
}

/** The pool with a distinct, file-safe name for every teacher. */
export function settleTeachers(specs: readonly TeacherSpec[], where: string): Teacher[] {
  const teachers = specs.map((s) => (typeof s === 'string' ? { model: s } : s)).map((s) => ({ ...s, name: s.name ?? defaultName(s.model).replace(/[^A-Za-z0-9._-]/g, '_') }));
  const seen = new Set<string>();
  for (const t of teachers) {
    if (seen.has(t.name)) throw new UsageError(`${where}: two teachers are named '${t.name}'; give each a distinct name`);
    seen.add(t.name);
  }
  return teachers;
}

/** Whether the teacher serves the row's language (a teacher without a list serves every row). */
export function serves(teacher: Teacher, row: DataRow): boolean {
  return !teacher.languages || teacher.languages.includes(String(row.language));
}
