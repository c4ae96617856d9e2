import { DEFAULT_REVISION_TEMPLATE, generate, loadAdapter, loadPretrained, revisionPrompt, stopTokenIds, Tokenizer, UsageError } from '@aya-fw/core';
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
  /** Self-revisions after the first answer (SRPO inference). */
  readonly revisions?: number;
  readonly revisionTemplate?: string;
  /** PEFT adapter folder loaded onto the model. */
  readonly adapter?: string;
}

/**
 * `aya-fw generate --model DIR [--adapter DIR] --prompt "…" [--chat]`: one completion, with the KV
 * cache. The completion is written to stdout; the banner and messages to stderr.
 */
export async function generateCommand(opts: GenerateCommandOptions): Promise<Session> {
  const session = await openSession(opts, [], { messages: 'stderr' });
  // The folder is checked (and its tokenizer read) before the backend starts and says so.
  const tokenizer = Tokenizer.fromPretrained(opts.model);
  await startBackend(session, opts.backend ?? 'auto');
  const model = loadPretrained(opts.model, { trainable: false });
  try {
    if (opts.adapter) loadAdapter(session.engine, model, opts.adapter);
    const messages = [...(opts.system ? [{ role: 'system', content: opts.system }] : []), { role: 'user', content: opts.prompt }];
    if (opts.revisions && opts.chat) throw new UsageError('--revisions works with text prompts (the revision template is text), not with --chat');
    const eos = stopTokenIds(model, tokenizer);
    const complete = (ids: number[]) => {
      if (ids.length === 0) throw new UsageError('the prompt encodes to no tokens');
      const out = generate(model, [ids], {
        maxNewTokens: opts.maxNewTokens,
        doSample: opts.sample,
        temperature: opts.temperature,
        topK: opts.topK,
        topP: opts.topP,
        seed: opts.seed,
        eosTokenIds: eos,
      });
      return { tokens: out.tokens[0], finished: out.finished[0], text: tokenizer.decode(out.tokens[0], { skipSpecialTokens: true }) };
    };
    const started = Date.now();
    let result = complete(opts.chat ? tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, tokenize: true }) : tokenizer.encode(opts.prompt));
    const drafts = [result.text];
    let generated = result.tokens.length;
    for (let r = 0; r < (opts.revisions ?? 0); r++) {
      // SRPO inference: y_{k+1} ~ π(· | x, y_k), the same model prompted to improve its last answer.
      result = complete(tokenizer.encode(revisionPrompt(opts.revisionTemplate ?? DEFAULT_REVISION_TEMPLATE, opts.prompt, result.text)));
      drafts.push(result.text);
      generated += result.tokens.length;
    }
    const seconds = (Date.now() - started) / 1000;
    // The completion is the product: stdout, even with --quiet; everything else went to stderr.
    if (session.reporter.mode !== 'json') process.stdout.write(`${result.text}\n`);
    session.reporter.result('completion', result.text);
    session.reporter.result('tokens', result.tokens);
    session.reporter.result('finished', result.finished);
    if (opts.revisions) session.reporter.result('drafts', drafts);
    session.reporter.result('tokensPerSecond', generated / Math.max(seconds, 1e-9));
    return session;
  } finally {
    model.dispose();
  }
}
