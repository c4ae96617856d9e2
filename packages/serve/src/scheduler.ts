import { BatchDecoder, errorMessage, type DecodedToken, type DecodeRequest, type DecodeRow, type PretrainedModel } from '@aya-fw/core';

/** What a job's listener hears: each token, then the end (or the failure that ended it). */
export type JobEvent = { readonly type: 'token'; readonly token: DecodedToken } | { readonly type: 'error'; readonly message: string };

/** One sequence in the scheduler: waiting for a batch slot, then decoding. */
export class Job {
  row?: DecodeRow;
  cancelled = false;
  constructor(
    readonly request: DecodeRequest,
    readonly listener: (e: JobEvent) => void,
  ) {}
}

/** The queue is full: the caller answers 429. */
export class QueueFullError extends Error {}

/** Options of a {@link GenerationScheduler}. */
export interface SchedulerOptions {
  readonly eosTokenIds: readonly number[];
  /** Rows decoded together (default 32). */
  readonly maxBatch?: number;
  /** Rows waiting for a slot before new requests are refused (default 256). */
  readonly maxQueue?: number;
}

/**
 * Continuous batching for the server: every request's choices are rows of one
 * {@link BatchDecoder}; rows join at the next step when a slot is free and leave when they
 * finish or their client goes away. Between steps the event loop runs (HTTP keeps flowing).
 */
export class GenerationScheduler {
  readonly #model: PretrainedModel;
  readonly #options: Required<SchedulerOptions>;
  #decoder: BatchDecoder;
  readonly #waiting: Job[] = [];
  readonly #running = new Map<DecodeRow, Job>();
  #looping = false;
  /** Decode steps run and rows finished, for `GET /health` and benchmarks. */
  readonly stats = { steps: 0, rows: 0, maxRowsInStep: 0 };

  constructor(model: PretrainedModel, options: SchedulerOptions) {
    this.#model = model;
    this.#options = { maxBatch: 32, maxQueue: 256, ...options };
    this.#decoder = new BatchDecoder(model, { eosTokenIds: options.eosTokenIds });
  }

  /** Rows waiting for a slot and rows decoding. */
  get load(): { waiting: number; running: number } {
    return { waiting: this.#waiting.length, running: this.#running.size };
  }

  /** Queues the rows of one request, all or none: {@link QueueFullError} when they do not fit. */
  submit(requests: readonly DecodeRequest[], listener: (index: number, e: JobEvent) => void): Job[] {
    if (this.#waiting.length + requests.length > this.#options.maxQueue + Math.max(0, this.#options.maxBatch - this.#running.size)) {
      throw new QueueFullError(`the server's queue is full (${this.#waiting.length} rows waiting, ${this.#running.size} decoding); retry later`);
    }
    const jobs = requests.map((r, i) => new Job(r, (e) => listener(i, e)));
    this.#waiting.push(...jobs);
    if (!this.#looping) void this.#loop();
    return jobs;
  }

  /** Stops a job (its client went away or a stop string appeared); its slot frees at the next step. */
  cancel(job: Job): void {
    job.cancelled = true;
    if (job.row) this.#decoder.cancel(job.row);
    else {
      const at = this.#waiting.indexOf(job);
      if (at >= 0) this.#waiting.splice(at, 1);
    }
  }

  /** Stops accepting work and frees the decoder. */
  dispose(): void {
    for (const job of [...this.#waiting, ...this.#running.values()]) job.listener({ type: 'error', message: 'the server is shutting down' });
    this.#waiting.length = 0;
    this.#running.clear();
    this.#decoder.dispose();
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    try {
      while (this.#waiting.length > 0 || this.#running.size > 0) {
        while (this.#waiting.length > 0 && this.#running.size < this.#options.maxBatch) {
          const job = this.#waiting.shift()!;
          try {
            job.row = this.#decoder.add(job.request);
            this.#running.set(job.row, job);
          } catch (err) {
            job.listener({ type: 'error', message: errorMessage(err) });
          }
        }
        let events: DecodedToken[];
        try {
          events = this.#decoder.step();
        } catch (err) {
          // A failed step fails the rows in it, not the server: start a fresh decoder.
          for (const job of this.#running.values()) job.listener({ type: 'error', message: errorMessage(err) });
          this.#running.clear();
          this.#decoder.dispose();
          this.#decoder = new BatchDecoder(this.#model, { eosTokenIds: this.#options.eosTokenIds });
          continue;
        }
        this.stats.steps++;
        this.stats.maxRowsInStep = Math.max(this.stats.maxRowsInStep, this.#running.size);
        for (const e of events) {
          const job = this.#running.get(e.row);
          if (!job) continue;
          if (!job.cancelled) job.listener({ type: 'token', token: e });
          if (e.finish) {
            this.#running.delete(e.row);
            this.stats.rows++;
          }
        }
        for (const [row, job] of this.#running) {
          if (job.cancelled && row.finish) this.#running.delete(row);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#looping = false;
    }
  }
}
