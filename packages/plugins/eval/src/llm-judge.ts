import { openTextGenerator, z, type ChatMessage, type JudgeDefinition, type JudgeVerdict, type TextRequest } from '@aya-fw/core';

/** Arena-Hard-Auto's judge instructions (its original prompt, `OG_ARENA_HARD_PROMPT`). */
export const ARENA_HARD_SYSTEM = [
  'Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user prompt displayed below. You will be given assistant A\'s answer and assistant B\'s answer. Your job is to evaluate which assistant\'s answer is better.',
  '',
  'Begin your evaluation by generating your own answer to the prompt. You must provide your answers before judging any answers.',
  '',
  'When evaluating the assistants\' answers, compare both assistants\' answers with your answer. You must identify and correct any mistakes or inaccurate information.',
  '',
  'Then consider if the assistant\'s answers are helpful, relevant, and concise. Helpful means the answer correctly responds to the prompt or follows the instructions. Note when user prompt has any ambiguity or more than one interpretation, it is more helpful and appropriate to ask for clarifications or more information from the user than providing an answer based on assumptions. Relevant means all parts of the response closely connect or are appropriate to what is being asked. Concise means the response is clear and not verbose or excessive.',
  '',
  'Then consider the creativity and novelty of the assistant\'s answers when needed. Finally, identify any missing important information in the assistants\' answers that would be beneficial to include when responding to the user prompt.',
  '',
  'After providing your explanation, you must output only one of the following choices as your final verdict with a label:',
  '',
  '1. Assistant A is significantly better: [[A>>B]]',
  '2. Assistant A is slightly better: [[A>B]]',
  '3. Tie, relatively the same: [[A=B]]',
  '4. Assistant B is slightly better: [[B>A]]',
  '5. Assistant B is significantly better: [[B>>A]]',
  '',
  'Example output: "My final verdict is tie: [[A=B]]".',
].join('\n');

/** Arena-Hard-Auto's user turn; `{question}`, `{answer_a}`, `{answer_b}` are filled in. */
export const ARENA_HARD_TEMPLATE =
  "<|User Prompt|>\n{question}\n\n<|The Start of Assistant A's Answer|>\n{answer_a}\n<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{answer_b}\n<|The End of Assistant B's Answer|>";

/** Options of `llm-pairwise`. */
export const LlmJudgeConfigSchema = z
  .object({
    model: z.string().describe('The judge model: a remote model `http://host:port/v1#name` or a local model folder.'),
    system: z.string().default(ARENA_HARD_SYSTEM).describe('System prompt (default: Arena-Hard\'s).'),
    /** User turn with `{question}`, `{answer_a}`, `{answer_b}` (default: Arena-Hard's). */
    template: z
      .string()
      .default(ARENA_HARD_TEMPLATE)
      .refine((t) => ['{question}', '{answer_a}', '{answer_b}'].every((k) => t.includes(k)), 'the template must contain {question}, {answer_a} and {answer_b}'),
    format: z.enum(['chat', 'text']).default('chat').describe('`chat` sends messages (the model\'s chat template); `text` sends system + user as one text prompt.'),
    maxNewTokens: z.number().int().positive().default(512),
    temperature: z.number().min(0).default(0).describe('Judge sampling temperature; 0 (the default, as Arena-Hard) is greedy.'),
    batchSize: z.number().int().positive().default(16).describe('Comparisons decoded at once by a local judge model.'),
  })
  .strict();
export type LlmJudgeConfig = z.infer<typeof LlmJudgeConfigSchema>;

const LABELS: Record<string, JudgeVerdict> = { 'A>>B': 'a>>b', 'A>B': 'a', 'A=B': 'tie', 'B>A': 'b', 'B>>A': 'b>>a' };

/**
 * The verdict in a judge's answer, as Arena-Hard parses it: on the upper-cased text, the last
 * `[[…]]` label, else the last `[…]` label; `null` when there is none or it is not one of the five.
 */
export function parseVerdict(answer: string): JudgeVerdict {
  const text = answer.toUpperCase();
  for (const pattern of [/\[\[([AB<>=]+)\]\]/g, /\[([AB<>=]+)\]/g]) {
    const found = [...text.matchAll(pattern)];
    if (found.length > 0) return LABELS[found[found.length - 1][1]] ?? null;
  }
  return null;
}

/** The judge's prompt for one comparison. */
export function judgeMessages(config: LlmJudgeConfig, question: string, a: string, b: string): ChatMessage[] {
  const user = config.template.replace('{question}', () => question).replace('{answer_a}', () => a).replace('{answer_b}', () => b);
  return [
    { role: 'system', content: config.system },
    { role: 'user', content: user },
  ];
}

/** How an LLM judge is asked: its prompt format and sampling (the options `llm-pairwise` and `llm-harm` share). */
export interface LlmAsk {
  readonly format: 'chat' | 'text';
  readonly maxNewTokens: number;
  readonly temperature: number;
}

/** The request for one judgment: system + user as chat messages, or as one text prompt; greedy at temperature 0. */
export function llmJudgeRequest(ask: LlmAsk, system: string, user: string): TextRequest {
  const sampling = { maxNewTokens: ask.maxNewTokens, doSample: ask.temperature > 0, temperature: ask.temperature || 1 };
  return ask.format === 'chat'
    ? { ...sampling, messages: [{ role: 'system', content: system }, { role: 'user', content: user }] }
    : { ...sampling, prompt: `${system}\n\n${user}\n\n` };
}

/** `llm-pairwise`: an LLM judges A against B with Arena-Hard's prompt and verdict labels. */
export const llmJudge: JudgeDefinition<LlmJudgeConfig> = {
  id: 'llm-pairwise',
  description: 'An LLM (remote URL or local folder) judges two answers with Arena-Hard’s prompt; verdicts A>>B … B>>A',
  configSchema: LlmJudgeConfigSchema,
  open(config) {
    const generator = openTextGenerator(config.model, { batchSize: config.batchSize });
    return {
      async compareMany(items) {
        const choices = await generator.complete(
          items.map((x) => {
            const [system, user] = judgeMessages(config, x.prompt, x.a, x.b);
            return llmJudgeRequest(config, system.content, user.content);
          }),
        );
        return choices.map((c) => parseVerdict(c[0].text));
      },
      dispose: () => generator.dispose(),
    };
  },
};
