/**
 * Named stages for ordering taps (`hook.tap({ name, stage: HookStage.OVERRIDE }, fn)`).
 * Lower runs first. The engine's own defaults tap at `DEFAULT`.
 */
export const HookStage = Object.freeze({
  /** Runs before the defaults; a bail hook tapped here replaces the default behaviour. */
  OVERRIDE: -1000,
  /** Just before the default. */
  BEFORE_DEFAULT: -100,
  /** The engine's built-in behaviour (resolving from registries). */
  DEFAULT: 0,
  /** Just after the default: post-processing. */
  AFTER_DEFAULT: 100,
  /** Reporting, logging and metrics: after everything that changes values. */
  REPORT: 1000,
});
