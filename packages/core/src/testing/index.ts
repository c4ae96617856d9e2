import * as tf from '@tensorflow/tfjs';

import { createEngine } from '../container';
import type { Engine } from '../engine/engine';
import type { AyaPlugin } from '../plugin/plugin';
import type { ProgressTask, Reporter } from '../reporting/reporter';

/** Options of {@link createTestEngine}. */
export interface TestEngineOptions {
  /** Plugins under test, loaded in order. */
  readonly plugins?: readonly AyaPlugin[];
  /** tfjs backend for the test (default `cpu`: deterministic reference results). */
  readonly backend?: string;
  readonly reporter?: Reporter;
}

/**
 * An engine with only the given plugins, on the cpu backend: the harness a plugin's tests
 * need and nothing else (the role ESLint's RuleTester plays).
 */
export async function createTestEngine(options: TestEngineOptions = {}): Promise<Engine> {
  await tf.setBackend(options.backend ?? 'cpu');
  return createEngine({ plugins: options.plugins, reporter: options.reporter });
}

/** A reporter that records everything, for assertions. */
export interface RecordingReporter extends Reporter {
  readonly lines: string[];
  readonly results: Record<string, unknown>;
}

export function recordingReporter(): RecordingReporter {
  const lines: string[] = [];
  const results: Record<string, unknown> = {};
  const task = (label: string): ProgressTask => ({
    tick: (_n, status) => status && lines.push(`${label}: ${status}`),
    done: (summary) => lines.push(`${label}: done${summary ? ` ${summary}` : ''}`),
  });
  return {
    lines,
    results,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    progress: (label) => task(label),
    result: (k, v) => (results[k] = v),
  };
}

/** Tensors alive now; compare before and after to prove a step leaks nothing. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
