import { CmaEs, cmaMinimize, symmetricEigen } from '@aya-fw/core';

// Median evaluations pycma 4.4.0 needs to reach f ≤ 1e-10 over seeds 1..11 (defaults: λ = 4 + ⌊3 ln n⌋,
// active CMA), from x0 = 1 (Rosenbrock: 0) with σ0 = 0.5 — test/fixtures/pycma/reference_counts.py.
const PYCMA: Record<string, number> = {
  'sphere-4': 648, 'sphere-8': 1300,
  'ellipsoid-4': 1184, 'ellipsoid-8': 2970,
  'rosenbrock-4': 1376, 'rosenbrock-8': 3730,
};
const FUNCTIONS: Record<string, [(x: number[]) => number, number]> = {
  sphere: [(x) => x.reduce((a, v) => a + v * v, 0), 1],
  ellipsoid: [(x) => x.reduce((a, v, i) => a + 1e6 ** (i / (x.length - 1)) * v * v, 0), 1],
  rosenbrock: [(x) => x.slice(0, -1).reduce((a, v, i) => a + 100 * (x[i + 1] - v * v) ** 2 + (1 - v) ** 2, 0), 0],
};

describe('CMA-ES against pycma', () => {
  it.each(Object.keys(PYCMA))('%s: median evaluations within 20% of pycma\'s, converging on at least 9 of 11 seeds', async (key) => {
    const [name, dims] = key.split('-');
    const [f, start] = FUNCTIONS[name];
    const n = Number(dims);
    const counts: number[] = [];
    for (let seed = 1; seed <= 11; seed++) {
      const r = await cmaMinimize((xs) => xs.map(f), { x0: Array(n).fill(start), sigma0: 0.5, seed, ftarget: 1e-10, tolfun: 1e-15, tolx: 1e-15, maxfevals: 1e5 });
      if (r.f <= 1e-10) counts.push(r.evaluations);
    }
    expect(counts.length).toBeGreaterThanOrEqual(9);
    const median = counts.sort((a, b) => a - b)[Math.floor(counts.length / 2)];
    expect(median / PYCMA[key]).toBeGreaterThan(0.8);
    expect(median / PYCMA[key]).toBeLessThan(1.2);
  });

  it('uses pycma\'s default parameters', () => {
    const s = new CmaEs({ x0: Array(8).fill(0), sigma0: 1 }).state;
    expect(s.lambda).toBe(10); // 4 + ⌊3 ln 8⌋
    expect(s.mu).toBe(5);
    // Positive weights ln((λ+1)/2) − ln i normalised; μ_eff by hand: weights of λ = 10.
    const raw = [1, 2, 3, 4, 5].map((i) => Math.log(5.5) - Math.log(i));
    const sum = raw.reduce((a, b) => a + b, 0);
    raw.forEach((w, i) => expect(s.weights[i]).toBeCloseTo(w / sum, 12));
    const mueff = sum ** 2 / raw.reduce((a, w) => a + w * w, 0);
    expect(s.mueff).toBeCloseTo(mueff, 12);
    expect(s.cs).toBeCloseTo((mueff + 2) / (8 + mueff + 3), 12);
    expect(s.cc).toBeCloseTo((4 + mueff / 8) / (8 + 4 + (2 * mueff) / 8), 12);
    expect(s.c1).toBeCloseTo(2 / (9.3 ** 2 + mueff), 12);
    expect(s.cmu).toBeCloseTo(Math.min(1 - s.c1, (2 * (mueff - 2 + 1 / mueff + 0.25)) / (100 + mueff)), 12);
    expect(s.damps).toBeCloseTo(1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / 9) - 1) + s.cs, 12);
    expect(s.weights.slice(5).every((w) => w < 0)).toBe(true);
  });

  it('is reproducible from its seed, and a state restored from JSON continues identically', async () => {
    const f = FUNCTIONS.rosenbrock[0];
    const run = async (seed: number) => (await cmaMinimize((xs) => xs.map(f), { x0: Array(4).fill(0), sigma0: 0.5, seed, maxfevals: 400 })).x;
    expect(await run(3)).toEqual(await run(3));
    expect(await run(3)).not.toEqual(await run(4));
    const a = new CmaEs({ x0: Array(4).fill(0), sigma0: 0.5, seed: 5 });
    for (let g = 0; g < 10; g++) {
      const xs = a.ask();
      a.tell(xs, xs.map(f));
    }
    const b = new CmaEs({ state: JSON.parse(JSON.stringify(a.state)) });
    for (let g = 0; g < 10; g++) {
      const xa = a.ask();
      const xb = b.ask();
      expect(xb).toEqual(xa);
      a.tell(xa, xa.map(f));
      b.tell(xb, xb.map(f));
    }
    expect(b.state.mean).toEqual(a.state.mean);
  });

  it('keeps to its bounds: the optimum of a sphere centred outside the box is found on its face', async () => {
    const r = await cmaMinimize((xs) => xs.map((x) => x.reduce((a, v) => a + (v - 2) ** 2, 0)), { x0: [0.5, 0.5, 0.5], sigma0: 0.3, seed: 1, bounds: [0, 1], maxfevals: 2000 });
    r.x.forEach((v) => expect(v).toBeCloseTo(1, 3));
    expect(r.f).toBeCloseTo(3, 4);
  });

  it('stops on maxfevals, on a flat function (tolfun) and names the reason', async () => {
    expect((await cmaMinimize((xs) => xs.map(() => 1), { x0: [0, 0], sigma0: 1, seed: 1 })).stop).toBe('tolfun');
    const r = await cmaMinimize((xs) => xs.map((x) => x[0] ** 2 + x[1] ** 2), { x0: [1, 1], sigma0: 1, seed: 1, maxfevals: 30 });
    expect(r.stop).toBe('maxfevals');
    expect(r.evaluations).toBe(30);
  });

  it('decomposes symmetric matrices: B·diag(D)·Bᵀ = C', () => {
    const c = [
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 2],
    ];
    const { values, vectors } = symmetricEigen(c);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(vectors[i].reduce((a, b, k) => a + b * values[k] * vectors[j][k], 0)).toBeCloseTo(c[i][j], 10);
  });
});
