import { benchGenerate, benchMatmul, benchMerge, benchTrain, computeThreads, type BackendName } from '@aya-fw/core';
import { benchRl } from '@aya-fw/plugin-online-rl';
import { benchServe } from '@aya-fw/serve';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

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
  session.reporter.info(`plain file copies of the same I/O (read every input, write one output): ${r.copySeconds.toFixed(1)} s; the merge takes ${(r.mergeSeconds / r.copySeconds).toFixed(2)}× that`);
  session.reporter.info(`peak RSS: ${r.peakRssMb.toFixed(0)} MB`);
  session.reporter.result('benchMerge', r);
  return session;
}

/** Options of `aya-fw bench train` and `bench generate`. */
export interface BenchModelOptions extends GlobalOptions {
  readonly model: string;
  readonly batch: number;
  readonly seq: number;
  readonly steps: number;
  readonly newTokens: number;
}

/** `aya-fw bench train`: median step time, tokens/s, peak RSS and tensors leaked per step. */
export async function benchTrainCommand(opts: BenchModelOptions): Promise<Session> {
  const session = await openSession(opts);
  await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const r = benchTrain(session.engine, { model: opts.model, batch: opts.batch, seq: opts.seq, steps: opts.steps });
  const threads = r.backend === 'wasm' ? computeThreads() : 1;
  session.reporter.info(
    `train step (${(r.params / 1e6).toFixed(2)}M params, batch ${r.batch} × ${r.seq}) on ${r.backend}, ${threads} thread${threads === 1 ? '' : 's'}: ${r.stepMs.toFixed(1)} ms median of ${r.steps}, ${r.tokensPerSecond.toFixed(0)} tokens/s, peak RSS ${r.peakRssMb.toFixed(0)} MB, ${r.tensorsLeakedPerStep} tensors leaked per step`,
  );
  session.reporter.result('benchTrain', { ...r, threads });
  return session;
}

/** `aya-fw bench generate`: new tokens/s with the KV cache at batch 1 and 8. */
export async function benchGenerateCommand(opts: BenchModelOptions): Promise<Session> {
  const session = await openSession(opts);
  await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const rows = benchGenerate({ model: opts.model, batches: [1, 8], prompt: 16, newTokens: opts.newTokens });
  for (const r of rows) session.reporter.info(`generate batch ${r.batch}: ${r.tokensPerSecond.toFixed(1)} new tokens/s (${opts.newTokens} tokens, KV cache)`);
  session.reporter.result('benchGenerate', rows);
  return session;
}

/** Options of `aya-fw bench rl`. */
export interface BenchRlOptions extends GlobalOptions {
  readonly model: string;
  readonly prompts: number;
  readonly k: number;
  readonly newTokens: number;
  readonly steps: number;
}

/** `aya-fw bench rl`: one full RLOO step and its phases. */
export async function benchRlCommand(opts: BenchRlOptions): Promise<Session> {
  const session = await openSession(opts);
  await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const r = benchRl(session.engine, { model: opts.model, prompts: opts.prompts, k: opts.k, newTokens: opts.newTokens, steps: opts.steps });
  const threads = r.backend === 'wasm' ? computeThreads() : 1;
  const ms = (s: number) => `${(1000 * s).toFixed(0)} ms`;
  session.reporter.info(
    `rl step (${(r.params / 1e6).toFixed(2)}M params, ${r.prompts} prompts × k ${r.k}, ${r.newTokens} new tokens) on ${r.backend}, ${threads} thread${threads === 1 ? '' : 's'}: ${ms(r.stepSeconds)} median of ${r.steps} — generate ${ms(r.phases.generate)}, score ${ms(r.phases.score)}, frozen log-probs ${ms(r.phases.reference)}, update ${ms(r.phases.update)}; ${r.sampledTokensPerSecond.toFixed(0)} sampled tokens/s, ${r.tokensPerSecond.toFixed(0)} tokens/s, ${r.tensorsLeakedPerStep} tensors leaked per step`,
  );
  session.reporter.result('benchRl', { ...r, threads });
  return session;
}

/** `aya-fw bench matmul`: GFLOP/s of plain, transposed and batched products. */
export async function benchMatmulCommand(opts: GlobalOptions): Promise<Session> {
  const session = await openSession(opts);
  await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const rows = benchMatmul();
  for (const r of rows) session.reporter.info(`${r.case}: ${r.ms.toFixed(2)} ms, ${r.gflops.toFixed(2)} GFLOP/s`);
  session.reporter.result('benchMatmul', rows);
  return session;
}

/** Options of `aya-fw bench serve`. */
export interface BenchServeCommandOptions extends GlobalOptions {
  readonly model: string;
  readonly clients: string[];
  readonly requests: number;
  readonly newTokens: number;
}

/** `aya-fw bench serve`: requests/s and tokens/s of `aya-fw serve` at several numbers of concurrent clients. */
export async function benchServeCommand(opts: BenchServeCommandOptions): Promise<Session> {
  const session = await openSession(opts);
  const backend = await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const rows = await benchServe(session.engine, { model: opts.model, clients: opts.clients.map(Number), requestsPerClient: opts.requests, newTokens: opts.newTokens });
  const threads = backend.name === 'wasm' ? computeThreads() : 1;
  for (const r of rows) {
    session.reporter.info(`serve, ${r.clients} concurrent client${r.clients === 1 ? '' : 's'} (${r.requests} requests × ${opts.newTokens} tokens, ${backend.name}, ${threads} thread${threads === 1 ? '' : 's'}): ${r.requestsPerSecond.toFixed(1)} requests/s, ${r.tokensPerSecond.toFixed(0)} tokens/s, median latency ${r.medianLatencyMs.toFixed(0)} ms`);
  }
  session.reporter.result('benchServe', rows);
  return session;
}
