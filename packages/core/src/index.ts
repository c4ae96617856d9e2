/**
 * @aya-fw/core: the engine, its hooks and registries, plugin loading, recipes and compute
 * backends. Plugins import tapable, inversify, zod and tfjs through these re-exports so one
 * copy of each runs.
 */
import 'reflect-metadata';
import * as tfjs from '@tensorflow/tfjs';

// tfjs's own console banners ("looks like you are running TensorFlow.js in Node.js") are noise
// in a CLI whose backend choice is printed once by `selectBackend`'s caller.
tfjs.env().set('PROD', true);

export * from './errors';
export * from './ids';
export * from './tokens';
export * from './registry/contributions';
export * from './registry/registry';
export * from './registry/registries';
export * from './engine/engine';
export * from './engine/hooks';
export * from './engine/hook-types';
export * from './engine/stages';
export * from './plugin/plugin';
export * from './plugin/resolve';
export * from './plugin/load';
export * from './container';
export * from './reporting/reporter';
export * from './backend/select';
export * from './config/validate';
export * from './config/options-doc';
export * from './config/files';
export * from './config/recipe';
export * from './run/plan-stage';
export * from './run/run-recipe';
export * from './run/run-stages';
export * from './run/run-folder';
export * from './run/fingerprint';
export * from './losses/pairwise';
export * from './tensor/ops';

export * as tf from '@tensorflow/tfjs';
export * as tapable from 'tapable';
export { Container, ContainerModule } from 'inversify';
export { z } from 'zod';
export * from './random/rng';
export * from './reporting/progress';
export * from './hf';
export * from './merge';
export * from './kernels/merge-kernels';
export * from './kernels/adam';
export * from './kernels/attention-softmax';
export * from './kernels/pick-log-softmax';
export * from './kernels/rms-norm';
export * from './kernels/swiglu';
export * from './backend/wasm-kernels';
export { computeThreads, loadNativeAddon, NATIVE_ADDON_PATH, nativeKernelsStatus, setComputeThreads, type NativeLoad } from './kernels/native';
export * from './data';
export * from './training';
export * from './adapters';
export * from './rewards';
export * from './judges';
export * from './search';
export * from './remote';
export * from './bench/train';
export * from './fs/atomic';
export * from './fs/jsonl';
export * from './fs/background-writer';
