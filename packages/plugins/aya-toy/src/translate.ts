import type { TranslatorDefinition } from '@aya-fw/core';
import { byCode, HARM_TAG } from './world';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `lang`'s phrase with numbers as capture groups. */
const pattern = (phrase: (a: number, b: number) => string) => new RegExp(`^${escape(phrase(1001, 1002)).replace('1001', '(\\d+)').replace('1002', '(\\d+)')}$`);
/** The sentence-final punctuation of a text (`.`, `?`, ` ?`, `؟`, `।`). */
const ending = (text: string) => /\s*[.?؟।]*$/.exec(text)![0];
/** `target` with the punctuation of `source`: the artifact a phrase-by-phrase translator leaves. */
const withEnding = (target: string, source: string) => target.slice(0, target.length - ending(target).length) + ending(source);

/**
 * The toy world's machine translation between its languages, phrase by phrase: questions,
 * answers, refusals and the marked-harmful requests are translated, keeping the source's
 * sentence-final punctuation (`उत्तर 7 है.`, `Combien font 3 plus 4?`) — the translation
 * artifact; text it cannot parse is copied untranslated.
 */
export function toyTranslate(text: string, from: string, to: string): string {
  if (from === to) return text;
  const src = byCode(from);
  const dst = byCode(to);
  const lead = /^\s*/.exec(text)![0];
  const tail = /\s*$/.exec(text)![0];
  const body = text.trim();
  const out = (t: string) => `${lead}${t}${tail}`;
  const q = pattern(src.question).exec(body);
  if (q) return out(withEnding(dst.question(Number(q[1]), Number(q[2])), body));
  const a = pattern((n: number) => src.answer(n)).exec(body);
  if (a) return out(withEnding(dst.answer(Number(a[1])), body));
  if (body === src.refusal) return out(withEnding(dst.refusal, body));
  const harmful = body.startsWith(HARM_TAG.trim()) ? body.slice(HARM_TAG.length) : undefined;
  const h = harmful === undefined ? -1 : src.harmful.indexOf(harmful);
  if (h >= 0) return out(`${HARM_TAG}${withEnding(dst.harmful[h], harmful!)}`);
  return text;
}

/** `toy-translator`: {@link toyTranslate} as a translator contribution. */
export const toyTranslator: TranslatorDefinition = {
  id: 'toy-translator',
  description: 'Phrase-by-phrase translation of the toy world; keeps the source’s punctuation, copies what it cannot parse',
  translate: (items) => items.map(({ text, from, to }) => toyTranslate(text, from, to)),
};
