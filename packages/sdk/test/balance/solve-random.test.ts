// Random instances: the batch solver against an INDEPENDENT exact solve written here (no code shared with
// solve.ts): exact-line-search coordinate ascent on the dual (W-space, ε as |W|-penalty, |W| ≤ V), then a
// primal–dual active-set polish that solves the KKT system of the identified face exactly (min-norm via a
// Jacobi eigen-decomposition) and verifies every KKT condition to ~1e-11.
import { describe, expect, it } from 'vitest';
import { createCpuEngine, maxFeasibleEta, solveBatch, type BalanceData } from '../../src/balance/index.js';

// ---------------------------------------------------------------------------------------------------------------
// Independent reference solver
// ---------------------------------------------------------------------------------------------------------------
interface RefProblem {
  n: number;
  m: number;
  c: number;
  S: Float64Array;
  Y: Float64Array;
  u?: Float64Array;
  w?: Float64Array;
  pi: number[];
  eta: number;
  epsRep: number;
  epsAssoc: number;
  V: number;
}

interface RefResult {
  q: Float64Array;
  verified: boolean;
  kktError: number;
  sweeps: number;
}

/** Symmetric eigen-decomposition (cyclic Jacobi). A is k×k row-major, destroyed. Returns [eigenvalues, V cols]. */
function jacobiEig(A: Float64Array, k: number): [Float64Array, Float64Array] {
  const Vm = new Float64Array(k * k);
  for (let i = 0; i < k; i++) Vm[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < k; i++) {
      diag += A[i * k + i] * A[i * k + i];
      for (let j = i + 1; j < k; j++) off += A[i * k + j] * A[i * k + j];
    }
    if (off <= 1e-30 * (diag + 1e-300)) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = A[p * k + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * k + q] - A[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let r = 0; r < k; r++) {
          const arp = A[r * k + p];
          const arq = A[r * k + q];
          A[r * k + p] = cs * arp - sn * arq;
          A[r * k + q] = sn * arp + cs * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = A[p * k + r];
          const aqr = A[q * k + r];
          A[p * k + r] = cs * apr - sn * aqr;
          A[q * k + r] = sn * apr + cs * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = Vm[r * k + p];
          const vrq = Vm[r * k + q];
          Vm[r * k + p] = cs * vrp - sn * vrq;
          Vm[r * k + q] = sn * vrp + cs * vrq;
        }
      }
    }
  }
  const ev = new Float64Array(k);
  for (let i = 0; i < k; i++) ev[i] = A[i * k + i];
  return [ev, Vm];
}

/** Min-norm solution of the symmetric PSD system M x = b (pseudo-inverse, relative cut 1e-11). */
function pinvSolve(M: Float64Array, b: Float64Array, k: number): Float64Array {
  const [ev, Vm] = jacobiEig(M.slice(), k);
  let emax = 0;
  for (const e of ev) emax = Math.max(emax, Math.abs(e));
  const x = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    if (Math.abs(ev[a]) <= 1e-11 * emax) continue;
    let proj = 0;
    for (let i = 0; i < k; i++) proj += Vm[i * k + a] * b[i];
    proj /= ev[a];
    for (let i = 0; i < k; i++) x[i] += Vm[i * k + a] * proj;
  }
  return x;
}

