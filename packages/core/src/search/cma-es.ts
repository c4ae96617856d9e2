import { UsageError } from '../errors';
import { Rng } from '../random/rng';
import { symmetricEigen } from './eigen';

/** Options of {@link CmaEs}; defaults are pycma's. */
export interface CmaOptions {
  /** Start of the mean. */
  readonly x0: readonly number[];
  /** Initial step size. */
  readonly sigma0: number;
  /** Seed of the sampler: the same seed gives the same search. */
  readonly seed?: number;
  /** λ (default 4 + ⌊3 ln n⌋). */
  readonly popsize?: number;
  /** Lower and upper bounds, one number for every coordinate or one per coordinate. */
  readonly bounds?: readonly [number | readonly number[], number | readonly number[]];
  /** Stop after this many evaluations (default ∞). */
  readonly maxfevals?: number;
  /** Stop when the best value reaches this (minimising). */
  readonly ftarget?: number;
  /** Stop when the values of the last generations differ by less (default 1e-11). */
  readonly tolfun?: number;
  /** Stop when every coordinate's step is smaller (default 1e-11). */
  readonly tolx?: number;
  /** Stop after this many generations without a better median (default 100 + 100·n^1.5/λ). */
  readonly tolstagnation?: number;
}

/** The whole search state: JSON-able, so a killed search resumes exactly. */
export interface CmaState {
  readonly n: number;
  readonly lambda: number;
  readonly mu: number;
  readonly weights: number[];
  readonly mueff: number;
  readonly cc: number;
  readonly cs: number;
  readonly c1: number;
  readonly cmu: number;
  readonly damps: number;
  readonly chiN: number;
  mean: number[];
  sigma: number;
  C: number[][];
  B: number[][];
  D: number[];
  pc: number[];
  ps: number[];
  eigenAt: number;
  evaluations: number;
  iterations: number;
  rng: number;
  best: { x: number[]; f: number } | null;
  medians: number[];
  recent: number[];
  /** Bounds per coordinate; `null` for none (JSON has no infinities). */
  readonly lower: (number | null)[];
  readonly upper: (number | null)[];
  /** `null`: no limit. */
  readonly maxfevals: number | null;
  readonly ftarget: number | null;
  readonly tolfun: number;
  readonly tolx: number;
  readonly tolstagnation: number;
}

/**
 * (μ/μ_w, λ)-CMA-ES with pycma's default parameters (recombination weights ln((λ+1)/2) − ln i,
 * cσ = (μ_eff + 2)/(n + μ_eff + 3), dσ, cc, c1, cμ; cumulative step-size adaptation; rank-one
 * and rank-μ covariance updates with active (negative) weights for the worse half; lazy
 * eigendecomposition), minimising. Ask for λ candidates,
 * tell their values, repeat until {@link stop} names a reason. Bounds are handled as pycma's
 * `BoundPenalty` does: a candidate is evaluated at its projection into the box and its value
 * penalised by the squared distance.
 */
export class CmaEs {
  readonly state: CmaState;
  #rng: Rng;

