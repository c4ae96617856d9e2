import 'reflect-metadata';
import { AyaError, BACKEND_NAMES, errorMessage, InterruptedError } from '@aya-fw/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { adapterMergeCommand } from './commands/adapter';
import { benchGenerateCommand, benchMatmulCommand, benchMergeCommand, benchRlCommand, benchServeCommand, benchTrainCommand, type BenchServeCommandOptions } from './commands/bench';
import { dataArbitrageCommand } from './commands/data';
import { evalHarmCommand, evalWinRateCommand } from './commands/eval';
import { generateCommand } from './commands/generate';
import { mergeCommand } from './commands/merge';
import { mergeSearchCommand } from './commands/merge-search';
import { pluginsCommand } from './commands/plugins';
import { reproCommand } from './commands/repro';
import { runCommand } from './commands/run';
import { serveCommand } from './commands/serve';
import { trainCommand } from './commands/train';
import { defaultContributionIds, type Session } from './session';

const { version } = require('../package.json') as { version: string };

function parseList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `5GB`, `500MB`, `1e9` → bytes. */
function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(B|KB|MB|GB|TB)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size like 5GB, 500MB or a number of bytes');
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }[(m[2] ?? 'B').toUpperCase() as 'B'];
  return Math.floor(Number(m[1]) * unit);
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Wraps a command so that `--json` prints its results as one document when it finishes. */
function action<A extends unknown[]>(run: (...args: A) => Promise<Session>) {
  return async (...args: A) => {
    const session = await run(...args);
    session.reporter.flushJson();
  };
}

/** Adapter types of the default plugins, for the help of `train --adapter`. */
function adapterTypes(): string {
  try {
    return `${defaultContributionIds('adapters').join(', ')}, or a plugin's`;
  } catch {
    return 'an adapter type from a plugin (aya-fw plugins lists them)';
  }
}

