import type { Engine } from '../engine/engine';
import { AyaError, errorMessage, UsageError } from '../errors';
import type { ContributionUse, HarmItem, HarmSession, HarmVerdict } from '../registry/contributions';
import { isRemoteModel } from '../remote/remote-model';

/** The registered harm judge an LLM endpoint URL stands for. */
export const LLM_HARM_JUDGE = 'llm-harm';

/** A harm-judge reference resolved: a URL becomes `llm-harm` with `model: URL`. */
export function harmJudgeRef(ref: string, config: Record<string, unknown> = {}): { id: string; config: Record<string, unknown> } {
  return isRemoteModel(ref) ? { id: LLM_HARM_JUDGE, config: { model: ref, ...config } } : { id: ref, config };
}

/** What a config's harm `judge` (and `judgeConfig`) contribute, for validation before a recipe runs. */
export function harmJudgeContribution(ref: string, config: Record<string, unknown> | undefined, path: readonly (string | number)[] = ['judge']): ContributionUse {
  const { id, config: resolved } = harmJudgeRef(ref, config);
  return { kind: 'judges', id, idPath: [...path], config: resolved, configPath: [...path.slice(0, -1), `${String(path[path.length - 1])}Config`] };
}

/** A harm judge ready to classify, opened on first use; verdicts checked. */
export interface HarmJudge {
  readonly id: string;
  classifyMany(items: readonly HarmItem[]): Promise<HarmVerdict[]>;
  dispose(): Promise<void>;
}

/**
 * The harm judge `ref` names (an id, or an LLM's URL), its options validated now; a judge that
 * is not a harm judge, throws, or answers something other than `{ harmful: boolean | null }` is an
 * error naming it.
 */
export function openHarmJudge(engine: Engine, ref: string, config?: Record<string, unknown>, where = 'harm judge'): HarmJudge {
  const { id, config: raw } = harmJudgeRef(ref, config);
  const { definition, config: options } = engine.configure('judges', id, raw, `${where} '${id}'`);
  if (!definition.classify && !definition.openHarm) throw new UsageError(`${where}: judge '${id}' compares answers pairwise; a harm judge classifies one completion (toy-harm, llm-harm, harm-classifier, …)`);
  let session: Promise<HarmSession> | undefined;
  const open = () =>
    (session ??= Promise.resolve(
      definition.openHarm ? definition.openHarm(options) : { classifyMany: (items: readonly HarmItem[]) => Promise.all(items.map((x) => definition.classify!(x, options))) },
    ));
  return {
    id,
    async classifyMany(items) {
      let verdicts: HarmVerdict[];
      try {
        verdicts = await (await open()).classifyMany(items);
      } catch (err) {
        throw new AyaError(`harm judge '${id}' failed: ${errorMessage(err)}`, { cause: err });
      }
      if (!Array.isArray(verdicts) || verdicts.length !== items.length) throw new AyaError(`harm judge '${id}' returned ${Array.isArray(verdicts) ? verdicts.length : String(verdicts)} verdicts for ${items.length} completions`);
      for (const v of verdicts) {
        if (typeof v !== 'object' || v === null || !(v.harmful === null || typeof v.harmful === 'boolean')) throw new AyaError(`harm judge '${id}' returned ${JSON.stringify(v)}; expected { harmful: true | false | null }`);
      }
      return verdicts;
    },
    async dispose() {
      if (session) (await session).dispose?.();
      session = undefined;
    },
  };
}
