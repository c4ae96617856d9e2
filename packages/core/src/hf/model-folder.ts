import { statSync } from 'node:fs';
import { UsageError } from '../errors';

/**
 * Checks that `dir` is a folder before a model or tokenizer is read from it: a path that does
 * not exist is "no such folder", and one spelled like a Hub id (`org/name`) says that aya-fw
 * reads local copies only, with the command that makes one.
 */
export function requireModelFolder(dir: string): void {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st?.isDirectory()) return;
  if (st) throw new UsageError(`${dir}: not a folder (a model is a folder with config.json, the weights and tokenizer.json)`);
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(dir)) {
    const name = dir.split('/')[1];
    throw new UsageError(`${dir}: no such folder; it looks like a Hugging Face Hub id, and aya-fw reads local folders only (nothing is downloaded): huggingface-cli download ${dir} --local-dir models/${name}, then use models/${name}`);
  }
  throw new UsageError(`${dir}: no such model folder`);
}
