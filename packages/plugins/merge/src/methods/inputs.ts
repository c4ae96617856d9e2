import { UsageError, type TensorMergeRequest } from '@aya-fw/core';

/** The listed models other than the base, with their parameters, in list order. */
export function nonBase(req: TensorMergeRequest): { tensors: Float32Array[]; parameters: Readonly<Record<string, number | boolean>>[] } {
  const tensors: Float32Array[] = [];
  const parameters: Readonly<Record<string, number | boolean>>[] = [];
  req.tensors.forEach((x, i) => {
    if (i === req.baseIndex) return;
    tensors.push(x);
    parameters.push(req.modelParameters[i]);
  });
  return { tensors, parameters };
}

/** Every input, the base included once (mergekit gathers the base beside the models). */
export function allInputs(req: TensorMergeRequest): Float32Array[] {
  return req.base && req.baseIndex === undefined ? [...req.tensors, req.base] : [...req.tensors];
}

/** The one non-base model of a two-model method (slerp, nearswap, arcee_fusion), or an error naming the tensor. */
export function theOther(req: TensorMergeRequest, method: string): Float32Array {
  const { tensors } = nonBase(req);
  if (tensors.length !== 1) throw new UsageError(`${method} merges exactly two models: the base and one other (tensor ${req.name} has ${tensors.length} others)`);
  return tensors[0];
}

/** Rows of a tensor as mergekit's `dim=-1` operations see them: the last axis; a 1-D tensor is one row. */
export function rowLength(shape: readonly number[], n: number): number {
  return shape.length >= 2 ? shape[shape.length - 1] : n;
}

export function norm(x: Float32Array, start = 0, count = x.length): number {
  let s = 0;
  for (let i = start; i < start + count; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

export function dot(a: Float32Array, b: Float32Array, start = 0, count = a.length): number {
  let s = 0;
  for (let i = start; i < start + count; i++) s += a[i] * b[i];
  return s;
}

/** x − base, as a new array (a plain loop: `Float32Array.from` with a map function is many times slower). */
export function minus(x: Float32Array, base: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - base[i];
  return out;
}

/** s·x, as a new array. */
export function times(x: Float32Array, s: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * s;
  return out;
}

export function sumOfSquares(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
