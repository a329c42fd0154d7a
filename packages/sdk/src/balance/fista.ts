// Accelerated projected dual ascent (FISTA with backtracking and adaptive restart) on the M4 dual (spec §1.6b):
// the first-order method of the batch solver, used when the engine has no Hessian pass, when K is too large for
// Newton's host model solve, and to finish a Newton run that stalls.
import type { SolveProgress } from './solve-types.js';
import type { MomentsEngine } from './types.js';

export interface CoreArgs {
  engine: MomentsEngine;
  eta: number;
  e: Float64Array;
  /**
   * Rate-proportional tolerances (the 'balanced' form of the largest-feasible-η search): the constraints become
   * ±(1/N)Σ w q d_j ≤ e_j + b_j·(1/N)Σ w q. They enter q as a shift of µ:
   *   q = clip(q0 − dᵀW − (µ − Σ b_j(v⁺_j + v⁻_j))).
   */
  b?: Float64Array;
  V: number;
  N: number;
  /** fixed µ (phase-1 problem): µ is not a variable */
  fixedMu?: number;
  tol: number;
  maxIter: number;
  /** weak-duality bound: g(x) > UB proves the (hard) primal infeasible */
  UB?: number;
  /** UB computed on demand (lazy preparation; Newton only) */
  getUB?: () => Promise<number>;
  /**
   * Called (at most once) when the iterates look divergent: ‖x‖ keeps growing between geometric checkpoints
   * while the violation does not halve. Must return true when the primal is provably infeasible (an exact phase-1 check).
   */
  suspectInfeasible?: () => Promise<boolean>;
  x0?: Float64Array;
  Lsafe: number;
  onProgress?: (info: SolveProgress) => void;
  progressEvery: number;
}

export interface Eval {
  G: Float64Array;
  g: number;
  viol: number; // max_j (D_j/N − e_j, −D_j/N − e_j)
  meanGap: number; // mean q − η
  keepRate: number;
}

export interface CoreResult {
  x: Float64Array;
  ev: Eval;
  kkt: number;
  iterations: number;
  passes: number;
  converged: boolean;
  infeasible: boolean;
}

/** µ as the engine sees it with rate-proportional tolerances b: µ − Σ b_j (v⁺_j + v⁻_j). */
export function muShift(x: Float64Array, mu: number, b: Float64Array): number {
  const P = b.length;
  let t = mu;
  for (let j = 0; j < P; j++) t -= b[j] * (x[j] + x[P + j]);
  return t;
}

