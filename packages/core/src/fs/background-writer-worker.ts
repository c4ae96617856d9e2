// The worker of BackgroundWriter: drains the shared ring of slots with writeSync, in order.
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

const { slots, slotBytes } = workerData as { slots: number; slotBytes: number };
const ctrl = new Int32Array(workerData.ctrl as SharedArrayBuffer);
const data = new Uint8Array(workerData.data as SharedArrayBuffer);
const HEAD = 0;
const TAIL = 1;
const FAILED = 2;
const FAILED_FD = 3;
const META = 4;

let tail = 0;
for (;;) {
  while (Atomics.load(ctrl, HEAD) === tail) Atomics.wait(ctrl, HEAD, tail);
  const slot = tail % slots;
  const fd = ctrl[META + 2 * slot];
  if (fd === -1) break;
  const length = ctrl[META + 2 * slot + 1];
  // After a failure the rest is skipped; the caller reports the first errno.
  if (!Atomics.load(ctrl, FAILED)) {
    try {
      let done = 0;
      while (done < length) done += writeSync(fd, data, slot * slotBytes + done, length - done);
    } catch (err) {
      Atomics.store(ctrl, FAILED_FD, fd);
      Atomics.store(ctrl, FAILED, Math.abs(Number((err as { errno?: number }).errno ?? 1)) || 1);
    }
  }
  Atomics.store(ctrl, TAIL, ++tail);
  Atomics.notify(ctrl, TAIL);
}
