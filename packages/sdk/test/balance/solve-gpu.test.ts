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
      const gpu = createGpuEngine(k.gpu!, data, pi, { chunkRows: 400 });
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
