// Tolerances users mean (#14): by default ε_R / ε_A bound the balanced (kept) data's moments — the joint moments
// divided by the keep rate — not the joint moments (1/N) Σ q (s − π)[1, y]. The joint form stays an option.
import { describe, expect, it } from 'vitest';
import {
  createCpuEngine,
  formatBiasReport,
  maxFeasibleEta,
  solveBatch,
  solveStreaming,
  type BalanceData,
  type MomentsEngine,
} from '../../src/balance/index.js';
import { TableEncoder } from '../../src/io/encode.js';
import { balanceEncoded } from '../../src/pipeline/balance.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n rows, 4 groups with shares ~ 0.55/0.25/0.12/0.08, 3 labels correlated with the group. */
function skewed(n: number, seed: number): BalanceData {
  const rnd = mulberry32(seed);
  const m = 4;
  const c = 3;
  const S = new Float64Array(n * m);
  const Y = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const x = rnd();
    const g = x < 0.55 ? 0 : x < 0.8 ? 1 : x < 0.92 ? 2 : 3;
    S[i * m + g] = 1;
    for (let r = 0; r < c; r++) Y[i * c + r] = rnd() < 0.2 + 0.15 * ((g + r) % 4) ? 1 : 0;
  }
  return { n, m, c, S, Y };
}

const pi = [0.25, 0.25, 0.25, 0.25];
const C1 = 4;

/** Max |moment| of the balanced data expected under q: max_j |Σ q d_j| / Σ q, split into first and second order. */
async function balancedBias(e: MomentsEngine, W: Float64Array, mu: number, eta: number) {
  const s = await e.pass(W, mu, eta);
  let rb = 0;
  let ab = 0;
  for (let k = 0; k < e.m; k++) {
    for (let r = 0; r < C1; r++) {
      const x = Math.abs(s.D[k * C1 + r]) / s.sumQ;
      if (r === 0) rb = Math.max(rb, x);
      else ab = Math.max(ab, x);
    }
  }
  return {
    rb,
    ab,
    keepRate: s.sumQ / s.sumW,
    shares: Array.from({ length: e.m }, (_, k) => (s.D[k * C1] + pi[k] * s.sumQ) / s.sumQ),
  };
}

describe('balanced tolerances (default)', () => {
  const data = skewed(600, 3);
  const eps = 0.01;

  it("at η = 0.08 the kept data's shares are within ε_R of π (was: joint ε left one group at 37.5% against 25%)", async () => {
    const e = createCpuEngine(data, pi);
    const r = await solveBatch(e, { eta: 0.08, epsRep: eps, epsAssoc: eps });
    expect(r.status).toBe('optimal');
    const b = await balancedBias(e, r.W, r.mu, 0.08);
    expect(b.keepRate).toBeCloseTo(0.08, 8);
    for (const s of b.shares) expect(Math.abs(s - 0.25)).toBeLessThanOrEqual(eps + 1e-7);
    expect(b.rb).toBeLessThanOrEqual(eps + 1e-7);
    expect(b.ab).toBeLessThanOrEqual(eps + 1e-7);
    // the joint form at the same η lets the kept shares drift by up to ε/η = 0.125
    const j = await solveBatch(e, { eta: 0.08, epsRep: eps, epsAssoc: eps, tolerance: 'joint' });
    const bj = await balancedBias(e, j.W, j.mu, 0.08);
    expect(bj.rb).toBeGreaterThan(5 * eps);
    expect(bj.rb).toBeLessThanOrEqual(eps / 0.08 + 1e-6);
  });

  it('balanced ε at η is the joint form at η·ε (the same optimum)', async () => {
    const e = createCpuEngine(data, pi);
    const a = await solveBatch(e, { eta: 0.3, epsRep: 0.02, epsAssoc: 0.01, tol: 1e-12 });
    const b = await solveBatch(e, {
      eta: 0.3,
      epsRep: 0.3 * 0.02,
      epsAssoc: 0.3 * 0.01,
      tol: 1e-12,
      tolerance: 'joint',
    });
    const qa = await e.q(a.W, a.mu, 0.3);
    const qb = await e.q(b.W, b.mu, 0.3);
    let d = 0;
    for (let i = 0; i < qa.length; i++) d = Math.max(d, Math.abs(qa[i] - qb[i]));
    expect(d).toBeLessThan(1e-7);
  });

  it('the largest feasible η in the balanced form: attained by a q meeting ε on the kept data, infeasible just above', async () => {
    const e = createCpuEngine(data, pi);
    const mf = await maxFeasibleEta(e, { epsRep: eps, epsAssoc: eps });
    const joint = await maxFeasibleEta(e, { epsRep: eps, epsAssoc: eps, tolerance: 'joint' });
    expect(mf.converged).toBe(true);
    // ε on the kept data is stricter than ε on the joint moments (Σq ≤ N)
    expect(mf.eta).toBeLessThan(joint.eta);
    expect(mf.eta).toBeGreaterThan(0.05);
    // the returned point attains it and meets the balanced constraints
    const b = await balancedBias(e, mf.W, mf.mu, 0.5);
    expect(Math.abs(b.keepRate - mf.eta)).toBeLessThan(1e-6);
    expect(Math.max(b.rb, b.ab)).toBeLessThanOrEqual(eps + 1e-6);
    const lo = await solveBatch(e, { eta: mf.eta * 0.98, epsRep: eps, epsAssoc: eps });
    expect(lo.status).toBe('optimal');
    const hi = await solveBatch(e, { eta: Math.min(1, mf.eta * 1.05), epsRep: eps, epsAssoc: eps });
    expect(hi.status).toBe('infeasible');
    expect(Math.abs(hi.maxFeasibleEta! - mf.eta)).toBeLessThan(1e-6);
  });

  it('the balanced η search runs Newton (#15): same η as first-order, far fewer passes, still feasible', async () => {
    // a per-row table (utilities: no two rows share a pattern) as on the --path rows engines
    const rnd = mulberry32(11);
    const u = Float64Array.from({ length: data.n }, () => (rnd() - 0.5) * 0.4);
    const e = createCpuEngine({ ...data, u }, pi);
    const fo = await maxFeasibleEta(e, { epsRep: eps, epsAssoc: eps, method: 'first-order' });
    const nt = await maxFeasibleEta(e, { epsRep: eps, epsAssoc: eps });
    expect(fo.converged && nt.converged).toBe(true);
    expect(nt.hessianPasses).toBeGreaterThan(0);
    expect(Math.abs(nt.eta - fo.eta)).toBeLessThan(1e-6);
    // the certificate: the returned point attains η and meets the balanced constraints
    const b = await balancedBias(e, nt.W, nt.mu, 0.5);
    expect(Math.abs(b.keepRate - nt.eta)).toBeLessThan(1e-6);
    expect(Math.max(b.rb, b.ab)).toBeLessThanOrEqual(eps + 1e-6);
    // measured: first-order 1353 moments passes; Newton 53 moments + 28 Hessian passes
    expect(fo.passes).toBeGreaterThan(1000);
    expect(nt.passes + nt.hessianPasses!).toBeLessThan(200);
  });

  it('the streaming solver bounds the kept data too', async () => {
    const e = createCpuEngine(data, pi);
    const r = await solveStreaming(data, { eta: 0.3, pi, epsRep: 0.02, epsAssoc: 0.02, epochs: 400, seed: 1 });
    const s = await e.pass(new Float64Array(16), 0, 0.3, 0); // Σ w
    let worst = 0;
    const D = new Float64Array(16);
    let sq = 0;
    for (let i = 0; i < data.n; i++) {
      sq += r.q[i];
      for (let k = 0; k < 4; k++) {
        const d = data.S[i * 4 + k] - pi[k];
        D[k * C1] += r.q[i] * d;
        for (let c = 0; c < 3; c++) D[k * C1 + c + 1] += r.q[i] * d * data.Y[i * 3 + c];
      }
    }
    for (const x of D) worst = Math.max(worst, Math.abs(x) / sq);
    expect(s.sumW).toBe(600);
    // stochastic: within the solver's report tolerance of ε on the kept data (the joint form would allow 0.02/0.3)
    expect(worst).toBeLessThan(0.02 + 0.01);
  });
});

