/**
 * Whether a module is targeted, as PEFT matches `target_modules`: a list matches a module whose
 * name equals an entry or ends with `.<entry>`; a string is a regular expression matched
 * against the whole name.
 */
export function isTarget(module: string, targets: string | readonly string[]): boolean {
  if (typeof targets === 'string') return new RegExp(`^(?:${targets})$`).test(module);
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

/** The value of a per-module pattern (`rank_pattern`, `alpha_pattern`): first key matching the module's end. */
export function patternValue(module: string, pattern: Readonly<Record<string, number>>, fallback: number): number {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`(^|\\.)(?:${key})$`).test(module)) return value;
  }
  return fallback;
}
