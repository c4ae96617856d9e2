import { runMerge } from '@aya-fw/core';
import { resolve } from 'node:path';
import { openSession, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw merge`. */
export interface MergeCommandOptions extends GlobalOptions {
  readonly out: string;
  readonly maxShardSize?: number;
  readonly overwrite?: boolean;
  /** `--no-tokenizer` sets this false: a weights-only merge. */
  readonly tokenizer: boolean;
}

/** `aya-fw merge <config.yml> --out DIR`: a mergekit-style merge, streamed tensor by tensor. */
export async function mergeCommand(configFile: string, opts: MergeCommandOptions): Promise<Session> {
  const session = await openSession(opts);
  const outDir = resolve(opts.out);
  const summary = await runMerge(session.engine, configFile, { outDir, maxShardSize: opts.maxShardSize, overwrite: opts.overwrite, requireTokenizer: opts.tokenizer, onWarning: (m) => session.reporter.warn(m) });
  session.reporter.info(`merged ${summary.tensors} tensors with ${summary.method} into ${outDir} (${(summary.inputBytes / summary.seconds / 1e9).toFixed(2)} GB/s read)`);
  session.reporter.result('merge', summary);
  return session;
}
