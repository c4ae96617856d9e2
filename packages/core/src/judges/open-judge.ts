import type { Engine } from '../engine/engine';
import { AyaError, errorMessage } from '../errors';
import type { ContributionUse, JudgeItem, JudgeSession, JudgeVerdict } from '../registry/contributions';
import { isRemoteModel } from '../remote/remote-model';
import { VERDICTS } from './verdicts';

/** The registered judge an LLM endpoint URL stands for. */
export const LLM_JUDGE = 'llm-pairwise';

/** A judge reference resolved: a registry id and its options (a URL becomes `llm-pairwise` with `model: URL`). */
export function judgeRef(ref: string, config: Record<string, unknown> = {}): { id: string; config: Record<string, unknown> } {
  return isRemoteModel(ref) ? { id: LLM_JUDGE, config: { model: ref, ...config } } : { id: ref, config };
}

/** What a config's `judge` (and `judgeConfig`) contribute, for validation before a recipe runs. */
export function judgeContribution(ref: string, config: Record<string, unknown> | undefined, path: readonly (string | number)[] = ['judge']): ContributionUse {
  const { id, config: resolved } = judgeRef(ref, config);
  const configPath = [...path.slice(0, -1), `${String(path[path.length - 1])}Config`];
  return { kind: 'judges', id, idPath: [...path], config: resolved, configPath };
}

/** A judge ready to compare, opened on first use; verdicts checked. */
export interface Judge {
  readonly id: string;
  compareMany(items: readonly JudgeItem[]): Promise<JudgeVerdict[]>;
  compare(prompt: string, a: string, b: string, row: JudgeItem['row']): Promise<JudgeVerdict>;
  /** Frees what the judge holds (a local judge model). */
  dispose(): Promise<void>;
}

/**
 * The judge `ref` names, its options validated now (a bad id or option is an error before any
 * work); a judge that holds a model opens it on first use. A judge that throws or answers
 * something other than a verdict is an error naming it.
 */
export function openJudge(engine: Engine, ref: string, config?: Record<string, unknown>, where = 'judge'): Judge {
  const { id, config: raw } = judgeRef(ref, config);
  const { definition, config: options } = engine.configure('judges', id, raw, `${where} '${id}'`);
  if (!definition.open && !definition.compare) throw new AyaError(`judge '${id}' has neither compare() nor open()`);
  let session: Promise<JudgeSession> | undefined;
  const open = () =>
    (session ??= Promise.resolve(
      definition.open ? definition.open(options) : { compareMany: (items: readonly JudgeItem[]) => Promise.all(items.map((x) => definition.compare!(x.prompt, x.a, x.b, x.row, options))) },
    ));
  const compareMany = async (items: readonly JudgeItem[]): Promise<JudgeVerdict[]> => {
    let verdicts: JudgeVerdict[];
    try {
      verdicts = await (await open()).compareMany(items);
    } catch (err) {
      throw new AyaError(`judge '${id}' failed: ${errorMessage(err)}`, { cause: err });
    }
    if (!Array.isArray(verdicts) || verdicts.length !== items.length) throw new AyaError(`judge '${id}' returned ${Array.isArray(verdicts) ? verdicts.length : String(verdicts)} verdicts for ${items.length} comparisons`);
    for (const v of verdicts) if (!VERDICTS.includes(v)) throw new AyaError(`judge '${id}' returned ${JSON.stringify(v)}; expected one of ${VERDICTS.map((x) => JSON.stringify(x)).join(', ')}`);
    return verdicts;
  };
  return {
    id,
    compareMany,
    compare: async (prompt, a, b, row) => (await compareMany([{ prompt, a, b, row }]))[0],
    async dispose() {
      if (session) (await session).dispose?.();
      session = undefined;
    },
  };
}
