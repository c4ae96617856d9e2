import type { Engine } from '../engine/engine';
import type { ProgressTask, Reporter } from './reporter';

/**
 * Drives a reporter from the engine's hooks through interceptors, so trainers never talk
 * to terminals: one progress task per stage, ticked by each `step` call with its loss, and
 * one per merge, ticked by each merged tensor with the read rate.
 */
export function attachProgress(engine: Engine, reporter: Reporter): void {
  const tasks = new Map<string, { task: ProgressTask; total?: number }>();
  engine.hooks.beforeStage.intercept({
    call: (stage) => reporter.info(`stage ${stage.index + 1}/${stage.count}: ${stage.name} (trainer ${stage.trainer})`),
  });
  engine.hooks.step.intercept({
    call: (step) => {
      let entry = tasks.get(step.stage);
      if (!entry) {
        entry = { task: reporter.progress(step.stage, step.totalSteps), total: step.totalSteps };
        tasks.set(step.stage, entry);
      }
      entry.task.tick(1, `loss ${step.loss.toPrecision(4)}`);
      if (entry.total !== undefined && step.step >= entry.total) {
        entry.task.done(`loss ${step.loss.toPrecision(4)}`);
        tasks.delete(step.stage);
      }
    },
  });
  const finish = (stage: string) => {
    tasks.get(stage)?.task.done();
    tasks.delete(stage);
  };
  engine.hooks.afterStage.intercept({ call: (stage) => finish(stage.name) });

  let merge: { task: ProgressTask; started: number; bytes: number } | undefined;
  engine.hooks.beforeMerge.intercept({
    call: (info) => {
      const task = reporter.progress(`merge (${info.method})`, info.tensorCount);
      merge = { task, started: Date.now(), bytes: 0 };
    },
  });
  engine.hooks.tensorMerged.intercept({
    call: (tensor) => {
      if (!merge) return;
      merge.bytes += tensor.bytesRead;
      const seconds = Math.max((Date.now() - merge.started) / 1000, 1e-3);
      merge.task.tick(1, `${(merge.bytes / 1e9 / seconds).toFixed(2)} GB/s read`);
    },
  });
  engine.hooks.afterMerge.intercept({
    call: (info) => {
      const seconds = merge ? (Date.now() - merge.started) / 1000 : 0;
      merge?.task.done(`${info.tensorCount} tensors, ${(info.inputBytes / 1e9).toFixed(2)} GB read in ${seconds.toFixed(1)} s`);
      merge = undefined;
    },
  });
}
