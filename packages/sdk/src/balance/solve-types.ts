// The batch solver's public types (solve.ts is the door; solve-core.ts, fista.ts and newton.ts the methods).
import type { ToleranceMode } from './options.js';

/**
 * Progress of a batch solve, passed to `onProgress` once per iteration.
 */
export interface SolveProgress {
  iter: number;
  /** max(|mean q − η|, max_j((1/N)Σ w q a_j − ε_j)₊) at the current iterate */
  violation: number;
  keepRate: number;
}

/**
 * Options of `solveBatch` (the batch dual solver called directly on an engine).
 */
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

/**
 * The batch solver's method as asked for: 'auto', 'newton' or 'first-order'.
 */
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

/**
 * What `solveBatch` returns: the dual point (q = engine.q(W, mu, eta)), the status, the keep rate, the largest
 * violation and the solver's work.
 */
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

/**
 * Options of `maxFeasibleEta`: the tolerances and the solver's stopping rule.
 */
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

/**
 * What `maxFeasibleEta` returns: the largest feasible keep rate and the dual point that attains it.
 */
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
