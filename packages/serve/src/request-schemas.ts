import { z } from '@aya-fw/core';

const stop = z.union([z.string(), z.array(z.string()).max(4)]).nullish();
const sampling = {
  model: z.string().optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  n: z.number().int().min(1).max(16).nullish(),
  stop,
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  /** vLLM's extra: generate past end-of-sequence tokens (benchmarks). */
  ignore_eos: z.boolean().nullish(),
};

const text = z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }).loose()).min(1)]);

/**
 * `POST /v1/chat/completions` as vLLM reads it; fields the server does not use (tools,
 * penalties, response_format…) are accepted and ignored, as vLLM does.
 */
export const ChatRequestSchema = z
  .object({
    ...sampling,
    messages: z.array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: text.nullable() }).loose()).min(1),
    max_completion_tokens: z.number().int().min(1).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
  })
  .loose();
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** `POST /v1/completions`: a prompt as text, texts, token ids or lists of token ids. */
export const CompletionRequestSchema = z
  .object({
    ...sampling,
    prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number().int().min(0)).min(1), z.array(z.array(z.number().int().min(0)).min(1)).min(1)]),
    logprobs: z.number().int().min(0).max(20).nullish(),
    echo: z.boolean().nullish(),
  })
  .loose();
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

/** The text of a message's content (a string or text parts). */
export function contentText(content: z.infer<typeof text> | null): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}
