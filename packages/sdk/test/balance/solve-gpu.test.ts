// Both solvers on the GPU engine (float32 sums, lavapipe here) against the float64 CPU engine's Newton solution,
// which solve-random.test.ts checks against an independent exact solve. Also the sub-sampled Hessian path.
import '@m4kit/kernels/node';
import { init, type Kernels } from '@m4kit/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuEngine } from '../../src/balance/engine-gpu.js';
import { createCpuEngine, maxFeasibleEta, solveBatch, type BalanceData } from '../../src/balance/index.js';

let k: Kernels;
beforeAll(async () => {
  k = await init({ backend: 'webgpu' });
});
afterAll(() => k?.destroy());

function instance(seed: number, n: number, m: number, c: number, utility: number, weights: boolean): BalanceData {
  let s = seed;
  const r = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const S = new Float64Array(n * m);
  for (let i = 0; i < n; i++) S[i * m + Math.min(m - 1, Math.floor(r() * r() * 1.6 * m))] = 1; // skewed groups
  const Y = Float64Array.from({ length: n * c }, () => (r() < 0.25 ? 1 : 0));
  const u = utility ? Float64Array.from({ length: n }, () => (r() - 0.5) * utility) : undefined;
  const w = weights ? Float64Array.from({ length: n }, () => 1 + Math.floor(r() * 4)) : undefined;
  return { n, m, c, S, Y, u, w };
}

const CASES = [
  {
    name: 'm2 c3 n700 utility hard',
    seed: 11,
    n: 700,
    m: 2,
    c: 3,
    utility: 0.2,
    weights: false,
    eps: 0,
    etaFrac: 0.8,
    V: Infinity,
  },
  {
    name: 'm3 c4 n1500 eps weights',
    seed: 12,
    n: 1500,
    m: 3,
    c: 4,
    utility: 0.1,
    weights: true,
    eps: 0.01,
    etaFrac: 0.9,
    V: Infinity,
  },
  {
    name: 'm2 c5 n1000 soft V=0.5',
    seed: 13,
    n: 1000,
    m: 2,
    c: 5,
    utility: 0.3,
    weights: false,
    eps: 0.005,
    etaFrac: 1.3,
    V: 0.5,
  },
];

describe('solvers on the GPU engine agree with the float64 engine', () => {
  for (const cs of CASES) {
    it(cs.name, async () => {
      const data = instance(cs.seed, cs.n, cs.m, cs.c, cs.utility, cs.weights);
      const pi = Array.from({ length: cs.m }, () => 1 / cs.m);
      const cpu = createCpuEngine(data, pi);
      const mf = await maxFeasibleEta(cpu, { epsRep: cs.eps, epsAssoc: cs.eps });
      const eta = Math.min(0.95, cs.etaFrac * mf.eta);
      const opts = { eta, epsRep: cs.eps, epsAssoc: cs.eps, V: cs.V };
      const ref = await solveBatch(cpu, { ...opts, method: 'newton' });
      expect(ref.converged).toBe(true);
      const qRef = await cpu.q(ref.W, ref.mu, eta);
      // chunked GPU engine (3+ chunks), the pipeline's float32 tolerance; Hessian every row and every 7th row
      const gpu = createGpuEngine(k, data, pi, { chunkRows: 400 });
      const runs = [
        ['newton', Infinity],
        ['newton', cs.n / 7],
        ['first-order', Infinity],
      ] as const;
      for (const [method, hessianRows] of runs) {
        const r = await solveBatch(gpu, { ...opts, method, hessianRows, tol: 2e-6 });
        const label = `${method} hessianRows=${hessianRows} ${r.solver.note} kkt ${r.kktResidual}`;
        expect(r.converged, label).toBe(true);
        expect(r.status, label).toBe(ref.status);
        expect(r.solver.method, label).toBe(method);
        if (method === 'newton') {
          expect(r.solver.hessianStride, label).toBe(hessianRows === Infinity ? 1 : 7);
          expect(r.solver.passes, label).toBeLessThan(40); // vs hundreds for the first-order method
        }
        const q = await gpu.q(r.W, r.mu, eta);
        let err = 0;
        for (let i = 0; i < cs.n; i++) err = Math.max(err, Math.abs(q[i] - qRef[i]));
        // float32 sums over ≤ 1500 rows: KKT residual 2e-6 moves q by ≲ 1e-4 on these conditionings
        expect(err, label).toBeLessThan(1e-4);
        expect(Math.abs(r.solver.dualityGap), label).toBeLessThan(1e-5);
      }
      gpu.dispose();
    });
  }
});