function refSolve(p: RefProblem): RefResult {
  const { n, m, c, S, Y, pi, eta, V } = p;
  const P = m * (c + 1);
  // dense bias vectors d_i (P), weights, q0
  const d = new Float64Array(n * P);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      const s = S[i * m + k] - pi[k];
      d[i * P + k * (c + 1)] = s;
      for (let r = 0; r < c; r++) d[i * P + k * (c + 1) + r + 1] = s * Y[i * c + r];
    }
  }
  const w = new Float64Array(n);
  const q0 = new Float64Array(n);
  let N = 0;
  for (let i = 0; i < n; i++) {
    w[i] = p.w ? p.w[i] : 1;
    q0[i] = eta + (p.u ? p.u[i] : 0);
    N += w[i];
  }
  const e = new Float64Array(P);
  for (let k = 0; k < m; k++) for (let r = 0; r <= c; r++) e[k * (c + 1) + r] = r === 0 ? p.epsRep : p.epsAssoc;
  const cl = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

  // ---- Phase A: coordinate ascent with exact (bisection-to-machine-precision) line search -----------------------
  const W = new Float64Array(P);
  let mu = 0;
  const z = Float64Array.from(q0); // z_i = q0_i − d_iᵀW − µ
  /** root of the nonincreasing f on a bracket found by doubling (|θ| ≤ cap) */
  const root = (f: (x: number) => number, lo: number, hi: number): number => {
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (mid === lo || mid === hi) break;
      if (f(mid) > 0) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  const coordMu = () => {
    const f = (delta: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += w[i] * cl(z[i] - delta);
      return s / N - eta;
    };
    let lo = -1;
    let hi = 1;
    while (f(lo) <= 0 && lo > -1e6) lo *= 2;
    while (f(hi) > 0 && hi < 1e6) hi *= 2;
    const delta = root(f, lo, hi);
    mu += delta;
    for (let i = 0; i < n; i++) z[i] -= delta;
  };
  const coordW = (j: number) => {
    // φ(θ) = (1/N) Σ w d_ij clip(z_i − (θ − W_j) d_ij), nonincreasing in θ; maximise φ-integral − e_j|θ|, |θ| ≤ V
    const Wj = W[j];
    const phi = (th: number) => {
      const dl = th - Wj;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const dij = d[i * P + j];
        if (dij !== 0) s += w[i] * dij * cl(z[i] - dl * dij);
      }
      return s / N;
    };
    const cap = Math.min(V, 1e6);
    let th = 0;
    const p0 = phi(0);
    if (p0 > e[j]) {
      const f = (x: number) => phi(x) - e[j];
      let hi = 1;
      while (hi < cap && f(hi) > 0) hi *= 2;
      hi = Math.min(hi, cap);
      th = f(hi) > 0 ? hi : root(f, 0, hi);
    } else if (p0 < -e[j]) {
      const f = (x: number) => phi(x) + e[j];
      let lo = -1;
      while (lo > -cap && f(lo) <= 0) lo *= 2;
      lo = Math.max(lo, -cap);
      th = f(lo) <= 0 ? lo : root(f, lo, 0);
    }
    const dl = th - Wj;
    W[j] = th;
    if (dl !== 0) for (let i = 0; i < n; i++) z[i] -= dl * d[i * P + j];
  };

  // ---- Phase B: primal–dual active set on the face, exact KKT solve + verification ---------------------------
  const polish = (): { q: Float64Array; ok: boolean; err: number } => {
    // row classes from z; moment classes from W
    const Wc = W.slice();
    let muc = mu;
    let zc = Float64Array.from(z);
    // moment state: 0 = zero, 1 = equality (sign σ), 2 = at bound ±V
    const state = new Int8Array(P);
    const sig = new Float64Array(P);
    for (let j = 0; j < P; j++) {
      const a = Math.abs(Wc[j]);
      if (a >= V * (1 - 1e-9)) {
        state[j] = 2;
        sig[j] = Math.sign(Wc[j]);
      } else if (a > 1e-9 || e[j] === 0) {
        state[j] = 1;
        sig[j] = Math.sign(Wc[j]) || 1;
      }
    }
    let q: Float64Array = new Float64Array(n);
    let err = Infinity;
    for (let iter = 0; iter < 60; iter++) {
      const rowCls = new Int8Array(n); // 0 interior, 1 at 0, 2 at 1
      for (let i = 0; i < n; i++) rowCls[i] = zc[i] <= 0 ? 1 : zc[i] >= 1 ? 2 : 0;
      const E: number[] = [];
      for (let j = 0; j < P; j++) if (state[j] === 1) E.push(j);
      const k = E.length + 1;
      const M = new Float64Array(k * k);
      const b = new Float64Array(k);
      const bi = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < E.length; a++) bi[a] = d[i * P + E[a]];
        bi[k - 1] = 1;
        if (rowCls[i] === 0) {
          // z̃_i: q0 minus the contribution of moments at their bounds
          let zt = q0[i];
          for (let j = 0; j < P; j++) if (state[j] === 2) zt -= d[i * P + j] * sig[j] * V;
          for (let a = 0; a < k; a++) {
            b[a] += w[i] * bi[a] * zt;
            for (let bb = 0; bb < k; bb++) M[a * k + bb] += w[i] * bi[a] * bi[bb];
          }
        } else if (rowCls[i] === 2) {
          for (let a = 0; a < k; a++) b[a] += w[i] * bi[a];
        }
      }
      for (let a = 0; a < E.length; a++) b[a] -= N * (e[E[a]] === 0 ? 0 : sig[E[a]] * e[E[a]]);
      b[k - 1] -= N * eta;
      const lam = pinvSolve(M, b, k);
      Wc.fill(0);
      for (let j = 0; j < P; j++) if (state[j] === 2) Wc[j] = sig[j] * V;
      for (let a = 0; a < E.length; a++) Wc[E[a]] = lam[a];
      muc = lam[k - 1];
      zc = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (let j = 0; j < P; j++) t += d[i * P + j] * Wc[j];
        zc[i] = q0[i] - t - muc;
      }
      q = zc.map(cl);
      // KKT check and active-set update
      const D = new Float64Array(P);
      let sq = 0;
      for (let i = 0; i < n; i++) {
        sq += w[i] * q[i];
        for (let j = 0; j < P; j++) D[j] += w[i] * q[i] * d[i * P + j];
      }
      err = Math.abs(sq / N - eta);
      let changed = false;
      // rows: consistency of the assumed class with the new z
      for (let i = 0; i < n; i++) {
        const cls = zc[i] <= 0 ? 1 : zc[i] >= 1 ? 2 : 0;
        if (cls !== rowCls[i]) {
          // boundary ties (|z| within 1e-12 of the kink) are consistent either way
          const gap = rowCls[i] === 0 ? Math.max(-zc[i], zc[i] - 1) : rowCls[i] === 1 ? zc[i] : 1 - zc[i];
          if (gap > 1e-12) changed = true;
        }
      }
      for (let j = 0; j < P; j++) {
        const g = D[j] / N;
        if (state[j] === 1) {
          err = Math.max(err, Math.abs(g - (e[j] === 0 ? 0 : sig[j] * e[j])));
          if (e[j] > 0 && sig[j] * Wc[j] < -1e-12) {
            state[j] = 0;
            changed = true;
          } else if (Math.abs(Wc[j]) > V) {
            state[j] = 2;
            sig[j] = Math.sign(Wc[j]);
            changed = true;
          }
        } else if (state[j] === 0) {
          const viol = Math.abs(g) - e[j];
          err = Math.max(err, viol);
          if (viol > 1e-12) {
            state[j] = 1;
            sig[j] = Math.sign(g);
            changed = true;
          }
        } else {
          // at the bound: the constraint must be violated (or tight) in the direction of σ
          const slack = sig[j] * g - e[j];
          if (slack < -1e-12) {
            state[j] = 1;
            changed = true;
          }
        }
      }
      if (!changed) return { q, ok: err <= 1e-10, err };
    }
    return { q, ok: false, err };
  };

  let sweeps = 0;
  let best: { q: Float64Array; ok: boolean; err: number } = { q: z.map(cl), ok: false, err: Infinity };
  for (const budget of [30, 120, 400, 1500]) {
    while (sweeps < budget) {
      coordMu();
      for (let j = 0; j < P; j++) coordW(j);
      sweeps++;
    }
    const res = polish();
    if (res.ok) return { q: res.q, verified: true, kktError: res.err, sweeps };
    if (res.err < best.err) best = res;
  }
  return { q: best.q, verified: false, kktError: best.err, sweeps };
}

