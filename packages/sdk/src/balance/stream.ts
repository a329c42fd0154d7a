// Streaming M4 solver (spec ALGORITHMS.md §1.6a): one projected stochastic dual-ascent update per example,
// lr = lr0/√t, shuffled passes with a seeded PRNG; q is recomputed for every row with the final (v, µ).
// It needs per-row access, so it takes the BalanceData itself (not a MomentsEngine).
import { createCpuEngine, validateBalanceData } from './engine-cpu.js';
import { epsVector } from './options.js';
import { resolveStreamOptions, streamEpochs, type ResolvedStreamOptions } from './solver-options.js';
import { validatePi } from './pi.js';
import { polishSolveOptions } from './solver-options.js';
import { solveResolved } from './solve-core.js';
import type { SolveStatus, SolverInfo } from './solve-types.js';
import type { BalanceData } from './types.js';

/**
 * Options of `solveStreaming`.
 */
export interface StreamOptions {
  /** target keep-rate η ∈ (0, 1] */
  eta: number;
  /** target share per attribute (length m, entries in (0,1)) */
  pi: ArrayLike<number>;
  /** ε_R, ε_A (defaults BALANCE_DEFAULTS: 0.01) */
  epsRep?: number;
  epsAssoc?: number;
  /** what ε bounds: 'balanced' (default; the kept data's moments) or 'joint' (see SolveOptions.tolerance) */
  tolerance?: 'balanced' | 'joint';
  /** soft constraints: penalty per unit of violation = box 0 ≤ v ≤ softPenalty (default Infinity: hard) */
  softPenalty?: number;
  /** @deprecated use `softPenalty` */
  V?: number;
  /** passes over the data (default: enough for ~2·10⁵ updates, at least 1, at most 20 000) */
  epochs?: number;
  /** base learning rate: lr_t = lr0/√t (default 0.5) */
  lr0?: number;
  /** PRNG seed for the shuffles (default 0) */
  seed?: number;
  /** violation level (equality included) up to which the result counts as converged (default 5e-3) */
  reportTol?: number;
  /**
   * Polish: after the streaming passes, up to this many iterations of the exact batch solver (Newton on a float64
   * engine over the same rows; each iteration is one moments pass, one Hessian pass and rare line-search passes),
   * warm-started from the streaming dual point. 0 (default) = none. A polish that reaches the KKT tolerance turns
   * the status from 'approximate' into 'optimal' / 'soft'.
   */
  polish?: number;
  /** KKT tolerance of the polish (default 1e-10) */
  polishTol?: number;
  /** called after each pass */
  onProgress?: (info: { epoch: number; epochs: number; iter: number; violation: number; keepRate: number }) => void;
}

/**
 * What `solveStreaming` returns: q per row, the dual point, each constraint's measured violation and the status.
 */
export interface StreamResult {
  /** q per row with the final (v, µ) */
  q: Float64Array;
  /** m×(c+1): W = v⁺ − v⁻ */
  W: Float64Array;
  v: Float64Array;
  mu: number;
  eta: number;
  epochs: number;
  /** updates performed (= epochs · n) */
  iterations: number;
  /** status === 'optimal' || status === 'soft' */
  converged: boolean;
  /** Σ w q / Σ w */
  keepRate: number;
  /** the largest measured violation, the equality included: max(|keepRate − η|, max_j ((1/N) Σ w q a_j − ε_j)₊) */
  maxViolation: number;
  /** every constraint at the returned q, measured over all rows */
  violations: StreamViolations;
  /**
   * 'infeasible' (V = ∞): the final dual value exceeds an upper bound on every primal value, which proves that no
   * q meets the constraints at this η; 'approximate': a stochastic solution (maxViolation ≤ reportTol, not
   * certified optimal; see violations and dualityGap); 'optimal' / 'soft': only after a polish that reached its
   * KKT tolerance; 'max-iter': maxViolation > reportTol (more epochs needed).
   */
  status: SolveStatus;
  /** P(q) − g(v, µ) at the returned point (certifies optimality only together with zero violations) */
  dualityGap: number;
  /** the polish, when requested */
  polish?: { iterations: number; converged: boolean; solver: SolverInfo; kktResidual: number };
  dualObjective: number;
  timeMs: number;
}

export interface StreamViolations {
  /** mean q − η (the equality constraint) */
  keepRate: number;
  /** per moment j = (k, r): (1/N) Σ w q (s_k − π_k) [1, y]_r − ε_j (> 0: violated from above) */
  upper: Float64Array;
  /** per moment j: −(1/N) Σ w q (s_k − π_k) [1, y]_r − ε_j (> 0: violated from below) */
  lower: Float64Array;
}

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

