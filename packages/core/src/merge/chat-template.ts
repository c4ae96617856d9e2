import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Jinja from '@huggingface/jinja' with { 'resolution-mode': 'import' };
import { UsageError, errorMessage } from '../errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- ESM-only package, required as the tokenizer does
const { Template } = require('@huggingface/jinja') as typeof Jinja;

/** Chat templates a merge config may name (`chat_template: chatml`), as mergekit offers them. */
export const NAMED_CHAT_TEMPLATES: Readonly<Record<string, string>> = {
  chatml:
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  llama3:
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  alpaca:
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
    "{% elif message['role'] == 'user' %}{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}" +
    "{% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + message['content'] + eos_token + '\\n\\n' }}{% endif %}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}",
};

/** A model folder's chat template: chat_template.jinja, else tokenizer_config.json's field. */
function templateOf(dir: string): string | undefined {
  const file = join(dir, 'chat_template.jinja');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const config = join(dir, 'tokenizer_config.json');
  if (!existsSync(config)) return undefined;
  try {
    const value = (JSON.parse(readFileSync(config, 'utf8')) as { chat_template?: unknown }).chat_template;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The chat template a merge's `chat_template:` asks for: `auto` (the template most input models
 * share, ties to the first listed), a name from {@link NAMED_CHAT_TEMPLATES}, or a Jinja
 * template itself (it must parse).
 */
export function chooseChatTemplate(value: string, modelDirs: readonly string[], where: string): string {
  if (value === 'auto') {
    const counts = new Map<string, number>();
    for (const dir of modelDirs) {
      const t = templateOf(dir);
      if (t !== undefined) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    if (!best) throw new UsageError(`${where}: chat_template: auto, but none of the input models has a chat template`);
    return best[0];
  }
  const named = NAMED_CHAT_TEMPLATES[value];
  if (named) return named;
  if (!value.includes('{{') && !value.includes('{%')) {
    throw new UsageError(`${where}: chat_template: '${value}' is neither a template name (auto, ${Object.keys(NAMED_CHAT_TEMPLATES).join(', ')}) nor a Jinja template`);
  }
  try {
    new Template(value);
  } catch (err) {
    throw new UsageError(`${where}: chat_template: the template does not parse: ${errorMessage(err)}`);
  }
  return value;
}

/** Writes the template as chat_template.jinja, which wins over tokenizer_config.json's field when loaded. */
export function writeChatTemplate(dir: string, template: string): void {
  writeFileSync(join(dir, 'chat_template.jinja'), template);
}