// ---------------------------------------------------------------------------------------------------------------
// Random instances
// ---------------------------------------------------------------------------------------------------------------
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

interface Spec {
  name: string;
  seed: number;
  n: number;
  m: number;
  c: number;
  attrs: 'onehot' | 'multi' | 'soft';
  softLabels?: boolean;
  utility?: number;
  epsRep?: number;
  epsAssoc?: number;
  V?: number;
  /** η as a fraction of the max feasible η (hard case), or absolute η for finite V */
  etaFrac?: number;
  eta?: number;
  weights?: boolean;
}

function makeInstance(sp: Spec): { data: BalanceData; pi: number[] } {
  const rnd = mulberry32(sp.seed);
  const { n, m, c } = sp;
  const S = new Float64Array(n * m);
  const Y = new Float64Array(n * c);
  const groupP = Array.from({ length: m }, () => 0.2 + 0.6 * rnd());
  const labelRate = Array.from({ length: m * c }, () => 0.1 + 0.5 * rnd());
  for (let i = 0; i < n; i++) {
    let g = 0;
    if (sp.attrs === 'onehot') {
      const tot = groupP.reduce((a, b) => a + b, 0);
      let x = rnd() * tot;
      while (g < m - 1 && x > groupP[g]) x -= groupP[g++];
      S[i * m + g] = 1;
    } else if (sp.attrs === 'multi') {
      for (let k = 0; k < m; k++) S[i * m + k] = rnd() < groupP[k] ? 1 : 0;
      g = Math.floor(rnd() * m);
    } else {
      for (let k = 0; k < m; k++) S[i * m + k] = Math.round(rnd() * 8) / 8;
      g = Math.floor(rnd() * m);
    }
    for (let r = 0; r < c; r++) {
      const pr = labelRate[g * c + r];
      Y[i * c + r] = sp.softLabels ? Math.round(rnd() * pr * 8) / 8 : rnd() < pr ? 1 : 0;
    }
  }
  const pi =
    sp.attrs === 'onehot' ? Array.from({ length: m }, () => 1 / m) : Array.from({ length: m }, () => 0.3 + 0.4 * rnd());
  const data: BalanceData = { n, m, c, S, Y };
  if (sp.utility) data.u = Float64Array.from({ length: n }, () => sp.utility! * (rnd() - 0.5));
  if (sp.weights) data.w = Float64Array.from({ length: n }, () => 1 + Math.floor(rnd() * 4));
  return { data, pi };
}