describe('the report names the tolerance and leads with the balanced data', () => {
  // 4 groups 55/25/12/8 % against a uniform target, labels tied to the group (the 37.5 % vs 25 % case)
  const rnd = mulberry32(11);
  const groups = ['a', 'b', 'c', 'd'];
  const rows = Array.from({ length: 4000 }, () => {
    const x = rnd();
    const g = x < 0.55 ? 0 : x < 0.8 ? 1 : x < 0.92 ? 2 : 3;
    return { g: groups[g], job: rnd() < 0.3 + 0.15 * g ? 'x' : 'y' };
  });
  const encode = () => {
    const enc = new TableEncoder({ attributes: ['g'], labels: ['job'] }, 'mem.jsonl');
    enc.push({ columns: ['g', 'job'], rows, offset: 0 });
    return enc.finish();
  };

  it("at η = 0.08 (default tolerance) RB/AB after are the balanced data's, within ε, and the kept rows are measured", async () => {
    const r = await balanceEncoded(encode(), { eta: 0.08, backend: 'cpu' });
    const s = r.report.bias.summary;
    expect(r.report.options.tolerance).toBe('balanced');
    expect(s.tolerance).toBe('balanced');
    expect(s.rbBalanced).toBeLessThanOrEqual(0.01 + 1e-7);
    expect(s.abBalanced).toBeLessThanOrEqual(0.01 + 1e-7);
    for (const g of r.report.bias.groups) {
      expect(Math.abs(g.shareAfter - 0.25)).toBeLessThanOrEqual(0.01 + 1e-7);
      expect(g.rBalanced).toBeCloseTo(g.shareAfter - 0.25, 12);
    }
    // realised by the keep flags: computed from the kept rows directly
    const keptRows = rows.filter((_, i) => r.keep[i] === 1);
    expect(r.report.kept).toBe(keptRows.length);
    const shares = groups.map((g) => keptRows.filter((x) => x.g === g).length / keptRows.length);
    expect(s.rbKept).toBeCloseTo(Math.max(...shares.map((x) => Math.abs(x - 0.25))), 12);
    r.report.bias.groups.forEach((g, k) => expect(g.shareKept).toBeCloseTo(shares[k], 12));
    // the joint moments stay in the report (= η × the balanced ones)
    expect(s.rbAfter).toBeCloseTo(0.08 * s.rbBalanced, 9);
    const txt = formatBiasReport(r.report.bias);
    expect(txt).toMatch(/tolerance balanced/);
    expect(txt).toMatch(/kept rows/);
  });

  it('tolerance "joint" keeps the old behaviour: the joint moments within ε, the kept shares far from π', async () => {
    const r = await balanceEncoded(encode(), { eta: 0.08, backend: 'cpu', tolerance: 'joint' });
    const s = r.report.bias.summary;
    expect(s.tolerance).toBe('joint');
    expect(s.rbAfter).toBeLessThanOrEqual(0.01 + 1e-7);
    expect(s.rbBalanced).toBeGreaterThan(0.1);
    expect(formatBiasReport(r.report.bias)).toMatch(/Tolerance joint: ε_R, ε_A bound the joint moments/);
  });
});
