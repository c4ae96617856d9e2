import { generate, loadPretrained, Tokenizer, UsageError } from '@aya-fw/core';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw generate`. */
export interface GenerateCommandOptions extends GlobalOptions {
  readonly model: string;
  readonly prompt: string;
  readonly chat?: boolean;
  readonly system?: string;
  readonly maxNewTokens: number;
  readonly sample?: boolean;
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly seed?: number;
}

/** `aya-fw generate --model DIR --prompt "…" [--chat]`: one completion, with the KV cache. */
export async function generateCommand(opts: GenerateCommandOptions): Promise<Session> {
  const session = await openSession(opts);
  await startBackend(session, opts.backend ?? 'auto');
  const tokenizer = Tokenizer.fromPretrained(opts.model);
  const model = loadPretrained(opts.model, { trainable: false });
  try {
    const messages = [...(opts.system ? [{ role: 'system', content: opts.system }] : []), { role: 'user', content: opts.prompt }];
    const prompt = opts.chat ? tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, tokenize: true }) : tokenizer.encode(opts.prompt);
    if (prompt.length === 0) throw new UsageError('the prompt encodes to no tokens');
    const eos = [...new Set([...model.config.eosTokenIds, ...(tokenizer.eosTokenId === undefined ? [] : [tokenizer.eosTokenId])])];
    const started = Date.now();
    const out = generate(model, [prompt], {
      maxNewTokens: opts.maxNewTokens,
      doSample: opts.sample,
      temperature: opts.temperature,
      topK: opts.topK,
      topP: opts.topP,
      seed: opts.seed,
      eosTokenIds: eos,
    });
    const seconds = (Date.now() - started) / 1000;
    const tokens = out.tokens[0];
    const text = tokenizer.decode(tokens, { skipSpecialTokens: true });
    if (session.reporter.mode === 'tty' || session.reporter.mode === 'plain') process.stdout.write(`${text}\n`);
    session.reporter.result('completion', text);
    session.reporter.result('tokens', tokens);
    session.reporter.result('finished', out.finished[0]);
    session.reporter.result('tokensPerSecond', tokens.length / Math.max(seconds, 1e-9));
    return session;
  } finally {
    model.dispose();
  }
}
