import { z } from 'zod';

/** A learning-rate schedule with warm-up (transformers' `get_*_schedule_with_warmup`). */
export const ScheduleSchema = z
  .object({
    type: z.enum(['constant', 'linear', 'cosine']).default('constant').describe('`constant`, `linear` decay to 0, or `cosine` decay to 0 after warm-up (default constant).'),
    warmupSteps: z.number().int().nonnegative().default(0).describe('Linear warm-up steps from 0 (default 0); `warmupRatio` of the total if given instead.'),
    warmupRatio: z.number().min(0).max(1).optional(),
  })
  .strict();
export type Schedule = z.infer<typeof ScheduleSchema>;

/**
 * The learning rate of the update that follows `completed` updates, as transformers'
 * schedulers give it (the first update of a warm-up has lr 0).
 */
export function learningRateAt(base: number, schedule: Schedule, completed: number, totalSteps: number): number {
  const warmup = schedule.warmupRatio !== undefined ? Math.ceil(schedule.warmupRatio * totalSteps) : schedule.warmupSteps;
  if (completed < warmup) return (base * completed) / Math.max(1, warmup);
  if (schedule.type === 'constant') return base;
  const progress = (completed - warmup) / Math.max(1, totalSteps - warmup);
  if (schedule.type === 'linear') return base * Math.max(0, 1 - progress);
  return base * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
