import type { Engine } from '../engine/engine';
import { AyaError, errorMessage } from '../errors';
import type { RewardItem, RewardValue } from '../registry/contributions';
import { openJudge } from '../judges/open-judge';
import { verdictScore } from '../judges/verdicts';
import { RewardModelScorer } from './reward-model';
import type { z } from 'zod';
import { parseWithSchema } from '../config/validate';
import { rewardName, RewardSpecSchema, RewardsSchema } from './reward-spec';

/** The rewards of a batch: each reward's values and their weighted sum. */
export interface RewardScores {
  /** Σ weight·value over the rewards that apply (TRL's weighted nansum); `null` where none applies. */
  readonly total: readonly RewardValue[];
  /** Each reward's own values, by name. */
  readonly each: Readonly<Record<string, readonly RewardValue[]>>;
}

interface Scorer {
  readonly name: string;
  readonly weight: number;
  score(items: readonly RewardItem[]): readonly RewardValue[] | Promise<readonly RewardValue[]>;
  dispose?(): void;
}

/**
 * A trainer's `rewards:` list, ready to score: reward functions from the registry, reward-model
 * folders and judges, weighted. Every reward's answer is checked — one finite number or `null`
 * per completion — and a reward that throws or answers wrongly is an error naming it and the row.
 */
export class Rewards {
  readonly #scorers: Scorer[];

  private constructor(scorers: Scorer[]) {
    this.#scorers = scorers;
  }

  /** Resolves each spec (`dir` turns a `model:` path into a folder); reward models are loaded now. */
  static create(engine: Engine, specs: readonly z.input<typeof RewardSpecSchema>[], dir: (path: string) => string, where = 'rewards'): Rewards {
    const scorers: Scorer[] = [];
    try {
      for (const spec of parseWithSchema(RewardsSchema, specs, where)) {
        const name = rewardName(spec);
        if ('function' in spec) {
          const { definition, config } = engine.configure('rewardFunctions', spec.function, spec.config, `reward '${name}'`);
          scorers.push({ name, weight: spec.weight, score: (items) => definition.score(items, config) });
        } else if ('judge' in spec) {
          const judge = openJudge(engine, spec.judge, spec.judgeConfig, `reward '${name}'`);
          scorers.push({
            name,
            weight: spec.weight,
            async score(items) {
              const scored = items.map((x, i) => ({ i, other: x.row[spec.against] })).filter((x) => typeof x.other === 'string');
              const verdicts = await judge.compareMany(scored.map(({ i, other }) => ({ prompt: items[i].prompt, a: items[i].completion, b: other as string, row: items[i].row })));
              const out: RewardValue[] = items.map(() => null);
              scored.forEach(({ i }, k) => (out[i] = verdictScore(verdicts[k])));
              return out;
            },
            dispose: () => void judge.dispose(),
          });
        } else {
          const model = new RewardModelScorer(dir(spec.model), spec.batchSize);
          scorers.push({ name, weight: spec.weight, score: (items) => model.score(items), dispose: () => model.dispose() });
        }
      }
    } catch (err) {
      for (const s of scorers) s.dispose?.();
      throw err;
    }
    if (new Set(scorers.map((s) => s.name)).size !== scorers.length) {
      for (const s of scorers) s.dispose?.();
      throw new AyaError(`rewards: two rewards are named ${scorers.map((s) => `'${s.name}'`).join(', ')}; give each a distinct name`);
    }
    return new Rewards(scorers);
  }

  get names(): string[] {
    return this.#scorers.map((s) => s.name);
  }

  /** Scores a batch; `where(i)` names item i in errors (`prompts.jsonl:12`). */
  async score(items: readonly RewardItem[], where: (i: number) => string): Promise<RewardScores> {
    const each: Record<string, readonly RewardValue[]> = {};
    await Promise.all(
      this.#scorers.map(async (s) => {
        let values: readonly RewardValue[];
        try {
          values = await s.score(items);
        } catch (err) {
          throw new AyaError(`reward '${s.name}' failed on a batch starting at ${where(0)}: ${errorMessage(err)}`, { cause: err });
        }
        if (!Array.isArray(values) || values.length !== items.length) {
          throw new AyaError(`reward '${s.name}' returned ${Array.isArray(values) ? `${values.length} values` : String(values)} for ${items.length} completions (batch starting at ${where(0)})`);
        }
        values.forEach((v, i) => {
          if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
            throw new AyaError(`reward '${s.name}' returned ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))} for ${where(i)}; expected a finite number or null`);
          }
        });
        each[s.name] = values;
      }),
    );
    const total = items.map((_, i) => {
      let sum = 0;
      let any = false;
      for (const s of this.#scorers) {
        const v = each[s.name][i];
        if (v === null) continue;
        sum += s.weight * v;
        any = true;
      }
      return any ? sum : null;
    });
    return { total, each };
  }

  dispose(): void {
    for (const s of this.#scorers) s.dispose?.();
  }
}