/** x = [v⁺ (P); v⁻ (P); µ]. */
export async function fistaCore(a: CoreArgs): Promise<CoreResult> {
  const { engine, eta, e, V, N, tol, maxIter } = a;
  const P = e.length;
  const dim = 2 * P + 1;
  const muFree = a.fixedMu === undefined;
  const W = new Float64Array(P);
  let passes = 0;

  const b = a.b;
  const evaluate = async (x: Float64Array): Promise<Eval> => {
    for (let j = 0; j < P; j++) W[j] = x[j] - x[P + j];
    const mu = muFree ? x[2 * P] : (a.fixedMu as number);
    const s = await engine.pass(W, b ? muShift(x, mu, b) : mu, eta);
    passes++;
    const G = new Float64Array(dim);
    let viol = -Infinity;
    let ev = 0;
    const rate = s.sumQ / N;
    for (let j = 0; j < P; j++) {
      const dn = s.D[j] / N;
      const ej = b ? e[j] + b[j] * rate : e[j];
      const gp = dn - ej;
      const gm = -dn - ej;
      G[j] = gp;
      G[P + j] = gm;
      if (gp > viol) viol = gp;
      if (gm > viol) viol = gm;
      ev += e[j] * (x[j] + x[P + j]);
    }
    const keepRate = s.sumQ / N;
    const meanGap = keepRate - eta;
    G[2 * P] = muFree ? meanGap : 0;
    const g = s.obj / N - ev - mu * eta;
    return { G, g, viol, meanGap, keepRate };
  };
  const clip = (z: number) => (z < 0 ? 0 : z > V ? V : z);
  const project = (out: Float64Array, y: Float64Array, G: Float64Array, step: number) => {
    for (let j = 0; j < 2 * P; j++) out[j] = clip(y[j] + step * G[j]);
    out[2 * P] = muFree ? y[2 * P] + step * G[2 * P] : 0;
  };
  const kktResidual = (x: Float64Array, G: Float64Array) => {
    let r = Math.abs(G[2 * P]);
    for (let j = 0; j < 2 * P; j++) {
      const d = Math.abs(x[j] - clip(x[j] + G[j]));
      if (d > r) r = d;
    }
    return r;
  };

  let x = new Float64Array(dim);
  if (a.x0) {
    for (let j = 0; j < 2 * P; j++) x[j] = clip(a.x0[j]);
    x[2 * P] = muFree ? a.x0[2 * P] : 0;
  }
  let evx = await evaluate(x);
  let kkt = kktResidual(x, evx.G);
  let y = x.slice();
  let evy = evx;
  let t = 1;
  const Lsafe = a.Lsafe;
  const Lmin = Lsafe * 1e-8;
  let L = Lsafe / 64;
  const xn = new Float64Array(dim);
  let iter = 0;
  let converged = kkt <= tol;
  let infeasible = false;
  let suspectAsked = false;
  let nextCheck = 250;
  let strikes = 0;
  let ckNorm = -1;
  let ckViol = Infinity;
  const report = () =>
    a.onProgress?.({ iter, violation: Math.max(Math.abs(evx.meanGap), evx.viol, 0), keepRate: evx.keepRate });

  while (!converged && iter < maxIter) {
    iter++;
    // ---- backtracking step from y: accept 1/L when the local curvature along d is ≤ L ----------------------
    let evn: Eval;
    for (;;) {
      project(xn, y, evy.G, 1 / L);
      evn = await evaluate(xn);
      if (L >= Lsafe) break;
      let dd = 0;
      let curv = 0;
      for (let j = 0; j < dim; j++) {
        const d = xn[j] - y[j];
        dd += d * d;
        curv += (evy.G[j] - evn.G[j]) * d;
      }
      if (dd === 0 || curv <= L * dd) break;
      L = Math.min(Lsafe, Math.max(2 * L, (1.01 * curv) / dd));
    }
    // ---- convergence / infeasibility ------------------------------------------------------------------------
    const kn = kktResidual(xn, evn.G);
    // adaptive restart (O'Donoghue–Candès): gradient test, or a drop of the dual objective
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (xn[j] - y[j]) * (xn[j] - x[j]);
    const restart = dot < 0 || evn.g < evx.g - 1e-15 * (1 + Math.abs(evx.g));
    const xPrev = x;
    x = xn.slice();
    evx = evn;
    kkt = kn;
    if (kn <= tol) {
      converged = true;
      break;
    }
    if (a.UB !== undefined && evn.g > a.UB + 1e-12 * (1 + Math.abs(a.UB))) {
      infeasible = true;
      break;
    }
    if (a.suspectInfeasible && !suspectAsked && iter === nextCheck) {
      // checkpoints at 250, 500, 1000, 2000, …: a dual that keeps growing (×1.5 per checkpoint) while the
      // violation does not halve looks divergent; then ask for the exact phase-1 answer (once)
      nextCheck *= 2;
      let nrm = 0;
      for (let j = 0; j < dim; j++) nrm = Math.max(nrm, Math.abs(x[j]));
      const pv = Math.max(Math.abs(evx.meanGap), evx.viol);
      strikes = ckNorm >= 0 && nrm > 1.5 * ckNorm && pv > 0.5 * ckViol ? strikes + 1 : 0;
      ckNorm = nrm;
      ckViol = pv;
      if (strikes >= 2) {
        suspectAsked = true;
        if (await a.suspectInfeasible()) {
          infeasible = true;
          break;
        }
      }
    }
    if (a.onProgress && iter % a.progressEvery === 0) report();
    // ---- momentum ---------------------------------------------------------------------------------------------
    if (restart) {
      t = 1;
      y = x.slice();
      evy = evx;
    } else {
      const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      const beta = (t - 1) / tn;
      y = new Float64Array(dim);
      for (let j = 0; j < dim; j++) y[j] = x[j] + beta * (x[j] - xPrev[j]);
      if (!muFree) y[2 * P] = 0;
      evy = beta === 0 ? evx : await evaluate(y);
      t = tn;
    }
    L = Math.max(Lmin, L * 0.9);
  }
  report();
  return { x, ev: evx, kkt, iterations: iter, passes, converged, infeasible };
}
