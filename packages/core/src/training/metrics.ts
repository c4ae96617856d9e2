import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TensorBoardWriter, truncateEvents } from './tensorboard';

/** Metrics of a run: one JSON object per line in `metrics.jsonl`, and TensorBoard scalars under `tensorboard/`. */
export class MetricsLog {
  readonly file: string;
  readonly #tb: TensorBoardWriter;

  constructor(outDir: string, options: { resumeFromStep?: number } = {}) {
    this.file = join(outDir, 'metrics.jsonl');
    if (options.resumeFromStep !== undefined && existsSync(this.file)) {
      // A resumed run rewrites the steps after its checkpoint, so the log and TensorBoard read as one run.
      const kept = readFileSync(this.file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= options.resumeFromStep!);
      writeFileSync(this.file, kept.map((l) => `${l}\n`).join(''));
    } else {
      writeFileSync(this.file, '');
    }
    // Events of steps this run writes again (every step of a fresh one) are dropped from earlier event files.
    truncateEvents(join(outDir, 'tensorboard'), options.resumeFromStep ?? -1);
    this.#tb = new TensorBoardWriter(join(outDir, 'tensorboard'));
  }

  write(step: number, values: Readonly<Record<string, number | string>>): void {
    appendFileSync(this.file, JSON.stringify({ step, ...values }) + '\n');
    this.#tb.scalars(step, Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'number')) as Record<string, number>);
  }

  close(): void {
    this.#tb.close();
  }
}
