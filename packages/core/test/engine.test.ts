import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AyaError, HookStage, loadRecipe, runRecipe, tf, UsageError, type AyaOptimizer, type Engine } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import { testPlugin } from './helpers';

function recipe(dir: string, body: string): string {
  const file = join(dir, 'recipe.yaml');
  writeFileSync(file, body);
  return file;
}

function tapEverything(engine: Engine, log: string[]): void {
  const h = engine.hooks;
  h.beforeRun.tap('t', (r) => void log.push(`beforeRun:${r.name}`));
  h.run.tap('t', (r) => void log.push(`run:${r.name}`));
  h.beforeStage.tap('t', (s) => void log.push(`beforeStage:${s.name}`));
  h.afterStage.tap('t', (s) => void log.push(`afterStage:${s.name}`));
  h.afterRun.tap('t', (_r, res) => void log.push(`afterRun:${Object.keys(res.stages).join('+')}`));
  h.beforeOptimizerStep.tap('t', (g, i) => (log.push(`beforeOptimizerStep:${i.step}`), g));
  h.afterOptimizerStep.tap('t', (i) => void log.push(`afterOptimizerStep:${i.step}`));
  h.step.tap('t', (s) => void log.push(`step:${s.stage}:${s.step}`));
}

describe('engine lifecycle', () => {
  it('calls the run, stage and step hooks in order', async () => {
    const log: string[] = [];
    const engine = await createTestEngine({ plugins: [testPlugin(log)] });
    tapEverything(engine, log);
    const dir = mkdtempSync(join(tmpdir(), 'aya-engine-'));
    const file = recipe(dir, 'name: order\nstages:\n  - { name: a, trainer: record, with: { steps: 2 } }\n  - { name: b, trainer: record, with: { steps: 1 } }\n');
    await runRecipe(engine, loadRecipe(file), { outDir: join(dir, 'out'), seed: 0, backend: 'cpu' });
    expect(log).toEqual([
      'beforeRun:order',
      'run:order',
      'beforeStage:a',
      'trainer:a',
      'beforeOptimizerStep:1',
      'afterOptimizerStep:1',
      'step:a:1',
      'beforeOptimizerStep:2',
      'afterOptimizerStep:2',
      'step:a:2',
      'afterStage:a',
      'beforeStage:b',
      'trainer:b',
      'beforeOptimizerStep:1',
      'afterOptimizerStep:1',
      'step:b:1',
      'afterStage:b',
      'afterRun:a+b',
    ]);
    expect(existsSync(join(dir, 'out', 'run.json'))).toBe(true);
  });

  it('orders taps by named stage, not by registration order', async () => {
    const engine = await createTestEngine();
    const order: string[] = [];
    engine.hooks.step.tap({ name: 'report', stage: HookStage.REPORT }, () => void order.push('report'));
    engine.hooks.step.tap({ name: 'after', stage: HookStage.AFTER_DEFAULT }, () => void order.push('after'));
    engine.hooks.step.tap({ name: 'first', stage: HookStage.OVERRIDE }, () => void order.push('first'));
    engine.hooks.step.call({ stage: 's', step: 1, loss: 0, metrics: {} });
    expect(order).toEqual(['first', 'after', 'report']);
  });

  it('validates every stage before running any, naming the file, line and field', async () => {
    const log: string[] = [];
    const engine = await createTestEngine({ plugins: [testPlugin(log)] });
    const dir = mkdtempSync(join(tmpdir(), 'aya-engine-'));
    const file = recipe(dir, 'name: bad\nstages:\n  - trainer: record\n  - trainer: record\n    name: second\n    with:\n      steps: many\n');
    await expect(runRecipe(engine, loadRecipe(file), { outDir: join(dir, 'out'), seed: 0, backend: 'cpu' })).rejects.toThrow(
      `${file}:7: stages[1].with.steps: Invalid input: expected number, received string`,
    );
    expect(log).toEqual([]);
    expect(existsSync(join(dir, 'out', 'run.json'))).toBe(false);
  });
});

