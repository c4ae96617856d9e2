import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initModel, parseModelConfig, savePretrained, selectBackend } from '@aya-fw/core';
import { ROOT } from '../cli';

const TOKENIZER = join(ROOT, 'test', 'fixtures', 'hf', 'models', 'llama');

/** A tiny random Llama with the fixture tokenizer, saved into `dir/model`. */
export async function tinyModel(dir: string, seed = 1): Promise<string> {
  await selectBackend('cpu');
  const config = parseModelConfig({
    model_type: 'llama', vocab_size: 520, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
    max_position_embeddings: 128, bos_token_id: 0, eos_token_id: 4, pad_token_id: 5, initializer_range: 0.05,
  });
  const model = initModel(config, { seed });
  savePretrained(model, join(dir, 'model'), { tokenizerFrom: TOKENIZER });
  model.dispose();
  return join(dir, 'model');
}

export const writeJsonl = (file: string, rows: object[]) => writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

/** Arithmetic answers in three languages: learnable, with a language column for metrics. */
export function arithmetic(n: number): object[] {
  const langs = ['en', 'fr', 'es'];
  return Array.from({ length: n }, (_, i) => ({ prompt: `${i % 10}+${(i * 3) % 10}=`, completion: ` ${(i % 10) + ((i * 3) % 10)}`, language: langs[i % 3] }));
}

/** Preference pairs on the same sums: the right answer chosen, a wrong one rejected, with reward columns. */
export function sumPreferences(n: number): object[] {
  return Array.from({ length: n }, (_, i) => {
    const sum = (i % 10) + ((i * 3) % 10);
    return { prompt: `${i % 10}+${(i * 3) % 10}=`, chosen: ` ${sum}`, rejected: ` ${(sum + 1) % 19}`, chosen_reward: 1, rejected_reward: 0, language: ['en', 'fr'][i % 2] };
  });
}
