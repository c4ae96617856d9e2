import type { PretrainedModel } from '../models/model';
import type { Tokenizer } from '../tokenizer/tokenizer';

/** Token ids that end generation: the config's `eos_token_id`(s) and the tokenizer's EOS. */
export function stopTokenIds(model: PretrainedModel, tokenizer: Tokenizer): number[] {
  return [...new Set([...model.config.eosTokenIds, ...(tokenizer.eosTokenId === undefined ? [] : [tokenizer.eosTokenId])])];
}

/** The id batches are padded with: the config's `pad_token_id`, else the tokenizer's pad, else EOS, else 0. */
export function paddingTokenId(model: PretrainedModel, tokenizer: Tokenizer): number {
  return model.config.padTokenId ?? tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
}