/**
 * Projected stochastic dual ascent, one update per example (spec §1.6a).
 * @param data - the rows (validated by `validateBalanceData`).
 * @param options - η, π, tolerances, epochs, step size, seed and the optional Newton polish.
 * @returns q per row, the dual point, the measured violations and the status ('approximate' or 'max-iter').
 * @throws OptionError for bad options; ArgumentError for invalid data.
 */
export async function solveStreaming(
  data: BalanceData,
  options: StreamOptions | ResolvedStreamOptions,
): Promise<StreamResult> {
  const opts = resolveStreamOptions(options);
  validateBalanceData(data);
  validatePi(opts.pi, data.m);
  return streamResolved(data, opts);
}

/** solveStreaming on resolved options and checked data (the pipeline's call: nothing is checked again). */
export async function streamResolved(data: BalanceData, opts: ResolvedStreamOptions): Promise<StreamResult> {
  const t0 = performance.now();
  const { n, m, c, S, Y, u, w } = data;
  const { eta, V, lr0, seed, reportTol, pi } = opts;
  const epochs = streamEpochs(opts, n);
  const { polish } = opts;
  const C1 = c + 1;
  const P = m * C1;
  // 'balanced': the kept data's moments within ε ⇔ the joint moments within η·ε (the mean is held at η)
  const e = epsVector(m, c, opts.epsRep, opts.epsAssoc).map((x) => (opts.tolerance === 'balanced' ? x * eta : x));

  let N = 0;
  for (let i = 0; i < n; i++) N += w ? w[i] : 1;
  const vp = new Float64Array(P);
  const vm = new Float64Array(P);
  const W = new Float64Array(P);
  let mu = 0;
  const d = new Float64Array(P);
  const clip = (z: number) => (z < 0 ? 0 : z > V ? V : z);
  /** loads d_i = (s_i − π) ⊗ [1, y_i] and returns d_iᵀW */
  const load = (i: number): number => {
    let t = 0;
    for (let k = 0; k < m; k++) {
      const s = S[i * m + k] - pi[k];
      const o = k * C1;
      d[o] = s;
      for (let r = 0; r < c; r++) d[o + r + 1] = s * Y[i * c + r];
      for (let r = 0; r <= c; r++) t += d[o + r] * W[o + r];
    }
    return t;
  };
  const evaluate = () => {
    // full moments at (W, µ): q, D, g
    const q = new Float64Array(n);
    const D = new Float64Array(P);
    let sq = 0;
    let obj = 0;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i] : 1;
      const t = load(i);
      const q0 = eta + (u ? u[i] : 0);
      let qi = q0 - t - mu;
      qi = qi < 0 ? 0 : qi > 1 ? 1 : qi;
      q[i] = qi;
      sq += wi * qi;
      obj += wi * (0.5 * (qi - q0) * (qi - q0) + qi * (t + mu));
      for (let j = 0; j < P; j++) D[j] += wi * qi * d[j];
    }
    let viol = -Infinity;
    let ev = 0;
    const upper = new Float64Array(P);
    const lower = new Float64Array(P);
    let gap = 0;
    for (let j = 0; j < P; j++) {
      upper[j] = D[j] / N - e[j];
      lower[j] = -D[j] / N - e[j];
      viol = Math.max(viol, upper[j], lower[j]);
      ev += e[j] * (vp[j] + vm[j]);
      // P(q) − g = Σ_j (ε_j (v⁺+v⁻)_j − W_j D_j/N) − µ (mean q − η) (+ the soft penalty)
      gap += e[j] * (vp[j] + vm[j]) - W[j] * (D[j] / N);
      if (V !== Infinity) gap += V * (Math.max(0, upper[j]) + Math.max(0, lower[j]));
    }
    gap -= mu * (sq / N - eta);
    return { q, keepRate: sq / N, viol, g: obj / N - ev - mu * eta, upper, lower, gap };
  };

  const rnd = mulberry32(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let t = 0;
  for (let ep = 0; ep < epochs; ep++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    for (let ii = 0; ii < n; ii++) {
      const i = order[ii];
      // unbiased estimate of the full gradient under uniform row sampling: weight ŵ = w_i n / N
      const wh = w ? (w[i] * n) / N : 1;
      t++;
      const lr = lr0 / Math.sqrt(t);
      const q0 = eta + (u ? u[i] : 0);
      let q = q0 - load(i) - mu;
      q = q < 0 ? 0 : q > 1 ? 1 : q;
      const f = wh * q;
      for (let j = 0; j < P; j++) {
        const a = f * d[j];
        vp[j] = clip(vp[j] + lr * (a - e[j]));
        vm[j] = clip(vm[j] + lr * (-a - e[j]));
        W[j] = vp[j] - vm[j];
      }
      mu += lr * (f - eta);
    }
    if (opts.onProgress) {
      const ev = evaluate();
      opts.onProgress({
        epoch: ep + 1,
        epochs,
        iter: t,
        violation: Math.max(ev.viol, Math.abs(ev.keepRate - eta), 0),
        keepRate: ev.keepRate,
      });
    }
  }

  const ev = evaluate();
  // weak duality: for satisfiable hard constraints g(v, µ) ≤ P(q*) ≤ max over the box of the primal objective
  let UB = 0;
  for (let i = 0; i < n; i++) {
    const q0 = eta + (u ? u[i] : 0);
    UB += (w ? w[i] : 1) * 0.5 * Math.max(q0 * q0, (1 - q0) * (1 - q0));
  }
  UB /= N;
  const violation = Math.max(ev.viol, Math.abs(ev.keepRate - eta));
  let status: SolveStatus;
  if (V === Infinity && ev.g > UB * (1 + 1e-12)) status = 'infeasible';
  else if (violation <= reportTol || (V !== Infinity && Math.abs(ev.keepRate - eta) <= reportTol)) {
    status = 'approximate';
  } else status = 'max-iter';
  const v = new Float64Array(2 * P);
  v.set(vp);
  v.set(vm, P);
  const out: StreamResult = {
    q: ev.q,
    W: W.slice(),
    v,
    mu,
    eta,
    epochs,
    iterations: t,
    converged: status === 'approximate',
    keepRate: ev.keepRate,
    maxViolation: Math.max(0, violation),
    violations: { keepRate: ev.keepRate - eta, upper: ev.upper, lower: ev.lower },
    status,
    dualObjective: ev.g,
    dualityGap: ev.gap,
    timeMs: 0,
  };
  if (polish > 0 && status !== 'infeasible') {
    await polishStream(out, data, pi, opts);
  }
  out.timeMs = performance.now() - t0;
  return out;
}

