/**
 * The prompt that asks a model to improve a draft (SRPO's self-improvement policy
 * π(·|x, y): the same network, prompted with the prompt and its draft). `{prompt}` and
 * `{draft}` are replaced; the SRPO trainer and `aya-fw generate --revisions` share this default.
 */
export const DEFAULT_REVISION_TEMPLATE = '{prompt}Draft:{draft}\nImproved answer:';

/** Fills a revision template; both placeholders must be present. */
export function revisionPrompt(template: string, prompt: string, draft: string): string {
  return template.replace('{prompt}', () => prompt).replace('{draft}', () => draft);
}