describe('GPU engine row encodings (u8 groups, label bits, f32)', () => {
  it("'auto' packs one-hot S and 0/1 Y; every encoding gives the float64 engine's sums and q", async () => {
    const data = instance(71, 1037, 3, 5, 0.3, true);
    const pi = [0.3, 0.3, 0.4];
    const cpu = createCpuEngine(data, pi);
    const W = Float64Array.from({ length: 3 * 6 }, (_, j) => 0.05 * Math.sin(j + 1));
    const exp = await cpu.pass(W, 0.01, 0.6);
    const qExp = await cpu.q(W, 0.01, 0.6);
    for (const encoding of ['auto', 'compact', 'f32'] as const) {
      // 333-row chunks: chunk starts that are not multiples of 4 (u8 words)
      const gpu = createGpuEngine(k, data, pi, { chunkRows: 333, encoding });
      const packed = encoding !== 'f32';
      expect(gpu.encoding).toEqual({
        s: packed ? 'u8' : 'f32',
        y: packed ? 'bits' : 'f32',
        bytesPerRow: packed ? 5 : 32,
      });
      const got = await gpu.pass(W, 0.01, 0.6);
      // float32 Kahan sums per chunk, chunks in float64: 1e-6 of Σw bounds the rounding with a wide margin
      const tol = 1e-6 * got.sumW;
      expect(Math.abs(got.sumW - exp.sumW)).toBeLessThan(tol);
      expect(Math.abs(got.sumQ - exp.sumQ)).toBeLessThan(tol);
      expect(Math.abs(got.obj - exp.obj)).toBeLessThan(tol);
      for (let j = 0; j < exp.D.length; j++) expect(Math.abs(got.D[j] - exp.D[j]), `D[${j}]`).toBeLessThan(tol);
      const q = await gpu.q(W, 0.01, 0.6);
      let err = 0;
      for (let i = 0; i < data.n; i++) err = Math.max(err, Math.abs(q[i] - qExp[i]));
      expect(err, encoding).toBeLessThan(1e-5);
      gpu.dispose();
    }
  });
  it("'auto' keeps probabilistic S in f32 and says why; 'compact' names the row and column it cannot pack", async () => {
    const data = instance(72, 50, 2, 3, 0, false);
    const S = Float64Array.from(data.S);
    S[2 * 7] = 0.7;
    S[2 * 7 + 1] = 0.3;
    const pi = [0.5, 0.5];
    const gpu = createGpuEngine(k, { ...data, S }, pi);
    expect(gpu.encoding.s).toBe('f32');
    expect(gpu.encoding.y).toBe('bits');
    expect(gpu.encoding.note).toMatch(/S is not one-hot/);
    gpu.dispose();
    const Y = Float64Array.from(data.Y);
    Y[45 * 3 + 1] = 0.5;
    expect(() => createGpuEngine(k, { ...data, Y }, pi, { chunkRows: 8, encoding: 'compact' })).toThrow(
      /Y is not 0\/1 at row 45, column 1: 0.5/,
    );
    expect(() => createGpuEngine(k, { ...data, S }, pi, { encoding: 'compact' })).toThrow(
      /S is not one-hot at row 7, column 0: 0.7/,
    );
  });
});