/** K exact (Newton) iterations from the streaming dual point, over the same rows in float64. */
async function polishStream(
  out: StreamResult,
  data: BalanceData,
  pi: Float64Array,
  o: ResolvedStreamOptions,
): Promise<void> {
  const engine = createCpuEngine(data, pi);
  try {
    const r = await solveResolved(engine, polishSolveOptions(o, { eta: out.eta, v: out.v, mu: out.mu }));
    out.polish = { iterations: r.iterations, converged: r.converged, solver: r.solver, kktResidual: r.kktResidual };
    if (r.status === 'infeasible') {
      out.status = 'infeasible';
      out.converged = false;
      return;
    }
    const s = await engine.pass(r.W, r.mu, out.eta);
    const { m, c } = data;
    const P = m * (c + 1);
    const N = s.sumW;
    const e = new Float64Array(P);
    const sc = o.tolerance === 'balanced' ? out.eta : 1; // as the solve: balanced bounds the joint moments by η·ε
    for (let k = 0; k < m; k++)
      for (let rr = 0; rr <= c; rr++) e[k * (c + 1) + rr] = (rr === 0 ? o.epsRep : o.epsAssoc) * sc;
    const upper = new Float64Array(P);
    const lower = new Float64Array(P);
    let viol = 0;
    for (let j = 0; j < P; j++) {
      upper[j] = s.D[j] / N - e[j];
      lower[j] = -s.D[j] / N - e[j];
      viol = Math.max(viol, upper[j], lower[j]);
    }
    const keepRate = s.sumQ / N;
    out.q = await engine.q(r.W, r.mu, out.eta);
    out.W = r.W;
    out.v = r.v;
    out.mu = r.mu;
    out.keepRate = keepRate;
    out.violations = { keepRate: keepRate - out.eta, upper, lower };
    out.maxViolation = Math.max(viol, Math.abs(keepRate - out.eta));
    out.dualObjective = r.dualObjective;
    out.dualityGap = r.solver.dualityGap;
    if (r.converged) {
      out.status = r.status === 'soft' ? 'soft' : r.status === 'optimal' ? 'optimal' : out.status;
      out.converged = out.status === 'optimal' || out.status === 'soft';
    }
  } finally {
    engine.dispose();
  }
}
