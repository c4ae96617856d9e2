/**
 * Errors that the CLI turns into one line on stderr and an exit code.
 * `UsageError` (exit 2) is the user's to fix in a command line, recipe or config;
 * `AyaError` (exit 1) is a failure while doing the work.
 */
export class AyaError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A mistake in what the user asked for: unknown plugin, trainer or loss, bad config. Exit code 2. */
export class UsageError extends AyaError {
  override readonly exitCode: number = 2;
}

/**
 * The user stopped a run (SIGINT, SIGTERM): it ended after a step with a checkpoint written, so
 * `--resume` continues it. Exit code 130, as a shell reports an interrupted command.
 */
export class InterruptedError extends AyaError {
  override readonly exitCode: number = 130;
}

/** A configuration file or object that does not match its schema. */
export class ConfigError extends UsageError {}

/** The message of any thrown value, for one-line reports. */
export function errorMessage(err: unknown): string {
  // Not `instanceof Error`: errors from another realm (vm contexts, jest) fail that check.
  if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') return (err as Error).message;
  return String(err);
}
