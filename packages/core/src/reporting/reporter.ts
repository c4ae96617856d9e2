/** A unit of long work with a known or unknown total. */
export interface ProgressTask {
  /** Advance by `n` (default 1), with a short status (`loss 0.41`). */
  tick(n?: number, status?: string): void;
  /** Finish the task with a closing line. */
  done(summary?: string): void;
}

/**
 * Where the core sends human-facing output. The CLI binds a terminal reporter (spinner or
 * progress bar on a TTY, plain lines otherwise, nothing with `--quiet`, one JSON document
 * with `--json`); libraries and tests get {@link silentReporter}.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Starts a progress task; `total` undefined means unknown length. */
  progress(label: string, total?: number): ProgressTask;
  /** A structured result; `--json` prints all of them as one document at exit. */
  result(key: string, value: unknown): void;
}

const noTask: ProgressTask = Object.freeze({ tick() {}, done() {} });

/** A reporter that drops everything. */
export const silentReporter: Reporter = Object.freeze({
  info() {},
  warn() {},
  progress: () => noTask,
  result() {},
});
