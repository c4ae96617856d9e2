import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAdapter, loadPretrained, savePretrained, UsageError, type SaveDtype } from '@aya-fw/core';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw adapter merge`. */
export interface AdapterMergeOptions extends GlobalOptions {
  readonly model: string;
  readonly adapter: string;
  readonly out: string;
  readonly dtype?: SaveDtype;
}

/**
 * `aya-fw adapter merge --model BASE --adapter DIR --out DIR`: PEFT's `merge_and_unload` — the
 * adapter's update folded into the base weights, saved as a plain model folder with the base's
 * tokenizer. Mixtures of experts (MoV, MoLoRA) route per input and cannot be folded: one line says so.
 */
export async function adapterMergeCommand(opts: AdapterMergeOptions): Promise<Session> {
  const session = await openSession(opts);
  const out = resolve(opts.out);
  if (existsSync(out)) throw new UsageError(`${out} already exists; choose another --out`);
  await startBackend(session, opts.backend ?? 'auto');
  const model = loadPretrained(opts.model, { trainable: false });
  try {
    const module = loadAdapter(session.engine, model, opts.adapter) as { mergeAndUnload?: () => void };
    if (typeof module.mergeAndUnload !== 'function') {
      throw new UsageError(`${opts.adapter}: this adapter type cannot be merged into the base (its update depends on the input, as a mixture of experts' does); use it with generate or serve --adapter`);
    }
    module.mergeAndUnload();
    savePretrained(model, out, { dtype: opts.dtype, tokenizerFrom: existsSync(join(opts.model, 'tokenizer.json')) ? opts.model : undefined });
  } finally {
    model.dispose();
  }
  session.reporter.info(`merged ${opts.adapter} into ${opts.model}: ${out}`);
  session.reporter.result('model', out);
  return session;
}
