import { Rng } from '@aya-fw/core';
import { applyTask, randomInput, toyExample, toyExamples, TOY_TASKS } from '@aya-fw/plugin-peft';

describe('the multi-task instruction set of the MoV reproduction', () => {
  it('answers each task as defined', () => {
    const x = [4, 0, 9, 2];
    expect(Object.fromEntries(TOY_TASKS.map((t) => [t, applyTask(t, x)]))).toEqual({ first: [4], last: [2], min: [0], max: [9] });
  });

  it('puts the pre-training marker or the new instruction token before the answer, and scores only the answer', () => {
    const pre = toyExample('max', [1, 5, 2], 'pretrain');
    const ins = toyExample('max', [1, 5, 2], 'instruction');
    expect(pre.ids.slice(0, 4)).toEqual(ins.ids.slice(0, 4));
    expect(pre.ids[4]).not.toBe(ins.ids[4]);
    expect(pre.ids.slice(5)).toEqual(ins.ids.slice(5));
    expect(pre.lossMask).toEqual([0, 0, 0, 0, 0, 1, 1]);
    const cues = new Set(TOY_TASKS.flatMap((t) => [toyExample(t, [0, 1, 2], 'pretrain').ids[4], toyExample(t, [0, 1, 2], 'instruction').ids[4]]));
    expect(cues.size).toBe(2 * TOY_TASKS.length);
  });

  it('keeps held-out inputs out of the training fold', () => {
    const LETTER_ID0 = toyExample('first', [0, 0, 0], 'pretrain').ids[1];
    const key = (x: number[]) => x.join(',');
    const train = new Set(toyExamples(new Rng(1), 5000, 'pretrain', 'train').map((e) => key(e.ids.slice(1, e.ids.length - 3).map((id) => id - LETTER_ID0))));
    const rng = new Rng(2);
    const held = Array.from({ length: 2000 }, () => key(randomInput(rng, 'heldout')));
    expect(held.filter((h) => train.has(h))).toEqual([]);
    expect(toyExamples(new Rng(3), 16, 'instruction', 'heldout').map((e) => e.task)).toEqual([...TOY_TASKS, ...TOY_TASKS, ...TOY_TASKS, ...TOY_TASKS]);
  });
});