describe('engine stages', () => {
  it('computes a registered loss with validated options, then post-processes it', async () => {
    const engine = await createTestEngine({ plugins: [testPlugin([])] });
    engine.hooks.processLoss.tap('double', (out) => ({ ...out, loss: tf.mul(out.loss, 2) as tf.Scalar }));
    const x = tf.scalar(1);
    const out = engine.prepareLoss('square', { target: 4 }, "loss 'square'").compute({ x });
    expect(out.loss.dataSync()[0]).toBeCloseTo(2 * 9);
    expect(() => engine.prepareLoss('square', { target: 'x' }, "loss 'square'")).toThrow(
      "loss 'square': target: Invalid input: expected number, received string",
    );
    expect(() => engine.prepareLoss('sqare', {}, 'here')).toThrow("unknown loss 'sqare' (did you mean 'square'?); known: square");
  });

  it('lets a plugin replace a default by tapping a bail hook at OVERRIDE', async () => {
    const engine = await createTestEngine({ plugins: [testPlugin([])] });
    engine.hooks.loss.tap({ name: 'mine', stage: HookStage.OVERRIDE }, (req) => (req.loss === 'square' ? { loss: tf.scalar(42) } : undefined));
    expect(engine.prepareLoss('square', {}, 'here').compute({ x: tf.scalar(0) }).loss.dataSync()[0]).toBe(42);
  });

  it('lets an OVERRIDE tap of resolve serve an id that no registry has', async () => {
    const engine = await createTestEngine({ plugins: [testPlugin([])] });
    const square = engine.resolve('losses', 'square');
    engine.hooks.resolve.tap({ name: 'alias', stage: HookStage.OVERRIDE }, (req) => (req.kind === 'losses' && req.id === 'l2' ? square : undefined));
    expect(engine.prepareLoss('l2', { target: 1 }, 'here').compute({ x: tf.scalar(3) }).loss.dataSync()[0]).toBeCloseTo(4);
    expect(() => engine.resolve('losses', 'l3')).toThrow("unknown loss 'l3'");
  });

  it('runs training steps without leaking tensors, and minimises the loss', async () => {
    const engine = await createTestEngine({ plugins: [testPlugin([])] });
    const x = tf.variable(tf.scalar(0));
    const optimizer = tf.train.sgd(0.1) as unknown as AyaOptimizer;
    const square = engine.prepareLoss('square', {}, 'here');
    const step = (n: number) =>
      engine.trainStep({ stage: 's', step: n, optimizer, variables: [x], loss: () => square.compute({ x }) });
    step(1);
    const before = liveTensors();
    let last = Infinity;
    for (let i = 2; i < 40; i++) {
      const info = step(i);
      expect(info.loss).toBeLessThan(last);
      expect(info.metrics.x).toBeLessThan(x.dataSync()[0]); // metrics are read before the update
      last = info.loss;
    }
    expect(liveTensors()).toBe(before);
    expect(x.dataSync()[0]).toBeCloseTo(3, 2);
  });

  it('stops on a non-finite loss before applying the update', async () => {
    const engine = await createTestEngine();
    const x = tf.variable(tf.scalar(1));
    const applied: number[] = [];
    engine.hooks.afterOptimizerStep.tap('t', (i) => void applied.push(i.step));
    const run = () =>
      engine.trainStep({ stage: 'nan', step: 7, optimizer: tf.train.sgd(1) as unknown as AyaOptimizer, variables: [x], loss: () => ({ loss: tf.div(tf.sub(x, x), tf.sub(x, x)) as tf.Scalar }) });
    expect(run).toThrow(AyaError);
    expect(run).toThrow("stage 'nan': loss is NaN at step 7; stopping before the update");
    expect(applied).toEqual([]);
    expect(x.dataSync()[0]).toBe(1);
  });

  it('stops a stage when shouldStop says so', async () => {
    const log: string[] = [];
    const engine = await createTestEngine({ plugins: [testPlugin(log)] });
    engine.hooks.shouldStop.tap('two', (s) => s.step >= 2);
    const steps: number[] = [];
    engine.hooks.step.tap('t', (s) => void steps.push(s.step));
    const result = await engine.registries.trainers.get('record').run({
      engine, config: { steps: 10, lr: 0.1 }, stage: 's', outDir: tmpdir(), seed: 0, reporter: engine.reporter, previous: {},
    });
    expect(steps).toEqual([1, 2]);
    expect(result.metrics.loss).toBeGreaterThan(0);
  });

  it('names the missing dataset format and the unregistered adapter', async () => {
    const engine = await createTestEngine();
    const rows = engine.loadData({ file: 'data/train.jsonl' });
    await expect(rows.next()).rejects.toThrow("data/train.jsonl: no dataset format reads '.jsonl' files; known: none");
    expect(() => engine.adapt({ namedParameters: () => new Map() }, { adapter: 'lora' })).toThrow(UsageError);
  });
});
