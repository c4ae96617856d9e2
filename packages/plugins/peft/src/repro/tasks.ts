import { Rng, type TokenizedSequence } from '@aya-fw/core';

/**
 * A small multi-task world for the MoV/MoLoRA reproduction. Four skills over strings of a
 * 12-letter alphabet, each answered with one letter (first, last, smallest, largest): a
 * classification suite like the held-out evaluation of the MoV paper. Pre-training shows every
 * skill with its own task marker just before the answer: `<bos> x <T_t> f_t(x) <eos>`.
 * Instruction tuning asks for the same skills with new instruction tokens the base never saw:
 * `<bos> x <I_t> f_t(x) <eos>`; the held-out score is the exact match of the greedy answer on
 * inputs drawn apart from the training ones.
 */
export const TOY_TASKS = ['first', 'last', 'min', 'max'] as const;
export type ToyTask = (typeof TOY_TASKS)[number];

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
const LETTER0 = 3;
export const LETTERS = 12;
const MARKER0 = LETTER0 + LETTERS;
const INSTRUCTION0 = MARKER0 + TOY_TASKS.length;
/** Vocabulary size (ids above the instruction tokens are unused). */
export const TOY_VOCAB = 32;
export const MIN_LENGTH = 3;
export const MAX_LENGTH = 6;
const SKILLS: Record<ToyTask, (x: readonly number[]) => number> = {
  first: (x) => x[0],
  last: (x) => x[x.length - 1],
  min: (x) => Math.min(...x),
  max: (x) => Math.max(...x),
};

/** f_t(x) on letter indices 0..11. */
export function applyTask(task: ToyTask, x: readonly number[]): number[] {
  return [SKILLS[task](x)];
}

/** One example: token ids and the positions the loss and the score cover (answer and eos). */
export interface ToyExample extends TokenizedSequence {
  readonly task: ToyTask;
}

/** The example for `task` on input `x`, with the pre-training marker or the new instruction token. */
export function toyExample(task: ToyTask, x: readonly number[], format: 'pretrain' | 'instruction'): ToyExample {
  const t = TOY_TASKS.indexOf(task);
  const cue = format === 'pretrain' ? MARKER0 + t : INSTRUCTION0 + t;
  const answer = applyTask(task, x).map((v) => LETTER0 + v);
  const prompt = [BOS, ...x.map((v) => LETTER0 + v), cue];
  const ids = [...prompt, ...answer, EOS];
  return { task, ids, lossMask: ids.map((_, i) => (i >= prompt.length ? 1 : 0)) };
}

/**
 * A random input string. Inputs whose hash falls in the held-out fold are never used for
 * training (`fold: 'train'`) and only for scoring (`fold: 'heldout'`).
 */
export function randomInput(rng: Rng, fold: 'train' | 'heldout' | 'any'): number[] {
  for (;;) {
    const length = MIN_LENGTH + Math.floor(rng.next() * (MAX_LENGTH - MIN_LENGTH + 1));
    const x = Array.from({ length }, () => Math.floor(rng.next() * LETTERS));
    const heldOut = x.reduce((h, v) => (h * 31 + v + 7) % 1009, length) % 5 === 0;
    if (fold === 'any' || heldOut === (fold === 'heldout')) return x;
  }
}

/** `count` examples cycling through the tasks. */
export function toyExamples(rng: Rng, count: number, format: 'pretrain' | 'instruction', fold: 'train' | 'heldout'): ToyExample[] {
  return Array.from({ length: count }, (_, i) => toyExample(TOY_TASKS[i % TOY_TASKS.length], randomInput(rng, fold), format));
}
