// Full-batch M4 dual solver (spec ALGORITHMS.md §1.5–1.6b) on
//   g(v, µ) = (1/N) Σ_i w_i [ ½(q_i − q0_i)² + q_i (a_iᵀv + µ) ] − vᵀε − µη,   0 ≤ v ≤ V,
// with q_i = clip(q0_i − a_iᵀv − µ, 0, 1). It talks to the data only through a MomentsEngine.
// Two methods: a second-order proximal Newton method (newton.ts; needs engine.hessian), the default, and
// accelerated projected dual ascent (FISTA, below), used when the engine has no Hessian pass, when
// K = m(c+1)+1 is too large for the host model solve, or to finish a Newton run that stalls.
import { ArgumentError } from '@m4kit/kernels';
import { validatePi } from './engine-cpu.js';
import { dualityGap, newtonCore } from './newton.js';
import {
  epsVector,
  resolveFeasibleEtaOptions,
  resolveSolveOptions,
  BALANCE_DEFAULTS,
  type ResolvedFeasibleEtaOptions,
  type ResolvedSolveOptions,
  type ToleranceMode,
} from './options.js';
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
  /** ε_R: tolerance on |first-order moment| (default BALANCE_DEFAULTS.epsRep = 0.01) */
  epsRep?: number;
  /** ε_A: tolerance on |second-order moment| (default BALANCE_DEFAULTS.epsAssoc = 0.01) */
  epsAssoc?: number;
  /**
   * What ε bounds (default 'balanced'): the balanced data's moments, (1/Σq) Σ q (s − π)[1, y] — the solve uses
   * η·ε on the joint moments — or the joint moments (1/N) Σ q (s − π)[1, y] themselves ('joint').
   */
  tolerance?: ToleranceMode;
  /** soft constraints: penalty per unit of violation = box 0 ≤ v ≤ softPenalty; default Infinity (hard) */
  softPenalty?: number;
  /** @deprecated use `softPenalty` (the spec's enforcement level V) */
  V?: number;
  /**
   * Stopping tolerance on the KKT (natural) residual ‖x − P_box(x + ∇g(x))‖_∞, x = (v, µ) (default 1e-10;
   * with a float32 engine use ~1e-5).
   * It bounds |mean q − η| and every constraint violation (1/N)Σ w q a_j − ε_j, and the complementarity
   * min(v_j, slack_j), so the spec's stopping rule (§1.6: feasibility ≤ tol) holds at convergence.
   */
  tol?: number;
  /** iteration cap (default BALANCE_DEFAULTS.maxIter = 20 000) */
  maxIter?: number;
  /** warm start (e.g. a previous result's v and mu) */
  warmStart?: { v: Float64Array; mu: number };
  /** called every `progressEvery` iterations (default 50) and at the end */
  onProgress?: (info: SolveProgress) => void;
  progressEvery?: number;
  /**
   * 'auto' (default): Newton when the engine has a Hessian pass and K = m(c+1)+1 ≤ 256, else first-order;
   * 'newton' (an error without engine.hessian); 'first-order': FISTA only.
   */
  method?: SolveMethod;
  /**
   * rows the Newton Hessian pass samples (every ⌈n/hessianRows⌉-th row; default 16 384; Infinity = all). The gradient
   * is always exact; a sampled Hessian only slows the local rate (linear, ~1/√(sampled free rows) per iteration).
   */
  hessianRows?: number;
}

export type SolveMethod = 'auto' | 'newton' | 'first-order';

/** Which method ran, what it cost, and how close to optimal its point is proven to be. */
export interface SolverInfo {
  /** 'newton+first-order': Newton stalled (precision limit) and FISTA finished from its point */
  method: 'newton' | 'first-order' | 'newton+first-order';
  /** moments passes (all phases, η search included) */
  passes: number;
  /** Hessian passes (Newton), each over ⌈n/hessianStride⌉ rows */
  hessianPasses: number;
  hessianStride: number;
  /**
   * P(q) − g(v, µ) at the returned point (P with the soft penalty when V is finite). By weak duality it bounds
   * P(q) − P(q*) whenever q is feasible (maxViolation = 0), and g(v*, µ*) − g(v, µ) always.
   */
  dualityGap: number;
  /** why the method differs from the requested one, if it does */
  note?: string;
}

