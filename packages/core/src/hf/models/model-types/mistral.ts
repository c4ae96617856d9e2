import type { ModelTypeDefinition } from './model-type';
import { llamaArchitecture, parseLlamaLike } from './llama';

export const mistral: ModelTypeDefinition = { className: 'Mistral', parse: (f) => parseLlamaLike(f, 'mistral'), architecture: llamaArchitecture };