const SPECS: Spec[] = [
  { name: 'onehot m2 c3 n300 hard', seed: 1, n: 300, m: 2, c: 3, attrs: 'onehot', etaFrac: 0.7 },
  { name: 'onehot m3 c5 n2000 hard', seed: 2, n: 2000, m: 3, c: 5, attrs: 'onehot', etaFrac: 0.8 },
  { name: 'multi m4 c8 n2000 hard', seed: 3, n: 2000, m: 4, c: 8, attrs: 'multi', etaFrac: 0.6 },
  { name: 'soft attrs m2 c4 n500 utility', seed: 4, n: 500, m: 2, c: 4, attrs: 'soft', utility: 0.4, etaFrac: 0.7 },
  {
    name: 'onehot m2 c8 n1000 eps>0',
    seed: 5,
    n: 1000,
    m: 2,
    c: 8,
    attrs: 'onehot',
    epsRep: 0.01,
    epsAssoc: 0.004,
    etaFrac: 0.9,
  },
  {
    name: 'multi m3 c6 n800 utility eps>0 weights',
    seed: 6,
    n: 800,
    m: 3,
    c: 6,
    attrs: 'multi',
    utility: 0.3,
    epsRep: 0.02,
    epsAssoc: 0.01,
    etaFrac: 0.75,
    weights: true,
  },
  { name: 'onehot m2 c4 n500 soft V=0.3', seed: 7, n: 500, m: 2, c: 4, attrs: 'onehot', V: 0.3, eta: 0.9 },
  {
    name: 'multi m4 c3 n600 soft V=2 utility eps>0',
    seed: 8,
    n: 600,
    m: 4,
    c: 3,
    attrs: 'multi',
    V: 2,
    eta: 0.8,
    utility: 0.5,
    epsRep: 0.01,
    epsAssoc: 0.01,
  },
  {
    name: 'soft labels m3 c5 n400 hard',
    seed: 9,
    n: 400,
    m: 3,
    c: 5,
    attrs: 'onehot',
    softLabels: true,
    etaFrac: 0.85,
  },
  {
    name: 'onehot m4 c2 n1500 utility hard',
    seed: 10,
    n: 1500,
    m: 4,
    c: 2,
    attrs: 'onehot',
    utility: 0.6,
    etaFrac: 0.5,
  },
];

