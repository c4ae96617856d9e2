import { camelCase, closest, kebabCase, optionDocs, parseYamlValue as parseYaml, UsageError, type Engine, type OptionDoc, type TrainerDefinition } from '@aya-fw/core';

/** A group of options `aya-fw train <trainer>` takes as flags: the trainer's own, or those of a contribution its options name. */
export interface OptionGroup {
  /** `sft`, `optimizer adamw`, `loss dpo`, `adapter lora`. */
  readonly title: string;
  /** Where the group's fields go in the trainer's options (`[]`, `['optimizerConfig']`, `['adapter']`). */
  readonly at: readonly string[];
  readonly docs: readonly OptionDoc[];
}

/**
 * TRL / transformers TrainingArguments names (camel-cased) that have another name here, so that
 * `--num_train_epochs 3` or `--per_device_train_batch_size 4` work as TRL users type them.
 */
const TRL_NAMES: Readonly<Record<string, string>> = {
  numTrainEpochs: 'epochs',
  perDeviceTrainBatchSize: 'batchSize',
  trainBatchSize: 'batchSize',
  gradientAccumulationSteps: 'gradientAccumulation',
  saveSteps: 'checkpointEvery',
  evalSteps: 'evalEvery',
  loggingSteps: 'logEvery',
  lrSchedulerType: 'schedule.type',
  outputDir: '--out',
  resumeFromCheckpoint: '--resume',
};

/** Names people type that are not a field's name, pointed to (never applied silently). */
const HINTS: Readonly<Record<string, string>> = { lr: 'learningRate', bs: 'batchSize', steps: 'maxSteps', epoch: 'epochs' };

/** The default of a field that names a contribution (`loss`, `optimizer`), from the trainer's schema. */
function contributionDefault(docs: readonly OptionDoc[], field: string): string | undefined {
  const d = docs.find((o) => o.path === field)?.default;
  return d === undefined ? undefined : (JSON.parse(d) as string);
}

/**
 * The trainer's option groups for `options` (as read from the config file): its own schema's,
 * then its optimizer's, loss's and adapter's, where it takes `optimizerConfig`, `lossConfig`,
 * `adapter` (each contribution as named in `options`, else the trainer's default).
 */
export function optionGroups(engine: Engine, trainer: TrainerDefinition, options: Readonly<Record<string, unknown>>): OptionGroup[] {
  if (!trainer.configSchema) return [];
  const own = optionDocs(trainer.configSchema);
  const groups: OptionGroup[] = [{ title: trainer.id, at: [], docs: own }];
  const has = (path: string) => own.some((d) => d.path === path);
  const named = (field: string) => (typeof options[field] === 'string' ? (options[field] as string) : contributionDefault(own, field));
  const add = (kind: 'optimizers' | 'losses' | 'adapters', label: string, id: string | undefined, at: string[]) => {
    if (!id || !engine.registries[kind].has(id)) return;
    const schema = engine.registries[kind].get(id)!.configSchema;
    if (!schema) return;
    const docs = optionDocs(schema).filter((d) => !(kind === 'adapters' && d.path === 'type'));
    if (docs.length) groups.push({ title: `${label} ${id}`, at, docs });
  };
  if (has('optimizerConfig')) add('optimizers', 'optimizer', named('optimizer'), ['optimizerConfig']);
  if (has('lossConfig')) add('losses', 'loss', named('loss'), ['lossConfig']);
  const adapter = options.adapter as { type?: unknown } | undefined;
  if (has('adapter') && typeof adapter?.type === 'string') add('adapters', 'adapter', adapter.type, ['adapter']);
  return groups;
}

/** Where a flag's value goes, and how its text is read. */
interface Target {
  readonly path: readonly string[];
  readonly doc: OptionDoc;
}

/**
 * Every field a flag may name, by camel-cased name, in three tiers: the trainer's own fields
 * (dotted for nested ones), its contributions' fields, then nested fields by their own name
 * (`warmupSteps` for `schedule.warmupSteps`). A name takes its first tier that has it.
 */
function targets(groups: readonly OptionGroup[]): Map<string, Target[]> {
  const tiers = [new Map<string, Target[]>(), new Map<string, Target[]>(), new Map<string, Target[]>()];
  const add = (tier: number, name: string, t: Target) => tiers[tier].set(name, [...(tiers[tier].get(name) ?? []), t]);
  for (const g of groups) {
    for (const doc of g.docs) {
      const t = { path: [...g.at, ...doc.path.split('.')], doc };
      add(g.at.length ? 1 : 0, doc.path, t);
      const leaf = doc.path.split('.').at(-1)!;
      if (leaf !== doc.path) add(2, leaf, t);
    }
  }
  const byName = new Map<string, Target[]>();
  for (const tier of tiers) for (const [name, ts] of tier) if (!byName.has(name)) byName.set(name, ts);
  return byName;
}

