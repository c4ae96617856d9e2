import { definePlugin } from '@aya-fw/core';
import { adafactor } from './optimizers/adafactor';
import { adam, adamw } from './optimizers/adamw';
import { sgd } from './optimizers/sgd';

export * from './optimizers/adamw';
export * from './optimizers/sgd';
export * from './optimizers/adafactor';

/** AdamW, Adam, SGD with momentum and Adafactor. */
export default definePlugin({
  name: '@aya-fw/plugin-optimizers',
  contributes: { optimizers: [adamw, adam, sgd, adafactor] },
});