/** The `aya-fw` program; each subcommand's work lives in `commands/<name>.ts`. */
export function buildProgram(): Command {
  const program = new Command('aya-fw')
    .description("Cohere's multilingual post-training recipes for Node.js: preference training, online RL, MoE adapters, merging")
    .version(version, '-V, --version')
    .option('-p, --plugins <list>', 'plugins to load, comma-separated (dpo → @aya-fw/plugin-dpo → aya-fw-plugin-dpo → dpo → ./dpo)', parseList)
    .option('--no-default-plugins', "do not load aya-fw's own plugins (data, optimizers, sft, reward, preference, peft, dpo, copg, online-rl, srpo, eval, bandit, merge, merge-search, arbitrage, aya-toy)")
    .addOption(new Option('-b, --backend <name>', 'compute backend (default: auto)').choices(BACKEND_NAMES))
    .option('--threads <n>', 'threads of the native compute kernels (default: every core)', parsePositiveInt)
    .option('-q, --quiet', 'print nothing but errors')
    .option('--json', 'print one JSON document with the results')
    .option('--verbose', 'print stack traces of errors')
    .showHelpAfterError('(run aya-fw --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run a recipe (YAML or JSON): load its plugins and run its stages in order')
    .argument('<recipe>', 'recipe file')
    .option('-o, --out <dir>', 'output folder (default: the recipe outDir, else runs/<name>)')
    .option('--seed <n>', 'seed of every random choice (default: the recipe seed)', parseSeed)
    .option('--resume', 'continue each stage from its newest complete checkpoint')
    .option('--force-resume', "resume even where a stage's options, data or model changed since its checkpoints")
    .option('--overwrite', 'replace an output folder that holds an earlier run (refused otherwise)')
    .action(action((recipe: string, _o: unknown, cmd: Command) => runCommand(recipe, cmd.optsWithGlobals())));

  program
    .command('train')
    .description('run one trainer (sft, reward, …) on a model folder and a data file; its options as flags (aya-fw train <trainer> --help)')
    .argument('[trainer]', 'trainer id (aya-fw train --help lists them)')
    .option('-m, --model <dir>', 'model folder (config.json, safetensors, tokenizer.json)')
    .option('-d, --data <file>', 'training data: JSONL, JSON or Parquet in a TRL format')
    .option('-c, --config <file>', "the trainer's options, YAML or JSON (flags override it)")
    .option('-o, --out <dir>', 'output folder (default runs/<trainer>)')
    .option('--seed <n>', 'seed of every random choice (default 0)', parseSeed)
    .option('--resume', 'continue from the newest complete checkpoint in the output folder')
    .option('--force-resume', 'resume even where the options, data or model changed since the checkpoints')
    .option('--overwrite', 'replace an output folder that holds an earlier run (refused otherwise)')
    .option('--adapter <type>', 'train an adapter on the frozen base (types listed below); its options as flags or under adapter: in --config')
    .option('--set <path=value>', 'set any option by its path, value as YAML (repeatable): --set lossConfig.beta=0.2', (v: string, prev: string[] = []) => [...prev, v])
    .option('-h, --help', "this help; with a trainer, the trainer's options")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    // Built only when the help is shown: listing the registry loads every default plugin.
    .addHelpText('after', () => `\nAdapter types (--adapter): ${adapterTypes()}`)
    .action(
      action((trainer: string | undefined, _o: unknown, cmd: Command) => {
        const rest = cmd.args.slice(trainer !== undefined && cmd.args[0] === trainer ? 1 : 0);
        return trainCommand(trainer, cmd.optsWithGlobals(), rest, () => cmd.helpInformation() + `\nAdapter types (--adapter): ${adapterTypes()}\n`);
      }),
    );

  program
    .command('plugins')
    .description('list the loaded plugins and what each contributes')
    .option('--trainer <id>', "a trainer's options (types, defaults, descriptions), with its default optimizer's and loss's")
    .option('--markdown', 'the options reference of every contribution, as Markdown (docs/reference.md)')
    .action(action((_o: unknown, cmd: Command) => pluginsCommand(cmd.optsWithGlobals())));

  program
    .command('merge')
    .description('merge checkpoints as a mergekit YAML says (every mergekit method: `aya-fw plugins` lists them), streamed tensor by tensor')
    .argument('<config>', 'mergekit YAML (merge_method, base_model, models[] or slices[].sources[] with layer_range, parameters, dtype, out_dtype, tokenizer_source, chat_template, random_seed)')
    .requiredOption('-o, --out <dir>', 'output folder (written to a temporary folder and renamed when complete)')
    .option('--max-shard-size <size>', 'largest output shard (default 5GB)', parseSize)
    .option('--overwrite', 'replace the output folder if it exists')
    .option('--no-tokenizer', 'allow a merge whose inputs have no tokenizer.json (weights only; refused otherwise)')
    .action(action((config: string, _o: unknown, cmd: Command) => mergeCommand(config, cmd.optsWithGlobals())));

  program
    .command('merge-search')
    .description('search merge weights of a checkpoint pool with CMA-ES (macro-average or Pareto front over evaluators); best merge + report')
    .argument('<config>', 'YAML: pool, method, genome, evaluators, objective, maxEvaluations (paths relative to it)')
    .option('--out <dir>', 'output folder (default runs/merge-search)')
    .option('--resume', 'continue a killed search from its saved state')
    .option('--seed <n>', 'seed (default 0)', parseSeed)
    .action(action((file: string, _o: unknown, cmd: Command) => mergeSearchCommand(file, cmd.optsWithGlobals())));

  const bench = program.command('bench').description('benchmarks that print numbers: train, generate, rl, serve, matmul, merge');
  bench
    .command('train')
    .description('one training step (forward, cross-entropy, backward, Adam): median step time and tokens/s')
    .requiredOption('-m, --model <path>', 'model folder or config.json (random weights without safetensors)')
    .option('--batch <n>', 'batch size', parsePositiveInt, 8)
    .option('--seq <n>', 'sequence length', parsePositiveInt, 64)
    .option('--steps <n>', 'measured steps after 3 warm-up steps', parsePositiveInt, 10)
    .action(action((_o: unknown, cmd: Command) => benchTrainCommand(cmd.optsWithGlobals())));
  bench
    .command('generate')
    .description('new tokens/s with the KV cache at batch 1 and 8')
    .requiredOption('-m, --model <path>', 'model folder or config.json')
    .option('--new-tokens <n>', 'tokens generated per row', parsePositiveInt, 32)
    .action(action((_o: unknown, cmd: Command) => benchGenerateCommand(cmd.optsWithGlobals())));
  bench
    .command('rl')
    .description('one full online RL step (sample k per prompt, score, frozen log-probs, update): time per phase, tokens/s')
    .requiredOption('-m, --model <path>', 'model folder or config.json')
    .option('--prompts <n>', 'prompts per step', parsePositiveInt, 4)
    .option('-k <n>', 'completions per prompt', parsePositiveInt, 4)
    .option('--new-tokens <n>', 'tokens sampled per completion', parsePositiveInt, 32)
    .option('--steps <n>', 'timed steps (after one warm-up step)', parsePositiveInt, 5)
    .action(action((_o: unknown, cmd: Command) => benchRlCommand(cmd.optsWithGlobals())));
  bench
    .command('serve')
    .description('requests/s and tokens/s of aya-fw serve at 1, 8 and 32 concurrent clients (loopback HTTP)')
    .requiredOption('-m, --model <dir>', 'model folder')
    .option('--clients <list>', 'concurrent clients per level, comma-separated', parseList)
    .option('--requests <n>', 'requests per client at each level', parsePositiveInt, 4)
    .option('--new-tokens <n>', 'new tokens per request', parsePositiveInt, 32)
    .action(action((_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<BenchServeCommandOptions>();
      return benchServeCommand({ ...o, clients: o.clients ?? ['1', '8', '32'] });
    }));
  bench
    .command('matmul')
    .description('GFLOP/s of the matrix products a transformer step runs')
    .action(action((_o: unknown, cmd: Command) => benchMatmulCommand(cmd.optsWithGlobals())));
  bench
    .command('merge')
    .description('merge a pool of synthetic bf16 checkpoints; throughput beside the raw read rate and plain file copies of the same I/O')
    .option('--size-gb <gb>', 'size of each synthetic model', parsePositive, 2)
    .option('--models <n>', 'models in the pool', parsePositiveInt, 3)
    .option('--method <id>', 'any registered merge method (linear, ties, della, model_stock, …)', 'linear')
    .option('--dir <dir>', 'folder for the pool (default: a temporary folder); a pool kept there (--keep) is reused')
    .option('--keep', 'keep the pool and the merged model')
    .action(action((_o: unknown, cmd: Command) => benchMergeCommand(cmd.optsWithGlobals())));

  program
    .command('generate')
    .description('generate a completion from a Hugging Face model folder (KV cache; greedy unless --sample)')
    .requiredOption('-m, --model <dir>', 'model folder (config.json, safetensors, tokenizer.json)')
    .requiredOption('--prompt <text>', 'the prompt')
    .option('--chat', "wrap the prompt as a user message with the model's chat template")
    .option('--system <text>', 'a system message (with --chat)')
    .option('-n, --max-new-tokens <n>', 'most new tokens', parsePositiveInt, 64)
    .option('--sample', 'sample instead of greedy decoding')
    .option('--temperature <t>', 'sampling temperature', parsePositive)
    .option('--top-k <k>', 'keep the k most likely tokens when sampling', parsePositiveInt)
    .option('--top-p <p>', 'nucleus sampling threshold', parsePositive)
    .option('--seed <n>', 'sampling seed (default 0)', parseSeed)
    .option('--revisions <n>', 'self-revise the answer n times (SRPO inference)', parsePositiveInt)
    .option('--revision-template <text>', 'revision prompt with {prompt} and {draft}')
    .option('--adapter <dir>', 'PEFT adapter folder (LoRA, IA3, MoV, MoLoRA…) loaded onto the model')
    .action(action((_o: unknown, cmd: Command) => generateCommand(cmd.optsWithGlobals())));

  const adapter = program.command('adapter').description('adapter folders (PEFT format): merge one into its base');
  adapter
    .command('merge')
    .description("fold an adapter into its base model (PEFT's merge_and_unload) and save a plain model folder")
    .requiredOption('-m, --model <dir>', 'base model folder')
    .requiredOption('--adapter <dir>', 'adapter folder (adapter_config.json, adapter_model.safetensors)')
    .requiredOption('--out <dir>', 'folder for the merged model (must not exist)')
    .addOption(new Option('--dtype <dtype>', 'weight dtype of the merged model').choices(['float32', 'bfloat16', 'float16']))
    .action(action((_o: unknown, cmd: Command) => adapterMergeCommand(cmd.optsWithGlobals())));

  program
    .command('serve')
    .description('serve a model over an OpenAI-compatible HTTP API (chat and text completions, streaming, continuous batching)')
    .requiredOption('-m, --model <dir>', 'model folder')
    .option('--adapter <dir>', 'PEFT adapter folder loaded onto the model')
    .option('--name <id>', "model id clients send (default: the folder's name)")
    .option('--host <host>', 'interface to listen on (loopback unless you say otherwise)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', (v) => (v === '0' ? 0 : parsePositiveInt(v)), 8000)
    .option('--api-key <key>', 'require Authorization: Bearer <key> on /v1 (default: $AYA_FW_API_KEY)')
    .option('--max-batch <n>', 'rows decoded together', parsePositiveInt, 32)
    .option('--max-queue <n>', 'rows waiting before requests get 429', parsePositiveInt, 256)
    .option('--max-body <size>', 'largest request body', parseSize, 1 << 20)
    .option('--request-timeout <s>', 'cancel a request after this many seconds', parsePositive, 300)
    .option('--max-tokens <n>', 'completion tokens when a request names none', parsePositiveInt, 256)
    .action(action((_o: unknown, cmd: Command) => serveCommand(cmd.optsWithGlobals())));

  const evaluate = program.command('eval').description('evaluations: win-rates with a judge, harmful-generation rates');
  /** The options `eval winrate` and `eval harm` share: the model, the report, the prompt filter, the judge's options. */
  const evalCommand = (name: string, description: string, configure: (cmd: Command) => Command) =>
    configure(
      evaluate
        .command(name)
        .description(description)
        .requiredOption('-m, --model <ref>', 'model folder or remote model (http://host:port/v1#name)')
        .option('--model-name <name>', 'name of the model in the report', 'model'),
    )
      .option('--judge-config <json>', 'judge options as JSON (model, system, template, format, maxNewTokens, threshold, …)')
      .option('--out <dir>', `report folder (default runs/eval-${name})`)
      .option('-n, --max-new-tokens <n>', 'most new tokens per answer', parsePositiveInt)
      .option('--languages <list>', 'only these languages, comma-separated', parseList)
      .option('--per-language <n>', 'at most n prompts per language', parsePositiveInt)
      .option('--seed <n>', 'seed of the bootstrap (default 0)', parseSeed);
  evalCommand('winrate', 'win-rate of a model against a baseline, judged pairwise in both orders, per language with bootstrap 95% intervals; report.md + PNG', (cmd) =>
    cmd
      .requiredOption('--baseline <ref>', 'baseline folder or remote model')
      .requiredOption('--prompts <path>', 'prompt file (prompt, language) or an m-ArenaHard folder (one per language)')
      .requiredOption('--judge <ref>', 'judge id (toy-judge, …) or an LLM judge URL (http://host:port/v1#name)')
      .option('--no-position-swap', 'judge only with the model as A (half the judge calls; position bias stays)'),
  ).action(action((_o: unknown, cmd: Command) => evalWinRateCommand(cmd.optsWithGlobals())));
  evalCommand('harm', 'harmful-generation rate of a model on red-teaming prompts, per language, global and local, with bootstrap 95% intervals; report.md + PNG', (cmd) =>
    cmd
      .requiredOption('--prompts <path>', 'red-teaming prompts (prompt, language, harm_category, global_or_local): JSONL, JSON, Parquet, or a folder of them')
      .option('--judge <ref>', 'harm judge: toy-harm (default), harm-classifier, llm-harm, or an LLM judge URL'),
  ).action(action((_o: unknown, cmd: Command) => evalHarmCommand(cmd.optsWithGlobals())));

  const data = program.command('data').description('datasets built from models: arbitrage over a teacher pool');
  data
    .command('arbitrage')
    .description("send each prompt to a pool of teachers, keep the arbiter's best completion (SFT data) and best/worst (preference pairs); resumable")
    .requiredOption('--teachers <list>', 'teachers, comma-separated: model folders or remote models (http://host:port/v1#name), each optionally NAME=… and …@en+es (languages it serves)', parseList)
    .requiredOption('--arbiter <ref>', 'reward function id (toy-reward, …), reward-model folder, or a rewards list as JSON')
    .option('--arbiter-config <json>', 'options of the reward function, as JSON')
    .requiredOption('--prompts <file>', 'prompt rows (prompt, language, and what the arbiter reads): JSONL, JSON or Parquet')
    .option('--out <dir>', 'output folder (default runs/arbitrage)')
    .option('-n, --max-new-tokens <n>', 'most new tokens per completion (default 64)', parsePositiveInt)
    .option('--temperature <t>', 'sample at this temperature (default 0: greedy)', (v) => {
      const n = Number(v);
      if (!(n >= 0)) throw new InvalidArgumentError('expected a number ≥ 0');
      return n;
    })
    .option('--languages <list>', 'only prompts in these languages, comma-separated', parseList)
    .option('--chunk-size <n>', 'prompts per committed chunk (default 64)', parsePositiveInt)
    .option('--resume', 'continue a killed run from its committed chunks')
    .option('--seed <n>', 'seed of sampling (default 0)', parseSeed)
    .action(action((_o: unknown, cmd: Command) => dataArbitrageCommand(cmd.optsWithGlobals())));

  program
    .command('repro')
    .description("reproduce a paper's own check (copg-bandit, moe-toy, …)")
    .argument('<id>', 'reproduction id')
    .option('--seed <n>', 'seed (default 0)', parseSeed)
    .option('--out <dir>', 'folder for the reproduction\'s files (default runs/repro-<id>)')
    .option('--size <size>', 'full (default) or reduced (the size the test suite runs)')
    .action(action((id: string, _o: unknown, cmd: Command) => reproCommand(id, cmd.optsWithGlobals())));

  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 usage. An error is one line on
 * stderr (and a JSON document with `--json`); the stack trace only with `--verbose`.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const code = err instanceof AyaError ? err.exitCode : 1;
    const message = errorMessage(err).split('\n')[0];
    if (json) process.stdout.write(JSON.stringify({ error: message, exitCode: code }) + '\n');
    if (err instanceof InterruptedError) {
      process.stderr.write(`aya-fw: ${message}\naya-fw: resume with: ${resumeCommand(argv)}\n`);
      return code;
    }
    process.stderr.write(`aya-fw: error: ${message}\n`);
    if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return code;
  }
}

/** The command line that continues an interrupted run: the same one with --resume (and without --overwrite). */
function resumeCommand(argv: readonly string[]): string {
  const args = argv.slice(2).filter((a) => a !== '--overwrite');
  if (!args.includes('--resume') && !args.includes('--force-resume')) args.push('--resume');
  return ['aya-fw', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
