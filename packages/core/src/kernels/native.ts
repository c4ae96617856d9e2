import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** aya-fw's native kernels (`native/*.cc`, built at install by `scripts/build-native.mjs`). */
export interface NativeKernels {
  /**
   * c[t] = op(a[t]) · op(b[t]) for `batch` row-major products, op(a) [m, k] and op(b) [k, n];
   * strides of 0 broadcast one matrix. Reads and writes the arrays in place.
   */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number, strideA: number, strideB: number, transA: boolean, transB: boolean): void;
  /** One fused Adam update (`native/adam.h`); all arrays of one length, outputs distinct from inputs. */
  adam(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, outParam: Float32Array, outM: Float32Array, outV: Float32Array, stepSize: number, beta1: number, beta2: number, epsilon: number, biasCorrection2: number, weightDecay: number, decayFactor: number): void;
  /** log-softmax of x [rows, vocab] picked at targets, and each row's log-sum-exp (`native/log-softmax.h`); throws on a target outside the vocabulary. */
  pickLogSoftmax(x: Float32Array, targets: Int32Array, out: Float32Array, lse: Float32Array, rows: number, vocab: number): void;
  /** dx = dy·(onehot(targets) − softmax(x)). */
  pickLogSoftmaxGrad(x: Float32Array, targets: Int32Array, lse: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, vocab: number): void;
  /** RMSNorm over the last axis of x [rows, d] with weight w [d]; each row's 1/√(mean(x²) + ε) into rstd (`native/rms-norm.h`). */
  rmsNorm(x: Float32Array, w: Float32Array, y: Float32Array, rstd: Float32Array, rows: number, d: number, eps: number): void;
  /** Gradients of {@link rmsNorm} in x and w. */
  rmsNormGrad(x: Float32Array, w: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array, dw: Float32Array, rows: number, d: number): void;
  /** y = silu(gate)·up (`native/swiglu.h`); all arrays of one length. */
  swiglu(gate: Float32Array, up: Float32Array, y: Float32Array): void;
  /** Gradients of {@link swiglu} in gate and up. */
  swigluGrad(gate: Float32Array, up: Float32Array, dy: Float32Array, dgate: Float32Array, dup: Float32Array): void;
  /** y = softmax(scale·scores + bias) over the last axis, scores [batch, heads, rows, cols], bias [biasBatch, rows, cols] (`native/softmax.h`). */
  scaledBiasedSoftmax(scores: Float32Array, bias: Float32Array, y: Float32Array, batch: number, heads: number, rows: number, cols: number, biasBatch: number, scale: number): void;
  /** ds = scale·y·(dy − Σ dy·y), row by row. */
  scaledSoftmaxGrad(y: Float32Array, dy: Float32Array, ds: Float32Array, rows: number, cols: number, scale: number): void;
  setThreads(n: number): void;
  threads(): number;
  missingCpuFeature(): string;
}

/** Where the build script puts the addon. */
export const NATIVE_ADDON_PATH = join(__dirname, '..', '..', 'native', 'build', 'aya_native.node');
const BUILD_COMMAND = `node ${join(__dirname, '..', '..', 'scripts', 'build-native.mjs')}`;

/** The loaded addon, or why it is not in use. */
export type NativeLoad = { readonly kernels: NativeKernels } | { readonly reason: string };

/**
 * Loads the addon at `path`; the reason instead when it is missing, fails to load, was built
 * for a CPU with instructions this one lacks, or `AYA_FW_NO_NATIVE=1` turns it off.
 */
export function loadNativeAddon(path: string): NativeLoad {
  if (process.env.AYA_FW_NO_NATIVE === '1') return { reason: 'turned off by AYA_FW_NO_NATIVE=1' };
  if (!existsSync(path)) return { reason: `not built (${path} is missing; build it with: ${BUILD_COMMAND})` };
  try {
    const kernels = require(path) as NativeKernels;
    const missing = kernels.missingCpuFeature();
    if (missing) return { reason: `built for a CPU with ${missing}, which this one lacks (rebuild it with: ${BUILD_COMMAND})` };
    return { kernels };
  } catch (err) {
    return { reason: `failed to load ${path}: ${(err as Error).message.split('\n')[0]}` };
  }
}

let loaded: NativeLoad | undefined;

/** The native kernels, loaded once; null when unavailable. */
export function nativeKernels(): NativeKernels | null {
  loaded ??= loadNativeAddon(NATIVE_ADDON_PATH);
  return 'kernels' in loaded ? loaded.kernels : null;
}

/** `native kernels, N threads` or why they are not in use. */
export function nativeKernelsStatus(): string {
  const k = nativeKernels();
  return k ? `native kernels, ${k.threads()} threads` : `no native kernels: ${(loaded as { reason: string }).reason}`;
}

/**
 * Threads of the native kernels (all cores by default); 1 when they are unavailable, since
 * the wasm kernels run on the calling thread.
 */
export function computeThreads(): number {
  return nativeKernels()?.threads() ?? 1;
}

/** Sets the native kernels' thread count; ignored without them. */
export function setComputeThreads(n: number): void {
  nativeKernels()?.setThreads(n);
}
