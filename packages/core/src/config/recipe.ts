import { resolve, dirname } from 'node:path';
import { z } from 'zod';
import { BACKEND_NAMES } from '../backend/select';
import { ConfigError } from '../errors';
import { isKebabId } from '../ids';
import { readConfigFile, type ConfigFile } from './files';
import { parseWithSchema } from './validate';

/** One stage of a recipe: a trainer from the trainer registry and its options. */
export const StageSchema = z
  .object({
    /** Stage name, unique in the recipe (default: the trainer id). */
    name: z.string().refine(isKebabId, 'expected a kebab-case name').optional(),
    /** Trainer id in the trainer registry. */
    trainer: z.string(),
    /** The trainer's options, validated by the trainer's own schema. */
    with: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** A recipe: plugins to load and stages to run in order. */
export const RecipeSchema = z
  .object({
    /** Recipe name, used for the default output folder. */
    name: z.string().refine(isKebabId, 'expected a kebab-case name'),
    description: z.string().optional(),
    /** Plugins to load, as on `--plugins` (short names, package names or paths relative to the recipe). */
    plugins: z.array(z.string()).default([]),
    /** Compute backend (default `auto`); `--backend` overrides it. */
    backend: z.enum(BACKEND_NAMES).default('auto'),
    /** Seed of every random choice (default 0); `--seed` overrides it. */
    seed: z.number().int().nonnegative().default(0),
    /** Output folder, relative to the recipe's folder (default `runs/<name>` in the working directory). */
    outDir: z.string().optional(),
    stages: z.array(StageSchema).min(1),
  })
  .strict();

export type StageConfig = z.infer<typeof StageSchema> & { name: string };
export type Recipe = Omit<z.infer<typeof RecipeSchema>, 'stages'> & { stages: StageConfig[] };

/** A validated recipe and the file it came from. */
export interface LoadedRecipe {
  readonly recipe: Recipe;
  readonly source: ConfigFile;
  /** Folder of the recipe file: relative paths in it resolve from here. */
  readonly baseDir: string;
}

/** Reads and validates a recipe; errors name the file, line, field path and expectation. */
export function loadRecipe(file: string): LoadedRecipe {
  const source = readConfigFile(file);
  const parsed = parseWithSchema(RecipeSchema, source.value, file, { locate: source.locate });
  const seen = new Set<string>();
  const stages = parsed.stages.map((s, i) => {
    const name = s.name ?? s.trainer;
    if (seen.has(name)) {
      throw new ConfigError(`${source.locate(['stages', i]) ?? file}: stages[${i}].name: stage name '${name}' is used twice; give each stage a unique name`);
    }
    seen.add(name);
    return { ...s, name };
  });
  return { recipe: { ...parsed, stages }, source, baseDir: dirname(resolve(file)) };
}