/** 'approximate': the streaming solver's uncertified solution (see StreamResult) */
export type SolveStatus = 'optimal' | 'soft' | 'infeasible' | 'max-iter' | 'approximate';

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
  /** method, passes and certified duality gap */
  solver: SolverInfo;
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
  /** 'balanced' (default): |Σ w q d_j| ≤ ε_j Σ w q, the kept data's moments; 'joint': |(1/N) Σ w q d_j| ≤ ε_j */
  tolerance?: ToleranceMode;
  tol?: number;
  maxIter?: number;
  method?: SolveMethod;
  hessianRows?: number;
}

export interface MaxFeasibleEtaResult {
  /** the largest feasible keep-rate: max mean(q) over q ∈ [0,1]ⁿ with |(1/N)Σ w q d_j| ≤ ε_j */
  eta: number;
  /** dual point of the last regularised solve (µ is fixed, see below) */
  W: Float64Array;
  /** µ used by the last regularised solve, with engine η = 0.5: q = engine.q(W, mu, 0.5) attains eta */
  mu: number;
  passes: number;
  hessianPasses?: number;
  converged: boolean;
}

// ------------------------------------------------------------------------------------------------------------

interface CoreArgs {
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

/** µ as the engine sees it with rate-proportional tolerances b: µ − Σ b_j (v⁺_j + v⁻_j). */
function muShift(x: Float64Array, mu: number, b: Float64Array): number {
  const P = b.length;
  let t = mu;
  for (let j = 0; j < P; j++) t -= b[j] * (x[j] + x[P + j]);
  return t;
}

/** x = [v⁺ (P); v⁻ (P); µ]. */
async function fistaCore(a: CoreArgs): Promise<CoreResult> {
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

interface RunInfo {
  method: SolverInfo['method'];
  hessianPasses: number;
  note?: string;
}

interface MethodChoice {
  useNewton: boolean;
  stride: number;
  note?: string;
}

/** K = m(c+1)+1 above which the host model solve (O(K³) per Newton step) is not worth it under 'auto'. */
const NEWTON_MAX_K = 256;

/** method and hessianRows come checked from the options resolver (balance/options.ts) */
function chooseMethod(engine: MomentsEngine, mth: SolveMethod, rows: number): MethodChoice {
  if (mth === 'first-order') return { useNewton: false, stride: 1 };
  const K = engine.m * (engine.c + 1) + 1;
  if (typeof engine.hessian !== 'function') {
    if (mth === 'newton') throw new ArgumentError("method 'newton': this engine has no Hessian pass (engine.hessian)");
    return { useNewton: false, stride: 1, note: 'the engine has no Hessian pass: first-order method' };
  }
  if (mth === 'auto' && K > NEWTON_MAX_K) {
    return { useNewton: false, stride: 1, note: `K = m(c+1)+1 = ${K} > ${NEWTON_MAX_K}: first-order method` };
  }
  return { useNewton: true, stride: rows === Infinity ? 1 : Math.max(1, Math.ceil(engine.n / rows)) };
}

/** Newton (when chosen) with the first-order method as fallback; FISTA otherwise. */
async function runCore(
  a: CoreArgs,
  mc: MethodChoice,
  fill?: () => Promise<Partial<CoreArgs>>,
): Promise<CoreResult & RunInfo> {
  const fo = async (over: Partial<CoreArgs>) => fistaCore({ ...a, ...(fill ? await fill() : {}), ...over });
  if (!mc.useNewton) return { ...(await fo({})), method: 'first-order', hessianPasses: 0, note: mc.note };
  let nr;
  try {
    nr = await newtonCore({
      engine: a.engine,
      eta: a.eta,
      e: a.e,
      b: a.b,
      V: a.V,
      N: a.N,
      fixedMu: a.fixedMu,
      tol: a.tol,
      maxIter: Math.min(a.maxIter, 200),
      UB: a.UB,
      getUB: a.getUB,
      x0: a.x0,
      stride: mc.stride,
      onProgress: a.onProgress,
      progressEvery: a.progressEvery,
    });
  } catch (err) {
    // e.g. the GPU Hessian kernel's K limit: say so in the result, never silently
    if (!(err instanceof ArgumentError)) throw err;
    return { ...(await fo({})), method: 'first-order', hessianPasses: 0, note: `Newton unavailable (${err.message})` };
  }
  const ev: Eval = { G: nr.ev.G, g: nr.ev.g, viol: nr.ev.viol, meanGap: nr.ev.meanGap, keepRate: nr.ev.keepRate };
  const base = {
    x: nr.x,
    ev,
    kkt: nr.kkt,
    iterations: nr.iterations,
    passes: nr.passes,
    converged: nr.converged,
    infeasible: nr.infeasible,
  };
  const resampled =
    nr.stride !== mc.stride ? `Hessian sample (every ${mc.stride}th row) too coarse: switched to every row` : undefined;
  if (nr.converged || nr.infeasible) {
    return { ...base, method: 'newton', hessianPasses: nr.hessianPasses, note: resampled };
  }
  // stalled (precision limit of the engine) or out of Newton iterations: FISTA finishes from Newton's point
  const r = await fo({ x0: nr.x, maxIter: Math.max(1, a.maxIter - nr.iterations) });
  const why = nr.stalled
    ? `Newton stalled at KKT residual ${nr.kkt.toExponential(2)} > tol ${a.tol}`
    : `Newton hit ${nr.iterations} iterations`;
  return {
    ...r,
    iterations: r.iterations + nr.iterations,
    passes: r.passes + nr.passes,
    method: 'newton+first-order',
    hessianPasses: nr.hessianPasses,
    note: `${why}; first-order method finished`,
  };
}

interface Prepared {
  /** tolerances of the solve at η: ε (joint) or η·ε (balanced: the kept data's moments within ε) */
  e: Float64Array;
  /** the largest-feasible-η search: fixed tolerances feasE and rate-proportional ones feasB (balanced: ε) */
  feasE: Float64Array;
  feasB?: Float64Array;
  N: number;
  UB: number;
  Lsafe: number;
  /** the step bound of the search: with b, the rows of [A, 1] are (±d − b, 1), so ‖·‖² grows by 2‖b‖² per row */
  LsafeFeas: number;
  passes: number;
  /** N, UB and Lsafe not computed yet (NaN): Newton needs none of them up front (see fillPrepared) */
  lazy?: boolean;
  /** the full preparation of a lazy one */
  redo?: () => Promise<Prepared>;
}

async function prepare(
  engine: MomentsEngine,
  eta: number,
  epsRep: number,
  epsAssoc: number,
  tolerance: ToleranceMode,
  lazy = false,
): Promise<Prepared> {
  const { m, c } = engine;
  const P = m * (c + 1);
  const eps = epsVector(m, c, epsRep, epsAssoc);
  const balanced = tolerance === 'balanced';
  const e = balanced ? eps.map((x) => x * eta) : eps;
  // Newton takes N from its first pass and asks for the infeasibility bound UB only when it does not converge
  // quickly; the first-order method needs the step bound Lsafe from the start. Lazy saves two passes.
  if (lazy) {
    const feasE = balanced ? new Float64Array(P) : eps;
    return {
      e,
      feasE,
      feasB: balanced ? eps : undefined,
      N: NaN,
      UB: NaN,
      Lsafe: NaN,
      LsafeFeas: NaN,
      passes: 0,
      lazy: true,
      redo: () => prepare(engine, eta, epsRep, epsAssoc, tolerance),
    };
  }
  const zero = new Float64Array(P);
  // q ≡ 0 and q ≡ 1 at (W, µ) = 0: obj = Σ w ½ q0² and Σ w ½ (1 − q0)², so UB ≥ max over the box of the primal
  // objective; weak duality then gives g(v, µ) ≤ P(q*) ≤ UB whenever the constraints are satisfiable.
  const s0 = await engine.pass(zero, 0, eta, 0);
  const s1 = await engine.pass(zero, 0, eta, 1);
  const N = s0.sumW;
  if (!(N > 0) || !Number.isFinite(N)) throw new ArgumentError(`engine: Σ w = ${N}; need a positive total weight`);
  const UB = (s0.obj + s1.obj) / N;
  const Lsafe = (await engine.frobenius()) / N;
  if (!(Lsafe > 0) || !Number.isFinite(Lsafe))
    throw new ArgumentError(`engine.frobenius() = ${Lsafe * N}: expected a positive number`);
  let bb = 0;
  if (balanced) for (const x of eps) bb += x * x;
  const LsafeFeas = Lsafe + 2 * bb;
  const feasE = balanced ? new Float64Array(P) : eps;
  return { e, feasE, feasB: balanced ? eps : undefined, N, UB, Lsafe, LsafeFeas, passes: 2 };
}

/** Compute a lazy Prepared's N, UB and Lsafe (two passes); returns the passes spent. */
async function fillPrepared(engine: MomentsEngine, prep: Prepared, eta: number): Promise<number> {
  if (!prep.lazy || !prep.redo) return 0;
  void engine;
  void eta;
  const full = await prep.redo();
  Object.assign(prep, { N: full.N, UB: full.UB, Lsafe: full.Lsafe, LsafeFeas: full.LsafeFeas, lazy: false });
  return full.passes;
}

function validateEngine(engine: MomentsEngine): void {
  if (engine == null || typeof engine.pass !== 'function') throw new ArgumentError('engine: expected a MomentsEngine');
  validatePi(engine.pi, engine.m, 'engine.pi');
}

async function maxFeasibleEtaCore(
  engine: MomentsEngine,
  prep: Prepared,
  tol: number,
  maxIter: number,
  mc: MethodChoice,
): Promise<MaxFeasibleEtaResult> {
  // Regularised LP  max Σ w q  s.t. |(1/N) Σ w q d_j| ≤ ε_j, q ∈ [0,1]:  minimise ½‖q − Q − u‖² under the same
  // constraints (no mean constraint; µ fixed to 0.5 − Q at engine η = 0.5 gives q = clip(Q + u − aᵀv)).
  // Quadratic regularisation of an LP is exact for Q large enough, so mean(q_Q) becomes constant in Q:
  // continue Q = 1, 2, 4, … (warm start v ← 2v) until it is stable (to 1e-7) for two doublings. The duals grow
  // like Q, so late stages are ill-conditioned: on hard instances this takes 10⁴–10⁵ passes.
  const etaRef = 0.5;
  let x0: Float64Array | undefined;
  let prev = NaN;
  let stable = 0;
  let passes = 0;
  let hessianPasses = 0;
  let best = 0;
  let out: CoreResult | undefined;
  let Q = 1;
  let mu = 0;
  for (let k = 0; k <= 24; k++, Q *= 2) {
    mu = etaRef - Q;
    // Newton where the engine has a Hessian pass (the balanced form's rate-proportional tolerances b enter its
    // model as a shifted L1 weight and sign-dependent rows, newton.ts), FISTA otherwise or to finish a stall
    const r = await runCore(
      {
        engine,
        eta: etaRef,
        e: prep.feasE,
        b: prep.feasB,
        V: Infinity,
        N: prep.N,
        fixedMu: mu,
        tol,
        maxIter,
        x0,
        Lsafe: prep.LsafeFeas,
        progressEvery: 1e9,
      },
      mc,
    );
    passes += r.passes;
    hessianPasses += r.hessianPasses;
    out = r;
    const mean = r.ev.keepRate;
    if (r.ev.viol <= 10 * tol) best = Math.max(best, mean);
    stable = Math.abs(mean - prev) <= Math.max(1e-7, 100 * tol) ? stable + 1 : 0;
    prev = mean;
    if (stable >= 2 && r.converged) break;
    x0 = r.x.map((z) => 2 * z); // v_Q grows ~linearly in Q once the LP face is reached
  }
  const P = prep.e.length;
  const W = new Float64Array(P);
  const x = (out as CoreResult).x;
  for (let j = 0; j < P; j++) W[j] = x[j] - x[P + j];
  return {
    eta: best,
    W,
    mu: prep.feasB ? muShift(x, mu, prep.feasB) : mu,
    passes,
    hessianPasses,
    converged: stable >= 2,
  };
}

/**
 * The largest keep-rate η for which the hard constraints (V = ∞) are satisfiable:
 *   max (1/N) Σ w q   s.t.  q ∈ [0,1]ⁿ,  |(1/N) Σ w q (s − π)_k [1, y]_r| ≤ ε_{kr}        ('joint')
 *                                    or  |Σ w q (s − π)_k [1, y]_r| ≤ ε_{kr} Σ w q           ('balanced', default).
 * The balanced constraints are a cone (scaling q keeps them), so feasibility stays monotone in η.
 * Solved through the engine as a quadratically regularised LP with continuation (see maxFeasibleEtaCore).
 * The returned value is attained by a q whose violation is ≤ 10·tol (a lower bound, accurate to ~1e-7).
 */
export async function maxFeasibleEta(
  engine: MomentsEngine,
  options: MaxFeasibleEtaOptions | ResolvedFeasibleEtaOptions = {},
): Promise<MaxFeasibleEtaResult> {
  validateEngine(engine);
  const { epsRep, epsAssoc, tol, maxIter, tolerance, method, hessianRows } = resolveFeasibleEtaOptions(options);
  const mc = chooseMethod(engine, method, hessianRows);
  const prep = await prepare(engine, 0.5, epsRep, epsAssoc, tolerance);
  const r = await maxFeasibleEtaCore(engine, prep, tol, maxIter, mc);
  r.passes += prep.passes;
  return r;
}

/**
 * Full-batch M4 solve (spec §1.6b): FISTA on the dual with backtracking and adaptive restart.
 * Returns the dual point; q = engine.q(result.W, result.mu, result.eta).
 */
export async function solveBatch(
  engine: MomentsEngine,
  options: SolveOptions | ResolvedSolveOptions,
): Promise<SolveResult> {
  const t0 = performance.now();
  validateEngine(engine);
  const opts = resolveSolveOptions(options);
  const { eta, epsRep: er, epsAssoc: ea, V, tol, maxIter, progressEvery, tolerance } = opts;
  if (opts.pi !== undefined) {
    validatePi(opts.pi, engine.m);
    for (let k = 0; k < engine.m; k++) {
      if (Math.abs(opts.pi[k] - engine.pi[k]) > 1e-12) {
        throw new ArgumentError(`pi[${k}] = ${opts.pi[k]} differs from the engine's π[${k}] = ${engine.pi[k]}`);
      }
    }
  }
  const P = engine.m * (engine.c + 1);
  let x0: Float64Array | undefined;
  if (opts.warmStart) {
    const ws = opts.warmStart;
    if (!ws.v || ws.v.length !== 2 * P)
      throw new ArgumentError(`warmStart.v: length ${ws.v?.length} ≠ 2m(c+1) = ${2 * P}`);
    x0 = new Float64Array(2 * P + 1);
    x0.set(ws.v);
    x0[2 * P] = ws.mu;
  }

  const mc = chooseMethod(engine, opts.method, opts.hessianRows);
  const prep = await prepare(engine, eta, er, ea, tolerance, mc.useNewton);
  let passes = prep.passes;
  let hessianPasses = 0;
  const hard = V === Infinity;
  const fill = async (): Promise<Partial<CoreArgs>> => {
    passes += await fillPrepared(engine, prep, eta);
    return { N: prep.N, Lsafe: prep.Lsafe, UB: hard ? prep.UB : undefined };
  };
  let feas: MaxFeasibleEtaResult | undefined;
  const getFeas = async () => {
    if (!feas) {
      await fill();
      // at the solve's tolerance (float32 engines)
      feas = await maxFeasibleEtaCore(engine, prep, tol, BALANCE_DEFAULTS.maxIter, mc);
      passes += feas.passes;
      hessianPasses += feas.hessianPasses ?? 0;
    }
    return feas;
  };
  const r = await runCore(
    {
      engine,
      eta,
      e: prep.e,
      V,
      N: prep.N,
      tol,
      maxIter,
      x0,
      Lsafe: prep.Lsafe,
      UB: hard && !prep.lazy ? prep.UB : undefined,
      getUB: hard ? async () => (await fill()).UB as number : undefined,
      suspectInfeasible: hard ? async () => eta > (await getFeas()).eta + 1e-7 : undefined,
      onProgress: opts.onProgress,
      progressEvery,
    },
    mc,
    fill,
  );
  passes += r.passes;
  hessianPasses += r.hessianPasses;

  let status: SolveStatus;
  let maxEta: number | undefined;
  if (r.infeasible) {
    status = 'infeasible';
    maxEta = (await getFeas()).eta;
  } else if (r.converged) {
    status = r.ev.viol > 10 * tol ? (hard ? 'max-iter' : 'soft') : 'optimal';
  } else if (hard) {
    maxEta = (await getFeas()).eta;
    status = eta > maxEta + 1e-7 ? 'infeasible' : 'max-iter';
  } else {
    status = 'max-iter';
  }
  const W = new Float64Array(P);
  const Dn = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    W[j] = r.x[j] - r.x[P + j];
    Dn[j] = r.ev.G[j] + prep.e[j];
  }
  const gap = dualityGap(W, r.x[2 * P], Dn, prep.e, r.ev.meanGap, V);
  const res: SolveResult = {
    W,
    v: r.x.slice(0, 2 * P),
    mu: r.x[2 * P],
    eta,
    iterations: r.iterations,
    passes,
    converged: r.converged,
    keepRate: r.ev.keepRate,
    maxViolation: Math.max(0, r.ev.viol),
    kktResidual: r.kkt,
    dualObjective: r.ev.g,
    solver: { method: r.method, passes, hessianPasses, hessianStride: mc.useNewton ? mc.stride : 1, dualityGap: gap },
    status,
    timeMs: 0,
  };
  if (r.note) res.solver.note = r.note;
  if (maxEta !== undefined) res.maxFeasibleEta = maxEta;
  res.timeMs = performance.now() - t0;
  return res;
}
