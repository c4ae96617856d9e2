import { definePlugin, tf, z, type AyaOptimizer, type LossDefinition, type TrainerDefinition } from '@aya-fw/core';

/** A loss of one variable: (x − target)², for engine tests. */
export const squareLoss: LossDefinition<{ x: tf.Tensor }, { target: number }> = {
  id: 'square',
  description: '(x − target)²',
  inputKind: 'test',
  configSchema: z.object({ target: z.number().default(3) }).strict(),
  compute: ({ x }, { target }) => ({ loss: tf.sum(tf.square(tf.sub(x, target))) as tf.Scalar, metrics: { x: tf.sum(x) as tf.Scalar } }),
};

/** A trainer that records the stage it ran and minimises `square` with plain SGD. */
export function recordingTrainer(log: string[]): TrainerDefinition<{ steps: number; lr: number }> {
  return {
    id: 'record',
    description: 'records its calls; minimises the square loss',
    configSchema: z.object({ steps: z.number().int().positive().default(3), lr: z.number().positive().default(0.1) }).strict(),
    async run(ctx) {
      log.push(`trainer:${ctx.stage}`);
      const x = tf.variable(tf.scalar(0));
      const optimizer = tf.train.sgd(ctx.config.lr) as unknown as AyaOptimizer;
      const square = ctx.engine.prepareLoss('square', {}, ctx.stage, { stage: ctx.stage });
      let loss = NaN;
      for (let step = 1; step <= ctx.config.steps; step++) {
        const info = ctx.engine.trainStep({
          stage: ctx.stage,
          step,
          totalSteps: ctx.config.steps,
          optimizer,
          variables: [x],
          loss: () => square.compute({ x }),
        });
        loss = info.loss;
        if (ctx.engine.shouldStop(info)) break;
      }
      const value = x.dataSync()[0];
      x.dispose();
      optimizer.dispose();
      return { metrics: { loss, x: value } };
    },
  };
}

export const testPlugin = (log: string[]) =>
  definePlugin({ name: 'test-plugin', contributes: { losses: [squareLoss], trainers: [recordingTrainer(log)] } });
