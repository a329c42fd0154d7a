// Full-batch M4 dual solver (spec ALGORITHMS.md §1.5–1.6b): accelerated projected dual ascent (FISTA) on
//   g(v, µ) = (1/N) Σ_i w_i [ ½(q_i − q0_i)² + q_i (a_iᵀv + µ) ] − vᵀε − µη,   0 ≤ v ≤ V,
// with q_i = clip(q0_i − a_iᵀv − µ, 0, 1). It talks to the data only through a MomentsEngine.
import { ArgumentError } from '@m4kit/kernels';
import { validatePi } from './engine-cpu.js';
import type { MomentsEngine } from './types.js';

export interface SolveProgress {
  iter: number;
  /** max(|mean q − η|, max_j((1/N)Σ w q a_j − ε_j)₊) at the current iterate */
  violation: number;
  keepRate: number;
}

export interface SolveOptions {
  /** target keep-rate η ∈ (0, 1] */
  eta: number;
  /** optional check: must equal the engine's π (length m, entries in (0,1)) */
  pi?: ArrayLike<number>;
  /** ε_R: tolerance on |first-order moment| (default 0) */
  epsRep?: number;
  /** ε_A: tolerance on |second-order moment| (default 0) */
  epsAssoc?: number;
  /** enforcement level: box 0 ≤ v ≤ V (soft constraints); default Infinity (hard constraints) */
  V?: number;
  /**
   * Stopping tolerance on the KKT (natural) residual ‖x − P_box(x + ∇g(x))‖_∞, x = (v, µ) (default 1e-9).
   * It bounds |mean q − η| and every constraint violation (1/N)Σ w q a_j − ε_j, and the complementarity
   * min(v_j, slack_j), so the spec's stopping rule (§1.6: feasibility ≤ tol) holds at convergence.
   */
  tol?: number;
  /** iteration cap (default 50 000) */
  maxIter?: number;
  /** warm start (e.g. a previous result's v and mu) */
  warmStart?: { v: Float64Array; mu: number };
  /** called every `progressEvery` iterations (default 50) and at the end */
  onProgress?: (info: SolveProgress) => void;
  progressEvery?: number;
}

export type SolveStatus = 'optimal' | 'soft' | 'infeasible' | 'max-iter';

export interface SolveResult {
  /** m×(c+1) row-major, W = v⁺ − v⁻: pass to `engine.q(W, mu, eta)` to get q */
  W: Float64Array;
  /** the dual point [v⁺; v⁻], length 2m(c+1) */
  v: Float64Array;
  mu: number;
  eta: number;
  /** q is not returned: evaluate it with `engine.q(result.W, result.mu, result.eta)` */
  q?: never;
  /** FISTA iterations (for 'infeasible': those of the failed hard solve) */
  iterations: number;
  /** engine passes used (all phases) */
  passes: number;
  /** KKT residual ≤ tol */
  converged: boolean;
  /** Σ w q / Σ w at the returned point */
  keepRate: number;
  /** max_j ((1/N) Σ w q a_j − ε_j)₊ at the returned point: the largest constraint violation */
  maxViolation: number;
  /** KKT residual at the returned point */
  kktResidual: number;
  /** dual objective g(v, µ) */
  dualObjective: number;
  /**
   * 'optimal': KKT residual ≤ tol and every constraint holds (within 10·tol);
   * 'soft': finite V, converged, some constraint stays violated (paid for by the penalty V);
   * 'infeasible': V = ∞ and no q ∈ [0,1]ⁿ meets the constraints at this η (see maxFeasibleEta);
   * 'max-iter': not converged within maxIter.
   */
  status: SolveStatus;
  /** for 'infeasible' (and 'max-iter' with V = ∞): the largest η for which the hard constraints are satisfiable */
  maxFeasibleEta?: number;
  timeMs: number;
}

export interface MaxFeasibleEtaOptions {
  epsRep?: number;
  epsAssoc?: number;
  tol?: number;
  maxIter?: number;
}

export interface MaxFeasibleEtaResult {
  /** largest feasible keep-rate: max mean(q) over q ∈ [0,1]ⁿ with |(1/N)Σ w q d_j| ≤ ε_j */
  maxEta: number;
  /** dual point of the last regularised solve (µ is fixed, see below) */
  W: Float64Array;
  /** µ used by the last regularised solve, with engine η = 0.5: q = engine.q(W, mu, 0.5) attains maxEta */
  mu: number;
  passes: number;
  converged: boolean;
}

// ------------------------------------------------------------------------------------------------------------

function checkNum(name: string, x: unknown, ok: (x: number) => boolean, what: string): number {
  if (typeof x !== 'number' || !ok(x)) throw new ArgumentError(`${name} = ${String(x)}: expected ${what}`);
  return x;
}

/** Per-moment tolerance e (length m(c+1)): ε_R for r = 0, ε_A for r = 1..c (spec §1.4). */
function epsVector(m: number, c: number, epsRep: number, epsAssoc: number): Float64Array {
  const e = new Float64Array(m * (c + 1));
  for (let k = 0; k < m; k++) for (let r = 0; r <= c; r++) e[k * (c + 1) + r] = r === 0 ? epsRep : epsAssoc;
  return e;
}

interface CoreArgs {
  engine: MomentsEngine;
  eta: number;
  e: Float64Array;
  V: number;
  N: number;
  /** fixed µ (phase-1 problem): µ is not a variable */
  fixedMu?: number;
  tol: number;
  maxIter: number;
  /** weak-duality bound: g(x) > UB proves the (hard) primal infeasible */
  UB?: number;
  /** heuristic divergence watch (triggers an exact feasibility check) */
  watchDivergence?: () => Promise<boolean>;
  x0?: Float64Array;
  Lsafe: number;
  onProgress?: (info: SolveProgress) => void;
  progressEvery: number;
}

interface Eval {
  G: Float64Array;
  g: number;
  viol: number; // max_j (D_j/N − e_j, −D_j/N − e_j)
  meanGap: number; // mean q − η
  keepRate: number;
}

interface CoreResult {
  x: Float64Array;
  ev: Eval;
  kkt: number;
  iterations: number;
  passes: number;
  converged: boolean;
  infeasible: boolean;
}

/** x = [v⁺ (P); v⁻ (P); µ]. */
async function fistaCore(a: CoreArgs): Promise<CoreResult> {
  const { engine, eta, e, V, N, tol, maxIter } = a;
  const P = e.length;
  const dim = 2 * P + 1;
  const muFree = a.fixedMu === undefined;
  const W = new Float64Array(P);
  let passes = 0;

  const evaluate = async (x: Float64Array): Promise<Eval> => {
    for (let j = 0; j < P; j++) W[j] = x[j] - x[P + j];
    const mu = muFree ? x[2 * P] : (a.fixedMu as number);
    const s = await engine.pass(W, mu, eta);
    passes++;
    const G = new Float64Array(dim);
    let viol = -Infinity;
    let ev = 0;
    for (let j = 0; j < P; j++) {
      const dn = s.D[j] / N;
      const gp = dn - e[j];
      const gm = -dn - e[j];
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
  const report = () => a.onProgress?.({ iter, violation: Math.max(Math.abs(evx.meanGap), evx.viol, 0), keepRate: evx.keepRate });

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
    if (a.watchDivergence && iter % 500 === 0 && (await a.watchDivergence())) {
      infeasible = true;
      break;
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
