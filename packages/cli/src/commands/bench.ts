import { benchMerge } from '@aya-fw/core';
import { openSession, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw bench merge`. */
export interface BenchMergeCommandOptions extends GlobalOptions {
  readonly sizeGb: number;
  readonly models: number;
  readonly method: string;
  readonly dir?: string;
  readonly keep?: boolean;
}

/** `aya-fw bench merge`: merge throughput next to the raw read rate of the same files. */
export async function benchMergeCommand(opts: BenchMergeCommandOptions): Promise<Session> {
  const session = await openSession(opts);
  session.reporter.info(`writing ${opts.models} synthetic bf16 models of ${opts.sizeGb} GB…`);
  const r = await benchMerge(session.engine, { sizeGb: opts.sizeGb, models: opts.models, method: opts.method, dir: opts.dir, keep: opts.keep });
  session.reporter.info(`raw sequential read (warm page cache): ${r.readGbPerSecond.toFixed(2)} GB/s`);
  session.reporter.info(
    `merge (${r.method}, ${r.models} × ${(r.inputGb / r.models).toFixed(2)} GB → bf16): ${r.mergeGbPerSecond.toFixed(2)} GB/s read, ${r.mergeSeconds.toFixed(1)} s = ${(100 * r.ratio).toFixed(0)}% of the raw read rate`,
  );
  session.reporter.info(`peak RSS: ${r.peakRssMb.toFixed(0)} MB`);
  session.reporter.result('benchMerge', r);
  return session;
}