/**
 * Applies `aya-fw train` flags to `options`: `--batch-size 4`, `--learning_rate=1e-5`,
 * `--no-packing`, `--languages en,fr`, `--schedule.type cosine` name fields of the trainer or of
 * its optimizer / loss / adapter (kebab-case, snake_case or camelCase; TRL's TrainingArguments
 * names too), values read by the field's type; then each `--set a.b=c` (any path, the value
 * read as YAML). Unknown flags are usage errors with the closest flag.
 */
export function applyOptionFlags(engine: Engine, trainer: TrainerDefinition, options: Record<string, unknown>, args: readonly string[], sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(options);
  // `--loss ipo --tau 0.2`: the contributions the command line chooses decide which fields its flags may name.
  const byName = targets(optionGroups(engine, trainer, { ...options, ...chosenContributions(args, sets) }));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new UsageError(`aya-fw train ${trainer.id}: unexpected argument '${arg}' (options are --name value; the trainer id comes first)`);
    const eq = arg.indexOf('=');
    const raw = arg.slice(2, eq < 0 ? undefined : eq);
    let name = raw.split('.').map(camelCase).join('.');
    let negated = false;
    if (!byName.has(name) && name.startsWith('no') && /^no[A-Z]/.test(name)) {
      const positive = name[2].toLowerCase() + name.slice(3);
      if (byName.get(positive)?.[0].doc.kind === 'boolean') [name, negated] = [positive, true];
    }
    const trl = TRL_NAMES[name];
    if (trl?.startsWith('--')) throw new UsageError(`--${raw}: use ${trl}`);
    if (trl) name = trl;
    const found = byName.get(name);
    if (!found) {
      const hint = HINTS[name] ?? closest(name, byName.keys());
      const suggestion = hint ? ` (did you mean --${hint.split('.').map(kebabCase).join('.')}?)` : '';
      throw new UsageError(`--${raw}: trainer '${trainer.id}' has no such option${suggestion}; aya-fw train ${trainer.id} --help lists them`);
    }
    if (found.length > 1) {
      throw new UsageError(`--${raw} names ${found.map((t) => t.path.join('.')).join(' and ')}; say which with --set ${found[0].path.join('.')}=…`);
    }
    const { path, doc } = found[0];
    let text: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (text === undefined && !(doc.kind === 'boolean' && (i + 1 >= args.length || !/^(true|false)$/.test(args[i + 1])))) {
      if (i + 1 >= args.length || (args[i + 1].startsWith('--') && doc.kind !== 'boolean')) throw new UsageError(`--${raw} needs a value (${doc.type})`);
      text = args[++i];
    }
    const value = negated ? false : readValue(`--${raw}`, doc, text);
    setPath(out, path, value);
  }
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${set}: expected path=value (e.g. --set lossConfig.beta=0.2)`);
    const path = set.slice(0, eq).split('.').map((p) => p.trim());
    if (path.some((p) => !p)) throw new UsageError(`--set ${set}: empty field name in '${set.slice(0, eq)}'`);
    setPath(out, path, parseYamlValue(`--set ${set}`, set.slice(eq + 1)));
  }
  return out;
}

/** `loss` and `optimizer` as the flags (`--loss ipo`, `--loss=ipo`) or `--set loss=ipo` choose them. */
function chosenContributions(args: readonly string[], sets: readonly string[]): Record<string, string> {
  const chosen: Record<string, string> = {};
  for (const field of ['loss', 'optimizer']) {
    args.forEach((a, i) => {
      if (a === `--${field}` && i + 1 < args.length) chosen[field] = args[i + 1];
      else if (a.startsWith(`--${field}=`)) chosen[field] = a.slice(field.length + 3);
    });
    for (const set of sets) if (set.startsWith(`${field}=`)) chosen[field] = set.slice(field.length + 1);
  }
  return chosen;
}

function readValue(flag: string, doc: OptionDoc, text: string | undefined): unknown {
  if (text === undefined) return true;
  switch (doc.kind) {
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new UsageError(`${flag}: expected true or false, got '${text}'`);
    case 'integer':
    case 'number': {
      const n = Number(text);
      if (!text.trim() || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got '${text}'`);
      return n;
    }
    case 'string':
      return text;
    case 'array':
      if (text.trim().startsWith('[')) return parseYamlValue(flag, text);
      return text.split(',').map((t) => t.trim()).filter(Boolean).map((t) => (doc.items === 'integer' || doc.items === 'number' ? readValue(flag, { ...doc, kind: doc.items }, t) : t));
    default:
      return parseYamlValue(flag, text);
  }
}

function parseYamlValue(flag: string, text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new UsageError(`${flag}: not a YAML value: ${(err as Error).message.split('\n')[0]}`);
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}
