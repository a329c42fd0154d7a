// Engine sums, pattern compression, argument validation, bias metrics and regression tests.
import { M4kitError } from '@m4kit/kernels';
import { describe, expect, it } from 'vitest';
import {
  biasReport,
  compressPatterns,
  createCpuEngine,
  expandPatternQ,
  formatBiasReport,
  maxFeasibleEta,
  solveBatch,
  solveStreaming,
  type BalanceData,
} from '../../src/balance/index.js';

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** binary one-hot groups (m) and binary labels (c): many duplicate rows */
function binaryData(seed: number, n: number, m: number, c: number): BalanceData {
  const rnd = mulberry32(seed);
  const S = new Float64Array(n * m);
  const Y = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const g = Math.min(m - 1, Math.floor(rnd() * rnd() * m * 1.6));
    S[i * m + g] = 1;
    for (let r = 0; r < c; r++) Y[i * c + r] = rnd() < 0.15 + 0.5 * ((g + r) % 2) * rnd() ? 1 : 0;
  }
  return { n, m, c, S, Y };
}

const T = {
  n: 6,
  m: 2,
  c: 2,
  S: Float64Array.from([1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1]),
  Y: Float64Array.from([1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0]),
};

// exact constraints (ε = 0): the solvers' default tolerances are BALANCE_DEFAULTS' 0.01 since the options layer
const exact = { epsRep: 0, epsAssoc: 0 };

describe('cpu engine', () => {
  it('pass() matches a direct float64 computation at a random dual point', async () => {
    const d = binaryData(3, 50, 3, 2);
    d.u = Float64Array.from({ length: 50 }, (_, i) => ((i * 37) % 11) / 20 - 0.25);
    d.w = Float64Array.from({ length: 50 }, (_, i) => 1 + (i % 3));
    const pi = [0.3, 0.3, 0.4];
    const e = createCpuEngine(d, pi);
    const W = Float64Array.from([0.3, -0.2, 0.1, 0.05, -0.4, 0.2, 0.7, 0, -0.1]);
    const mu = -0.1;
    const eta = 0.6;
    const s = await e.pass(W, mu, eta);
    const q = await e.q(W, mu, eta);
    let sumW = 0;
    let sumQ = 0;
    let obj = 0;
    const D = new Float64Array(9);
    const qy = new Float64Array(2);
    for (let i = 0; i < 50; i++) {
      const y = [1, d.Y[i * 2], d.Y[i * 2 + 1]];
      let t = 0;
      for (let k = 0; k < 3; k++) for (let r = 0; r < 3; r++) t += (d.S[i * 3 + k] - pi[k]) * W[k * 3 + r] * y[r];
      const q0 = eta + d.u[i];
      const qi = Math.min(1, Math.max(0, q0 - t - mu));
      expect(q[i]).toBeCloseTo(qi, 14);
      const wi = d.w[i];
      sumW += wi;
      sumQ += wi * qi;
      obj += wi * (0.5 * (qi - q0) ** 2 + qi * (t + mu));
      for (let k = 0; k < 3; k++) for (let r = 0; r < 3; r++) D[k * 3 + r] += wi * qi * (d.S[i * 3 + k] - pi[k]) * y[r];
      qy[0] += wi * qi * y[1];
      qy[1] += wi * qi * y[2];
    }
    expect(s.sumW).toBeCloseTo(sumW, 12);
    expect(s.sumQ).toBeCloseTo(sumQ, 12);
    expect(s.obj).toBeCloseTo(obj, 12);
    for (let j = 0; j < 9; j++) expect(s.D[j]).toBeCloseTo(D[j], 12);
    for (let r = 0; r < 2; r++) expect(s.qy[r]).toBeCloseTo(qy[r], 12);
    // fixedQ
    const s1 = await e.pass(W, mu, eta, 1);
    expect(s1.sumQ).toBeCloseTo(sumW, 12);
  });

  it('frobenius() is Σ w (2‖d‖² + 1)', async () => {
    const e = createCpuEngine(T, [0.5, 0.5]);
    // rows: ‖s−π‖² = 0.5; ‖[1,y]‖² = 2,2,1,2,2,2 → Σ (2·0.5·(·) + 1) = 11 + 6
    expect(await e.frobenius()).toBeCloseTo(17, 12);
  });
});

