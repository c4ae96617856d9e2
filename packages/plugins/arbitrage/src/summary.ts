import type { DataRow } from '@aya-fw/core';
import type { Candidate, Decision } from './select';
import type { Teacher } from './teachers';

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** A teacher's record in the summary. */
export interface TeacherSummary {
  /** Prompts it completed (those in the languages it serves). */
  readonly served: number;
  /** Prompts where the arbiter kept its completion. */
  readonly wins: number;
  /** Mean arbiter score of its completions. */
  readonly mean_score: number;
}

/** What `summary.json` holds: wins and mean scores per teacher, overall and per language. */
export interface ArbitrageSummary {
  readonly prompts: number;
  readonly arbitrated: number;
  /** Prompts no teacher serves. */
  readonly unserved: number;
  /** Prompts whose completions the arbiter scored none of. */
  readonly unscored: number;
  /** Prompts where two teachers tied for the best score (the one listed first was kept). */
  readonly tied_at_top: number;
  readonly pairs: number;
  /** Mean score of the kept completions. */
  readonly mean_best: number;
  /** The teacher with the highest mean score among those serving every prompt (all, if none does): the single-teacher baseline. */
  readonly best_teacher: string;
  readonly teachers: Record<string, TeacherSummary>;
  readonly languages: Record<string, { prompts: number; mean_best: number; wins: Record<string, number>; mean_score: Record<string, number> }>;
}

/** Tallies the decisions of every prompt (in pool order for teachers, sorted for languages). */
export function summarize(
  teachers: readonly Teacher[],
  prompts: number,
  unserved: number,
  decided: readonly { row: DataRow; candidates: readonly Candidate[]; decision?: Decision }[],
): ArbitrageSummary {
  const scores = (name: string, lang?: string) =>
    decided.flatMap((d) => (lang === undefined || String(d.row.language) === lang ? d.candidates.filter((c) => c.teacher === name && c.score !== null).map((c) => c.score!) : []));
  const kept = decided.filter((d) => d.decision);
  const teacherSummaries = Object.fromEntries(
    teachers.map((t) => [t.name, { served: decided.filter((d) => d.candidates.some((c) => c.teacher === t.name)).length, wins: kept.filter((d) => d.decision!.best.teacher === t.name).length, mean_score: mean(scores(t.name)) }]),
  );
  // A teacher that serves every prompt is the fair single-teacher baseline; the others win on easier subsets.
  const everywhere = teachers.filter((t) => teacherSummaries[t.name].served === decided.length);
  const best = (everywhere.length ? everywhere : teachers).reduce((a, b) => (teacherSummaries[b.name].mean_score > teacherSummaries[a.name].mean_score ? b : a));
  const languages = [...new Set(decided.map((d) => String(d.row.language)))].sort();
  return {
    prompts,
    arbitrated: kept.length,
    unserved,
    unscored: decided.length - kept.length,
    tied_at_top: kept.filter((d) => d.decision!.tiedAtTop).length,
    pairs: kept.filter((d) => d.decision!.worst.score < d.decision!.best.score).length,
    mean_best: mean(kept.map((d) => d.decision!.best.score)),
    best_teacher: best.name,
    teachers: teacherSummaries,
    languages: Object.fromEntries(
      languages.map((lang) => {
        const here = kept.filter((d) => String(d.row.language) === lang);
        const wins: Record<string, number> = {};
        for (const d of here) wins[d.decision!.best.teacher] = (wins[d.decision!.best.teacher] ?? 0) + 1;
        return [lang, { prompts: here.length, mean_best: mean(here.map((d) => d.decision!.best.score)), wins, mean_score: Object.fromEntries(teachers.map((t) => [t.name, mean(scores(t.name, lang))])) }];
      }),
    ),
  };
}
