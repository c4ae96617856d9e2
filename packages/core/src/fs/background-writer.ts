import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AyaError } from '../errors';

/** Where file bytes go: plain synchronous writes, or a {@link BackgroundWriter}. */
export interface ByteSink {
  open(path: string): number;
  /** Writes `bytes` at the file's current end; the caller may reuse `bytes` as soon as this returns. */
  write(fd: number, bytes: Uint8Array): void;
  /** Waits for every byte of `fd` to be written, then closes it; throws if a write failed. */
  close(fd: number): void;
}

/** `openSync` / `writeSync` / `closeSync`. */
export const syncSink: ByteSink = {
  open: (path) => openSync(path, 'w'),
  write(fd, bytes) {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30));
  },
  close: (fd) => closeSync(fd),
};

// Control words of the ring shared with the worker.
const HEAD = 0; // slots filled by the caller
const TAIL = 1; // slots written by the worker
const FAILED = 2; // errno of the first failed write (or 1), 0 while all is well
const FAILED_FD = 3; // the file it failed on
const META = 4; // per slot: fd, length

function errnoName(errno: number): string {
  return Object.entries(osConstants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

/**
 * Writes file bytes on a worker thread while the caller goes on computing: `write` copies the
 * bytes into a ring of shared slots and returns; the worker drains the ring with `writeSync`.
 * On this kind of machine creating new file pages is the slow part of a merge (≈0.4–0.5 GB/s),
 * so overlapping it with reading and arithmetic on the other core shortens the merge.
 */
export class BackgroundWriter implements ByteSink {
  readonly #ctrl: Int32Array;
  readonly #data: Uint8Array;
  readonly #worker: Worker;
  readonly #paths = new Map<number, string>();
  #head = 0;

  constructor(
    readonly slots = 4,
    readonly slotBytes = 16 << 20,
  ) {
    const script = join(__dirname, 'background-writer-worker.js');
    if (!existsSync(script)) throw new AyaError(`${script} is missing; rebuild @aya-fw/core`);
    this.#ctrl = new Int32Array(new SharedArrayBuffer(4 * (META + 2 * slots)));
    this.#data = new Uint8Array(new SharedArrayBuffer(slots * slotBytes));
    this.#worker = new Worker(script, {
      workerData: { ctrl: this.#ctrl.buffer, data: this.#data.buffer, slots, slotBytes },
    });
    this.#worker.unref();
  }

  open(path: string): number {
    const fd = openSync(path, 'w');
    this.#paths.set(fd, path);
    return fd;
  }

  write(fd: number, bytes: Uint8Array): void {
    for (let start = 0; start < bytes.byteLength; start += this.slotBytes) {
      const length = Math.min(this.slotBytes, bytes.byteLength - start);
      this.#waitFor((tail) => this.#head - tail < this.slots);
      const slot = this.#head % this.slots;
      this.#data.set(bytes.subarray(start, start + length), slot * this.slotBytes);
      this.#ctrl[META + 2 * slot] = fd;
      this.#ctrl[META + 2 * slot + 1] = length;
      Atomics.store(this.#ctrl, HEAD, ++this.#head);
      Atomics.notify(this.#ctrl, HEAD);
    }
  }

  close(fd: number): void {
    try {
      this.#waitFor((tail) => tail === this.#head);
    } finally {
      this.#paths.delete(fd);
      closeSync(fd);
    }
  }

  /** Stops the worker (after the bytes already queued are written). */
  dispose(): void {
    this.#waitFor((tail) => tail === this.#head, false);
    this.#ctrl[META + 2 * (this.#head % this.slots)] = -1;
    Atomics.store(this.#ctrl, HEAD, ++this.#head);
    Atomics.notify(this.#ctrl, HEAD);
  }

  /** Blocks until `ready(tail)`, the worker reports a failure, or it makes no progress for a minute. */
  #waitFor(ready: (tail: number) => boolean, check = true): void {
    let idle = 0;
    for (;;) {
      const tail = Atomics.load(this.#ctrl, TAIL);
      const failed = Atomics.load(this.#ctrl, FAILED);
      if (failed && check) {
        const fd = Atomics.load(this.#ctrl, FAILED_FD);
        throw new AyaError(`${this.#paths.get(fd) ?? `file descriptor ${fd}`}: write failed (${errnoName(failed)})`);
      }
      if (failed || ready(tail)) return;
      if (Atomics.wait(this.#ctrl, TAIL, tail, 1000) !== 'timed-out') idle = 0;
      else if (++idle >= 60) throw new AyaError('the background writer made no progress for 60 s; its worker thread stopped');
    }
  }
}