describe('cpu engine: categorical rows (group + label list) = the dense loops', () => {
  it('pass, q, Hessian (strided), fixed q, with utilities and weights, to 1e-12', async () => {
    for (const [seed, n, m, c] of [
      [1, 1, 2, 0],
      [2, 257, 3, 5],
      [3, 1000, 2, 10],
      [4, 333, 4, 33],
    ] as const) {
      const data = binaryData(seed, n, m, c);
      const rnd = mulberry32(seed + 100);
      data.u = Float64Array.from({ length: n }, () => (rnd() - 0.5) * 0.6);
      data.w = Float64Array.from({ length: n }, () => (rnd() < 0.1 ? 0 : 1 + Math.floor(rnd() * 20)));
      if (!data.w.some((x) => x > 0)) data.w[0] = 1;
      const pi = Array.from({ length: m }, (_, k) => (k + 1) / ((m * (m + 1)) / 2));
      const fast = createCpuEngine(data, pi);
      const dense = createCpuEngine(data, pi, { layout: 'dense' });
      const W = Float64Array.from({ length: m * (c + 1) }, () => (rnd() - 0.5) * 0.4);
      const close = (a: ArrayLike<number>, b: ArrayLike<number>, label: string) => {
        expect(a.length, label).toBe(b.length);
        for (let j = 0; j < a.length; j++) {
          expect(Math.abs(a[j] - b[j]), `${label}[${j}] ${a[j]} vs ${b[j]}`).toBeLessThanOrEqual(
            1e-12 * Math.max(1, Math.abs(b[j])),
          );
        }
      };
      const label = `n=${n} m=${m} c=${c}`;
      for (const fixedQ of [undefined, 1]) {
        const a = await fast.pass(W, 0.02, 0.5, fixedQ);
        const b = await dense.pass(W, 0.02, 0.5, fixedQ);
        close([a.sumW, a.sumQ, a.obj], [b.sumW, b.sumQ, b.obj], `${label} sums`);
        close(a.D, b.D, `${label} D`);
        close(a.qy, b.qy, `${label} qy`);
      }
      close(await fast.q(W, 0.02, 0.5), await dense.q(W, 0.02, 0.5), `${label} q`);
      for (const stride of [1, 3]) {
        close(await fast.hessian!(W, 0.02, 0.5, stride), await dense.hessian!(W, 0.02, 0.5, stride), `${label} H`);
      }
      expect(await fast.frobenius()).toBe(await dense.frobenius());
    }
  });
  it("layout other than 'auto' / 'dense' is an ArgumentError", () => {
    expect(() => createCpuEngine(T, [0.5, 0.5], { layout: 'sparse' as 'dense' })).toThrow(M4kitError);
  });
});

