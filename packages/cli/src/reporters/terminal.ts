import type { ProgressTask, Reporter } from '@aya-fw/core';

/** How the CLI talks: `tty` (spinners and bars), `plain` lines, `quiet`, or one `json` document. */
export type OutputMode = 'tty' | 'plain' | 'quiet' | 'json';

type Spinner = { text: string; start(): Spinner; stop(): Spinner; succeed(text?: string): Spinner };
type OraFactory = (options: { text: string; stream: NodeJS.WriteStream }) => Spinner;

function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** `[#####.....] 50% 1000/2000 312 it/s ETA 3s loss 0.41` */
export function progressLine(label: string, done: number, total: number | undefined, startedMs: number, status: string | undefined, nowMs = Date.now()): string {
  // Under 50 ms the rate is noise (the first tick used to read "1000000000 it/s"): say nothing yet.
  const elapsed = (nowMs - startedMs) / 1000;
  const rate = elapsed >= 0.05 ? done / elapsed : NaN;
  const rateText = Number.isFinite(rate) ? `${rate.toFixed(rate < 10 ? 1 : 0)} it/s` : '– it/s';
  const parts = [label];
  if (total) {
    const frac = Math.min(done / total, 1);
    const width = 20;
    const fill = Math.round(frac * width);
    parts.push(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total}`);
    parts.push(`${rateText} ETA ${formatDuration((total - done) / rate)}`);
  } else {
    parts.push(`${done} done, ${rateText}`);
  }
  if (status) parts.push(status);
  return parts.join('  ');
}

/**
 * The CLI's reporter. On a TTY: a progress bar with rate and ETA for known totals, an ora
 * spinner otherwise. Not a TTY: plain lines (progress every 10%). Quiet: nothing but
 * warnings. JSON: messages go nowhere and results are printed as one document at the end.
 */
export class TerminalReporter implements Reporter {
  readonly results: Record<string, unknown> = {};

  constructor(
    readonly mode: OutputMode,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
    private readonly ora?: OraFactory,
  ) {}

  info(message: string): void {
    if (this.mode === 'tty' || this.mode === 'plain') this.out.write(`${message}\n`);
  }

  warn(message: string): void {
    if (this.mode !== 'json') this.err.write(`warning: ${message}\n`);
  }

  result(key: string, value: unknown): void {
    this.results[key] = value;
  }

  progress(label: string, total?: number): ProgressTask {
    if (this.mode === 'quiet' || this.mode === 'json') return { tick() {}, done() {} };
    return this.mode === 'tty' ? this.#ttyTask(label, total) : this.#plainTask(label, total);
  }

  #plainTask(label: string, total?: number): ProgressTask {
    const started = Date.now();
    let done = 0;
    let nextReport = total ? total / 10 : 100;
    let last: string | undefined;
    return {
      tick: (n = 1, status) => {
        done += n;
        last = status ?? last;
        if (done >= nextReport && (!total || done < total)) {
          this.out.write(progressLine(label, done, total, started, last) + '\n');
          nextReport += total ? total / 10 : nextReport;
        }
      },
      done: (summary) => {
        this.out.write(`${label}: done in ${formatDuration((Date.now() - started) / 1000)}${summary ? `, ${summary}` : ''}\n`);
      },
    };
  }

  #ttyTask(label: string, total?: number): ProgressTask {
    const started = Date.now();
    let done = 0;
    let lastDraw = 0;
    const spinner = total === undefined && this.ora ? this.ora({ text: label, stream: this.out }).start() : undefined;
    const draw = (status?: string) => {
      const line = progressLine(label, done, total, started, status);
      if (spinner) spinner.text = line;
      else this.out.write(`\r\x1b[2K${line}`);
    };
    return {
      tick: (n = 1, status) => {
        done += n;
        const now = Date.now();
        if (now - lastDraw > 100) {
          lastDraw = now;
          draw(status);
        }
      },
      done: (summary) => {
        const line = `${label}: done in ${formatDuration((Date.now() - started) / 1000)}${summary ? `, ${summary}` : ''}`;
        if (spinner) spinner.succeed(line);
        else this.out.write(`\r\x1b[2K${line}\n`);
      },
    };
  }

  /** Prints the JSON document of `--json` mode. */
  flushJson(extra: Record<string, unknown> = {}): void {
    if (this.mode === 'json') this.out.write(JSON.stringify({ ...this.results, ...extra }, null, 2) + '\n');
  }
}

/** Loads ora (ESM-only) with a real dynamic import; a terminal without it still gets bars. */
export async function loadOra(): Promise<OraFactory | undefined> {
  try {
    const mod = (await import('ora')) as unknown as { default: OraFactory };
    return mod.default;
  } catch {
    return undefined;
  }
}