describe('batch solver vs an independent exact solve (random instances)', () => {
  for (const sp of SPECS)
    for (const method of ['newton', 'first-order'] as const) {
      it(`${sp.name} [${method}]`, async () => {
        const { data, pi } = makeInstance(sp);
        const engine = createCpuEngine(data, pi);
        const epsRep = sp.epsRep ?? 0;
        const epsAssoc = sp.epsAssoc ?? 0;
        const V = sp.V ?? Infinity;
        let eta = sp.eta ?? 0;
        if (sp.etaFrac !== undefined) {
          const mf = await maxFeasibleEta(engine, { epsRep, epsAssoc, tolerance: 'joint', method }); // the reference is joint
          expect(mf.converged).toBe(true);
          eta = Math.min(1, sp.etaFrac * mf.eta);
          expect(eta).toBeGreaterThan(0.05);
        }
        const res = await solveBatch(engine, { eta, epsRep, epsAssoc, V, tolerance: 'joint', method });
        expect(res.converged).toBe(true);
        expect(res.solver.method).toBe(method);
        // certified: P(q) − g(v, µ) ≥ 0 up to rounding (q feasible to ~1e-10, times |W|), and small at convergence
        // (tol 1e-10 on the KKT residual)
        expect(res.solver.dualityGap).toBeGreaterThan(-1e-8);
        expect(res.solver.dualityGap).toBeLessThan(1e-7);
        if (method === 'newton') expect(res.solver.passes + res.solver.hessianPasses).toBeLessThan(120);
        const q = await engine.q(res.W, res.mu, eta);

        const ref = refSolve({
          ...data,
          S: Float64Array.from(data.S),
          Y: Float64Array.from(data.Y),
          u: data.u ? Float64Array.from(data.u) : undefined,
          w: data.w ? Float64Array.from(data.w) : undefined,
          pi,
          eta,
          epsRep,
          epsAssoc,
          V,
        });
        expect(ref.verified, `reference KKT error ${ref.kktError}`).toBe(true);
        let maxErr = 0;
        for (let i = 0; i < data.n; i++) maxErr = Math.max(maxErr, Math.abs(q[i] - ref.q[i]));
        expect(maxErr).toBeLessThan(1e-5);

        // constraint violations of the solver's q, computed here from the rows
        const { n, m, c } = data;
        let N = 0;
        let sq = 0;
        const D = new Float64Array(m * (c + 1));
        for (let i = 0; i < n; i++) {
          const wi = data.w ? data.w[i] : 1;
          N += wi;
          sq += wi * q[i];
          for (let k = 0; k < m; k++) {
            const s = data.S[i * m + k] - pi[k];
            D[k * (c + 1)] += wi * q[i] * s;
            for (let r = 0; r < c; r++) D[k * (c + 1) + r + 1] += wi * q[i] * s * data.Y[i * c + r];
          }
        }
        expect(Math.abs(sq / N - eta)).toBeLessThan(1e-6);
        let viol = 0;
        for (let k = 0; k < m; k++)
          for (let r = 0; r <= c; r++)
            viol = Math.max(viol, Math.abs(D[k * (c + 1) + r] / N) - (r === 0 ? epsRep : epsAssoc));
        if (V === Infinity) {
          expect(viol).toBeLessThan(1e-6);
          expect(res.status).toBe('optimal');
        } else {
          expect(['optimal', 'soft']).toContain(res.status);
          expect(Math.abs(viol - res.maxViolation)).toBeLessThan(1e-6);
        }
      });
    }
});