describe('patterns', () => {
  it('compress + solve on patterns + expand = solve on rows (1e-9)', async () => {
    const d = binaryData(11, 1500, 3, 4);
    const pi = [0.3, 0.35, 0.35];
    const { patterns, rowToPattern } = compressPatterns(d);
    expect(patterns.n).toBeLessThan(d.n / 10);
    let cnt = 0;
    for (const x of patterns.w!) cnt += x;
    expect(cnt).toBe(d.n);
    const er = createCpuEngine(d, pi);
    const ep = createCpuEngine(patterns, pi);
    const eta = 0.8 * (await maxFeasibleEta(ep)).eta;
    for (const o of [{ eta }, { eta: 0.9, V: 0.5, epsRep: 0.01, epsAssoc: 0.005 }]) {
      const rr = await solveBatch(er, { ...o, tol: 1e-12 });
      const rp = await solveBatch(ep, { ...o, tol: 1e-12 });
      expect(rr.converged && rp.converged).toBe(true);
      const qr = await er.q(rr.W, rr.mu, o.eta);
      const qp = expandPatternQ(await ep.q(rp.W, rp.mu, o.eta), rowToPattern);
      let err = 0;
      for (let i = 0; i < d.n; i++) err = Math.max(err, Math.abs(qr[i] - qp[i]));
      expect(err).toBeLessThan(1e-9);
      expect(Math.abs(rr.keepRate - rp.keepRate)).toBeLessThan(1e-12);
    }
  });

  it('sums the row weights into the pattern counts and maps every row', () => {
    const d = { ...T, w: Float64Array.from([1, 2, 3, 4, 5, 6]) };
    const { patterns, rowToPattern } = compressPatterns(d);
    expect(patterns.n).toBe(5); // rows 1 and 2 are identical
    expect(Array.from(rowToPattern)).toEqual([0, 0, 1, 2, 3, 4]);
    expect(Array.from(patterns.w!)).toEqual([3, 3, 4, 5, 6]);
    expect(Array.from(expandPatternQ([0.1, 0.2, 0.3, 0.4, 0.5], rowToPattern))).toEqual([0.1, 0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it('refuses data with utility', () => {
    expect(() => compressPatterns({ ...T, u: new Float64Array(6) })).toThrow(/data\.u/);
  });
});

describe('bad input → typed errors naming the argument', () => {
  const e = createCpuEngine(T, [0.5, 0.5]);
  const code = async (p: Promise<unknown> | (() => unknown), re: RegExp, c = 'E_ARGUMENT') => {
    let err: unknown;
    try {
      if (typeof p === 'function') p();
      else await p;
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(M4kitError);
    expect((err as M4kitError).code).toBe(c);
    expect((err as Error).message).toMatch(re);
  };
  it('η outside (0, 1]', async () => {
    await code(solveBatch(e, { eta: 0 }), /^eta/);
    await code(solveBatch(e, { eta: 1.2 }), /^eta/);
    await code(solveBatch(e, { eta: NaN }), /^eta/);
    await code(solveStreaming(T, { eta: -0.1, pi: [0.5, 0.5] }), /^eta/);
  });
  it('π of the wrong length or outside (0, 1)', async () => {
    await code(() => createCpuEngine(T, [0.5]), /^pi: length 1 ≠ m = 2/);
    await code(() => createCpuEngine(T, [0.5, 1]), /^pi\[1\]/);
    await code(solveBatch(e, { eta: 0.5, pi: [0.5, 0.5, 0.5] }), /^pi/);
    await code(solveBatch(e, { eta: 0.5, pi: [0.4, 0.6] }), /^pi\[0\]/);
    await code(solveStreaming(T, { eta: 0.5, pi: [0.5] }), /^pi/);
  });
  it('negative ε, non-positive V, bad tol', async () => {
    await code(solveBatch(e, { eta: 0.5, epsRep: -0.01 }), /^epsRep/);
    await code(solveBatch(e, { eta: 0.5, epsAssoc: -1 }), /^epsAssoc/);
    await code(solveBatch(e, { eta: 0.5, V: 0 }), /^V/);
    await code(solveBatch(e, { eta: 0.5, tol: 0 }), /^tol/);
    await code(solveStreaming(T, { eta: 0.5, pi: [0.5, 0.5], epsAssoc: -1 }), /^epsAssoc/);
  });
  it('S / Y / u / w length mismatch and bad values', async () => {
    await code(() => createCpuEngine({ ...T, S: new Float64Array(11) }, [0.5, 0.5]), /^data\.S: length 11/, 'E_SHAPE');
    await code(() => createCpuEngine({ ...T, Y: new Float64Array(13) }, [0.5, 0.5]), /^data\.Y: length 13/, 'E_SHAPE');
    await code(() => createCpuEngine({ ...T, u: new Float64Array(5) }, [0.5, 0.5]), /^data\.u/, 'E_SHAPE');
    await code(() => createCpuEngine({ ...T, w: new Float64Array(7) }, [0.5, 0.5]), /^data\.w/, 'E_SHAPE');
    await code(() => createCpuEngine({ ...T, w: new Float64Array(6) }, [0.5, 0.5]), /^data\.w: the weights sum to 0/);
    await code(
      () => createCpuEngine({ ...T, S: Float64Array.from([2, ...T.S.slice(1)]) }, [0.5, 0.5]),
      /^data\.S\[0\]/,
    );
    await code(solveStreaming({ ...T, Y: new Float64Array(3) }, { eta: 0.5, pi: [0.5, 0.5] }), /^data\.Y/, 'E_SHAPE');
    await code(() => compressPatterns({ ...T, S: new Float64Array(3) }), /^data\.S/, 'E_SHAPE');
    await code(e.pass(new Float64Array(5), 0, 0.5), /^W: length 5/, 'E_SHAPE');
  });
});

describe('bias report', () => {
  it('T1: shares, conditional shares and moments before/after (spec §4.1 numbers)', async () => {
    const e = createCpuEngine(T, [0.5, 0.5]);
    const r = await solveBatch(e, { eta: 0.5, ...exact });
    const before = await e.pass(new Float64Array(6), 0, 0.5, 1);
    const after = await e.pass(r.W, r.mu, 0.5);
    const rep = biasReport(before, after, [0.5, 0.5], { attributes: ['man', 'woman'], labels: ['doctor', 'nurse'] });
    const [man, woman] = rep.groups;
    expect(man.shareBefore).toBeCloseTo(4 / 6, 12);
    expect(woman.shareBefore).toBeCloseTo(2 / 6, 12);
    expect(man.shareAfter).toBeCloseTo(0.5, 8);
    expect(man.rBefore).toBeCloseTo(1 / 6, 12);
    expect(man.labels[0].cBefore).toBeCloseTo(1 / 12, 12); // doctor
    expect(man.labels[1].cBefore).toBeCloseTo(0, 12); // nurse
    expect(man.labels[0].condBefore).toBeCloseTo(2 / 3, 12); // P(man | doctor) = 2/3
    expect(man.labels[0].condAfter).toBeCloseTo(0.5, 8);
    expect(woman.labels[1].condBefore).toBeCloseTo(0.5, 12); // P(woman | nurse) = 1/2
    expect(rep.summary.rbBefore).toBeCloseTo(1 / 6, 12);
    expect(rep.summary.abBefore).toBeCloseTo(1 / 12, 12);
    expect(rep.summary.rbAfter).toBeLessThan(1e-8);
    expect(rep.summary.abAfter).toBeLessThan(1e-8);
    expect(rep.summary.keepRate).toBeCloseTo(0.5, 8);
    const txt = formatBiasReport(rep);
    expect(txt).toMatch(/RB\s+0\.1667 →/);
    expect(txt).toMatch(/man .*share 0\.667 → 0\.500/);
    expect(txt.split('\n').length).toBe(5 + 2 * 3); // headline, RB/AB line, 3-line legend (#14); 2 groups × (1 + 2 labels)
  });

  it('T2: RB_q = max_k |R_k(q)| / η equals the largest share gap in the kept set', async () => {
    const e = createCpuEngine(T, [0.5, 0.5]);
    const r = await solveBatch(e, { eta: 0.5, epsRep: 0.05, epsAssoc: 0.05, tolerance: 'joint' }); // joint moments ≤ 0.05
    const rep = biasReport(await e.pass(new Float64Array(6), 0, 0.5, 1), await e.pass(r.W, r.mu, 0.5), [0.5, 0.5], {
      attributes: ['man', 'woman'],
      labels: ['doctor', 'nurse'],
    });
    expect(rep.summary.rbAfter).toBeCloseTo(0.05, 8);
    expect(rep.summary.rbAfterNormalized).toBeCloseTo(0.1, 8);
    expect(Math.abs(rep.groups[0].shareAfter - 0.5)).toBeCloseTo(0.1, 8);
  });

  it('lists the worst labels first and truncates when c is large', () => {
    const c = 12;
    const D = new Float64Array(2 * (c + 1));
    for (let r = 0; r < c; r++) D[r + 1] = r / 100;
    const s = { sumW: 10, sumQ: 10, D, qy: new Float64Array(c).fill(5), obj: 0 };
    const labels = Array.from({ length: c }, (_, r) => `L${r}`);
    const txt = formatBiasReport(biasReport(s, s, [0.5, 0.5], { attributes: ['a', 'b'], labels }), { maxLabels: 3 });
    const lines = txt.split('\n').slice(4); // the 5-line header since #14 (headline, RB/AB, legend); was 1 line
    expect(lines[2]).toMatch(/^ {2}L11/);
    expect(lines[3]).toMatch(/^ {2}L10/);
    expect(lines[5]).toMatch(/9 more labels/);
  });

  it('validates names against the sums', () => {
    const s = { sumW: 1, sumQ: 1, D: new Float64Array(6), qy: new Float64Array(2), obj: 0 };
    expect(() => biasReport(s, s, [0.5, 0.5], { attributes: ['a'], labels: ['x', 'y'] })).toThrow(/pi: length 2/);
    expect(() => biasReport(s, s, [0.5, 0.5], { attributes: ['a', 'b'], labels: ['x'] })).toThrow(/before\.D/);
  });
});

describe('regressions', () => {
  it('maxFeasibleEta terminates although mean(q_Q) jitters at the 1e-9 level for large Q (was: ran to Q = 2^24)', async () => {
    // soft (fractional) labels; the first version demanded |Δmean| ≤ 1e-9 between doublings and never stopped early
    const rnd = mulberry32(9);
    const n = 150;
    const m = 3;
    const c = 5;
    const S = new Float64Array(n * m);
    const Y = new Float64Array(n * c);
    for (let i = 0; i < n; i++) {
      const g = Math.floor(rnd() * m);
      S[i * m + g] = 1;
      for (let r = 0; r < c; r++) Y[i * c + r] = Math.round(rnd() * (0.1 + 0.15 * (g + r)) * 8) / 8;
    }
    const e = createCpuEngine({ n, m, c, S, Y }, [1 / 3, 1 / 3, 1 / 3]);
    const mf = await maxFeasibleEta(e, exact);
    expect(mf.converged).toBe(true);
    expect(mf.passes).toBeLessThan(80_000);
    // feasible just below, infeasible just above
    const lo = await solveBatch(e, { eta: mf.eta * 0.98, ...exact });
    expect(lo.status).toBe('optimal');
    const hi = await solveBatch(e, { eta: Math.min(1, mf.eta * 1.05), ...exact });
    expect(hi.status).toBe('infeasible');
    expect(Math.abs(hi.maxFeasibleEta! - mf.eta)).toBeLessThan(1e-6);
  });

  it('slightly infeasible η is detected early (was: ran all 50 000 iterations before the phase-1 check)', async () => {
    const e = createCpuEngine(T, [0.5, 0.5]);
    const r = await solveBatch(e, { eta: 0.6667, ...exact });
    expect(r.status).toBe('infeasible');
    expect(r.iterations).toBeLessThan(5000);
    expect(Math.abs(r.maxFeasibleEta! - 4 / 6)).toBeLessThan(1e-6);
    // exactly at the boundary it is still feasible
    const b = await solveBatch(e, { eta: 4 / 6, ...exact });
    expect(b.status).toBe('optimal');
  });

  it('degenerate inputs: one group only (η_max = 0), no labels (c = 0), loose ε (q ≡ η)', async () => {
    const one = createCpuEngine({ n: 3, m: 1, c: 0, S: Float64Array.from([1, 1, 1]), Y: new Float64Array(0) }, [0.5]);
    const r1 = await solveBatch(one, { eta: 0.5, ...exact });
    expect(r1.status).toBe('infeasible');
    expect(r1.maxFeasibleEta).toBeCloseTo(0, 9);
    const e0 = createCpuEngine({ n: 6, m: 2, c: 0, S: T.S, Y: new Float64Array(0) }, [0.5, 0.5]);
    const r0 = await solveBatch(e0, { eta: 0.5, ...exact });
    const q0 = await e0.q(r0.W, r0.mu, 0.5);
    const want = [0.375, 0.375, 0.375, 0.375, 0.75, 0.75];
    for (let i = 0; i < 6; i++) expect(q0[i]).toBeCloseTo(want[i], 8);
    const e = createCpuEngine(T, [0.5, 0.5]);
    const rl = await solveBatch(e, { eta: 0.5, epsRep: 1, epsAssoc: 1 });
    expect(rl.status).toBe('optimal');
    expect(Array.from(await e.q(rl.W, rl.mu, 0.5))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('onProgress reports iterations and violations', async () => {
    const e = createCpuEngine(T, [0.5, 0.5]);
    const seen: number[] = [];
    // pins the first-order method's iteration count (#15 made Newton the default; it converges in < 10 iterations)
    await solveBatch(e, { eta: 0.5, progressEvery: 5, method: 'first-order', onProgress: (p) => seen.push(p.iter) });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[0]).toBe(5);
  });

  it('Newton reports progress every progressEvery iterations and once at convergence', async () => {
    const e = createCpuEngine(T, [0.5, 0.5]);
    const seen: number[] = [];
    const r = await solveBatch(e, { eta: 0.5, progressEvery: 1, onProgress: (p) => seen.push(p.iter) });
    expect(r.solver.method).toBe('newton');
    expect(seen.length).toBe(r.iterations);
    expect(seen.at(-1)).toBe(r.iterations);
  });
});
