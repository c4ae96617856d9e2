import type { MergeMethodDefinition } from '@aya-fw/core';
import { allInputs, dot, norm, times } from './inputs';

/**
 * mergekit `karcher`: the Riemannian (Karcher) mean of the inputs' directions on the unit
 * sphere with equal weights (the base included when given), by up to `max_iter` fixed-point
 * steps u ← exp_u(Σ aᵢ·θᵢ/sin θᵢ·(uᵢ − cos θᵢ·u)) stopping when the step's norm is under
 * `tol`, scaled by the mean of the inputs' norms. Inputs with norm ≤ tol take no part in the
 * direction; all of them zero gives zeros.
 */
export function karcherMean(tensors: readonly Float32Array[], maxIter: number, tol: number): Float32Array {
  const alphas = tensors.map(() => 1 / tensors.length);
  const n = tensors[0].length;
  const norms = tensors.map((x) => norm(x));
  const valid = tensors.map((_, i) => i).filter((i) => norms[i] > tol);
  if (valid.length === 0) return new Float32Array(n);
  const alphaSum = valid.reduce((s, i) => s + alphas[i], 0);
  const a = valid.map((i) => alphas[i] / alphaSum);
  const units = valid.map((i) => times(tensors[i], 1 / norms[i]));
  let u = new Float32Array(n);
  units.forEach((ui, k) => {
    for (let j = 0; j < n; j++) u[j] += a[k] * ui[j];
  });
  const nu = norm(u);
  if (nu < tol) u = Float32Array.from(units[0]);
  else for (let j = 0; j < n; j++) u[j] /= nu;
  for (let iter = 0; iter < maxIter; iter++) {
    const T = new Float32Array(n);
    units.forEach((ui, k) => {
      const c = Math.min(1, Math.max(-1, dot(u, ui)));
      const theta = Math.acos(c);
      if (theta < tol) return;
      const f = (a[k] * theta) / Math.sin(theta);
      for (let j = 0; j < n; j++) T[j] += f * (ui[j] - c * u[j]);
    });
    const nT = norm(T);
    if (nT < tol) break;
    const c = Math.cos(nT);
    const s = Math.sin(nT) / nT;
    for (let j = 0; j < n; j++) u[j] = c * u[j] + s * T[j];
    const un = norm(u);
    if (un > tol) for (let j = 0; j < n; j++) u[j] /= un;
  }
  const scale = alphas.reduce((acc, w, i) => acc + w * norms[i], 0);
  for (let j = 0; j < n; j++) u[j] *= scale;
  return u;
}

export const karcher: MergeMethodDefinition = {
  id: 'karcher',
  description: 'Karcher (Riemannian) mean of the models’ directions on the sphere, scaled by their mean norm',
  requiresBase: false,
  elementwise: false,
  parameters: [{ name: 'max_iter', default: 10 }, { name: 'tol', default: 1e-5 }],
  tensorParameters: [],
  mergeTensor(req) {
    const inputs = allInputs(req);
    return inputs.length === 1 ? inputs[0] : karcherMean(inputs, Number(req.parameters.max_iter), Number(req.parameters.tol));
  },
};