  constructor(options: CmaOptions | { state: CmaState }) {
    if ('state' in options) {
      this.state = structuredClone(options.state);
      this.#rng = new Rng(this.state.rng);
      return;
    }
    const n = options.x0.length;
    if (n < 1) throw new UsageError('CMA-ES needs at least one dimension');
    if (!(options.sigma0 > 0)) throw new UsageError(`CMA-ES sigma0 must be > 0, got ${options.sigma0}`);
    const lambda = options.popsize ?? 4 + Math.floor(3 * Math.log(n));
    if (!Number.isInteger(lambda) || lambda < 2) throw new UsageError(`CMA-ES popsize must be an integer ≥ 2, got ${lambda}`);
    const mu = Math.floor(lambda / 2);
    const raw = Array.from({ length: lambda }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
    const positive = raw.slice(0, mu).reduce((a, b) => a + b, 0);
    const mueff = positive ** 2 / raw.slice(0, mu).reduce((a, w) => a + w * w, 0);
    const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
    const cs = (mueff + 2) / (n + mueff + 3);
    const c1 = (2 * Math.min(1, lambda / 6)) / ((n + 1.3) ** 2 + mueff);
    const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff + 0.25)) / ((n + 2) ** 2 + mueff));
    // Active CMA (pycma's default): the worse half gets negative weights, scaled as Hansen's tutorial (2016) says.
    const negative = raw.slice(mu);
    const negSum = -negative.reduce((a, b) => a + b, 0);
    const mueffMinus = negSum > 0 ? negSum ** 2 / negative.reduce((a, w) => a + w * w, 0) : 0;
    const negScale = Math.min(1 + c1 / cmu, 1 + (2 * mueffMinus) / (mueff + 2), (1 - c1 - cmu) / (n * cmu));
    const weights = raw.map((w, i) => (i < mu ? w / positive : negSum > 0 ? (w * negScale) / negSum : 0));
    const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
    const bound = (b: number | readonly number[] | undefined): (number | null)[] =>
      (b === undefined ? Array(n).fill(null) : typeof b === 'number' ? Array(n).fill(b) : [...b]).map((v) => (Number.isFinite(v) ? v : null));
    const lower = bound(options.bounds?.[0]);
    const upper = bound(options.bounds?.[1]);
    if (lower.length !== n || upper.length !== n || lower.some((l, i) => l !== null && upper[i] !== null && !(l < upper[i]!))) throw new UsageError('CMA-ES bounds: need lower < upper for every coordinate');
    this.state = {
      n, lambda, mu, weights, mueff, cc, cs, c1, cmu, damps,
      chiN: Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n)),
      mean: [...options.x0],
      sigma: options.sigma0,
      C: identity(n),
      B: identity(n),
      D: Array(n).fill(1),
      pc: Array(n).fill(0),
      ps: Array(n).fill(0),
      eigenAt: 0,
      evaluations: 0,
      iterations: 0,
      rng: (options.seed ?? 0) >>> 0,
      best: null,
      medians: [],
      recent: [],
      lower, upper,
      maxfevals: Number.isFinite(options.maxfevals) ? options.maxfevals! : null,
      ftarget: Number.isFinite(options.ftarget) ? options.ftarget! : null,
      tolfun: options.tolfun ?? 1e-11,
      tolx: options.tolx ?? 1e-11,
      tolstagnation: options.tolstagnation ?? Math.ceil(100 + (100 * n ** 1.5) / lambda),
    };
    this.#rng = new Rng(this.state.rng);
  }

  /** λ new candidates, x = m + σ·B·(D ∘ z), z ~ N(0, I). */
  ask(): number[][] {
    const s = this.state;
    const out: number[][] = [];
    for (let k = 0; k < s.lambda; k++) {
      const z = Array.from({ length: s.n }, () => this.#gaussian());
      const y = s.B.map((row) => row.reduce((a, b, j) => a + b * s.D[j] * z[j], 0));
      out.push(s.mean.map((m, i) => m + s.sigma * y[i]));
    }
    s.rng = this.#rng.state;
    return out;
  }

  /** The point a candidate is evaluated at: its projection into the bounds. */
  feasible(x: readonly number[]): number[] {
    const { lower, upper } = this.state;
    return x.map((v, i) => Math.min(upper[i] ?? Infinity, Math.max(lower[i] ?? -Infinity, v)));
  }

  /** The penalised value CMA-ES ranks a candidate by, from its value at {@link feasible}(x). */
  penalised(x: readonly number[], f: number): number {
    const p = this.feasible(x);
    const d2 = x.reduce((a, v, i) => a + (v - p[i]) ** 2, 0);
    return d2 === 0 ? f : f + (1 + Math.abs(f)) * d2;
  }

  /** Updates the distribution from the candidates of one {@link ask} and their values (lower is better). */
  tell(xs: readonly (readonly number[])[], fs: readonly number[]): void {
    const s = this.state;
    if (xs.length !== s.lambda || fs.length !== s.lambda) throw new UsageError(`CMA-ES tell: expected ${s.lambda} candidates and values, got ${xs.length} and ${fs.length}`);
    const values = xs.map((x, k) => (Number.isFinite(fs[k]) ? this.penalised(x, fs[k]) : Infinity));
    s.evaluations += s.lambda;
    s.iterations++;
    const order = values.map((_, k) => k).sort((a, b) => values[a] - values[b]);
    for (const k of order) {
      const at = this.feasible(xs[k]);
      if (Number.isFinite(fs[k]) && (!s.best || fs[k] < s.best.f) && at.every((v, i) => v === xs[k][i])) s.best = { x: [...xs[k]], f: fs[k] };
    }
    const old = s.mean;
    s.mean = old.map((_, i) => order.slice(0, s.mu).reduce((a, k, j) => a + s.weights[j] * xs[k][i], 0));
    const y = s.mean.map((m, i) => (m - old[i]) / s.sigma);
    // C^{-1/2} y = B diag(1/D) Bᵀ y
    const bty = s.B[0].map((_, j) => s.B.reduce((a, row, i) => a + row[j] * y[i], 0));
    const z = s.B.map((row) => row.reduce((a, b, j) => a + (b * bty[j]) / s.D[j], 0));
    const csn = Math.sqrt(s.cs * (2 - s.cs) * s.mueff);
    s.ps = s.ps.map((p, i) => (1 - s.cs) * p + csn * z[i]);
    const psNorm2 = s.ps.reduce((a, p) => a + p * p, 0);
    const hsig = psNorm2 / s.n / (1 - (1 - s.cs) ** ((2 * s.evaluations) / s.lambda)) < 2 + 4 / (s.n + 1) ? 1 : 0;
    const ccn = Math.sqrt(s.cc * (2 - s.cc) * s.mueff);
    s.pc = s.pc.map((p, i) => (1 - s.cc) * p + hsig * ccn * y[i]);
    const c1a = s.c1 * (1 - (1 - hsig * hsig) * s.cc * (2 - s.cc));
    const ys = order.map((k) => xs[k].map((v, i) => (v - old[i]) / s.sigma));
    // Negative weights act on y rescaled by n / ‖C^{-1/2} y‖² (bounded, so C stays positive definite).
    const wk = s.weights.map((w, r) => {
      if (w >= 0) return w;
      const bt = s.B[0].map((_, j) => s.B.reduce((a, row, i) => a + row[j] * ys[r][i], 0));
      const norm2 = bt.reduce((a, v, j) => a + (v / s.D[j]) ** 2, 0);
      return (w * s.n) / Math.max(norm2, 1e-300);
    });
    const wsum = s.weights.reduce((a, w) => a + w, 0);
    for (let i = 0; i < s.n; i++) {
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        for (let k = 0; k < s.lambda; k++) rankMu += wk[k] * ys[k][i] * ys[k][j];
        const v = (1 - c1a - s.cmu * wsum) * s.C[i][j] + s.c1 * s.pc[i] * s.pc[j] + s.cmu * rankMu;
        s.C[i][j] = v;
        s.C[j][i] = v;
      }
    }
    s.sigma *= Math.exp(Math.min(1, Math.max(-1, (s.cs / s.damps) * (Math.sqrt(psNorm2) / s.chiN - 1))));
    if (s.evaluations - s.eigenAt > (s.lambda / (s.c1 + s.cmu) / s.n) * 0.5) this.#decompose();
    // Only finite values are kept (the state is JSON; a failed candidate's Infinity would not survive).
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    if (sorted.length > 0) {
      s.medians.push(sorted[Math.floor(sorted.length / 2)]);
      s.recent = [...s.recent, sorted[0], sorted[sorted.length - 1]].slice(-2 * (10 + Math.ceil((30 * s.n) / s.lambda)));
    }
  }

  /** Why the search should stop, or undefined to go on. */
  stop(): string | undefined {
    const s = this.state;
    if (s.best && s.ftarget !== null && s.best.f <= s.ftarget) return 'ftarget';
    if (s.maxfevals !== null && s.evaluations >= s.maxfevals) return 'maxfevals';
    if (s.iterations === 0) return undefined;
    if (s.recent.length >= 2 && Math.max(...s.recent) - Math.min(...s.recent) < s.tolfun && s.iterations > 1) return 'tolfun';
    const steps = s.C.map((row, i) => s.sigma * Math.sqrt(row[i]));
    if (steps.every((d) => d < s.tolx) && s.pc.every((p) => s.sigma * Math.abs(p) < s.tolx)) return 'tolx';
    if (Math.max(...s.D) ** 2 / Math.min(...s.D) ** 2 > 1e14) return 'conditioncov';
    const m = s.medians;
    if (m.length > s.tolstagnation) {
      const window = Math.max(1, Math.ceil(0.2 * m.length));
      const first = median(m.slice(m.length - s.tolstagnation, m.length - s.tolstagnation + window));
      const last = median(m.slice(-window));
      if (last >= first) return 'tolstagnation';
    }
    return undefined;
  }

  #decompose(): void {
    const s = this.state;
    s.eigenAt = s.evaluations;
    const { values, vectors } = symmetricEigen(s.C);
    s.D = values.map((v) => Math.sqrt(Math.max(v, 1e-300)));
    s.B = vectors;
  }

  #gaussian(): number {
    // Box–Muller on the seeded stream; 1 − u keeps the logarithm finite.
    const u = 1 - this.#rng.next();
    const v = this.#rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Minimises `f` with {@link CmaEs} until a stopping rule fires; `f` may be async (candidates of a
 * generation are evaluated together). Returns the best point, its value, the evaluations and why it stopped.
 */
export async function cmaMinimize(
  f: (xs: number[][]) => number[] | Promise<number[]>,
  options: CmaOptions,
): Promise<{ x: number[]; f: number; evaluations: number; iterations: number; stop: string }> {
  const es = new CmaEs(options);
  for (;;) {
    const reason = es.stop();
    if (reason) return { x: es.state.best?.x ?? es.state.mean, f: es.state.best?.f ?? NaN, evaluations: es.state.evaluations, iterations: es.state.iterations, stop: reason };
    const xs = es.ask();
    es.tell(xs, await f(xs.map((x) => es.feasible(x))));
  }
}
