// Second-order M4 dual solver: proximal (semi-smooth) Newton on the dual of spec ALGORITHMS.md §1.5.
//
// In W = v⁺ − v⁻ (optimal duals never have both v⁺_j, v⁻_j > 0 when ε_j > 0) the dual is
//   maximise g(W, µ) = φ(W, µ) − Σ_j ε_j |W_j|   s.t. |W_j| ≤ V,
//   φ(W, µ) = (1/N) Σ_i w_i [½(q_i − q0_i)² + q_i (d_iᵀW + µ)] − µη,    q_i = clip(q0_i − d_iᵀW − µ, 0, 1),
// with ∇φ = [(1/N) Σ w q d ; mean q − η] (one moments pass) and the generalised Hessian −(1/N) Σ_{0<q_i<1} w z zᵀ,
// z = [d; 1] (one Hessian pass, possibly on a strided row sample: the gradient is exact, the Hessian only shapes
// the step). φ is concave and piecewise quadratic in the (W, µ) dimension K = m(c+1)+1, so each iteration solves
// the small L1/box-regularised quadratic model on the host (coordinate descent, then an exact active-set solve
// of the identified face) and takes an Armijo step along it; the Hessian gets a Levenberg term λI where it is
// singular (redundant constraints) and λ adapts to the step acceptance. Convergence: the KKT residual in
// (v⁺, v⁻, µ) coordinates, as in the first-order solver, so both stop on the same criterion.
import { ArgumentError } from '@m4kit/kernels';
import { solveModel } from './newton-model.js';
import type { MomentsEngine } from './types.js';

export { solveModel };

/**
 * Inputs of `newtonCore`: the engine, η, the per-moment tolerances and the solver settings.
 */
export interface NewtonArgs {
  engine: MomentsEngine;
  eta: number;
  /** per-moment tolerance e (length P = m(c+1)) */
  e: Float64Array;
  /**
   * rate-proportional tolerances (the balanced largest-feasible-η search, see solve.ts CoreArgs.b): the engine sees
   * µ − Σ b_j |W_j|, the L1 weight becomes e + b·rate and the Hessian rows become d_j − sign(W_j) b_j
   */
  b?: Float64Array;
  V: number;
  /** Σ w (NaN: taken from the first pass) */
  N: number;
  /** fixed µ (phase-1 problem of the η search): µ is not a variable */
  fixedMu?: number;
  tol: number;
  /** Newton iterations */
  maxIter: number;
  /** weak-duality bound: g > UB proves the (hard) primal infeasible */
  UB?: number;
  /** UB on demand: asked once, when Newton has not converged within 8 iterations */
  getUB?: () => Promise<number>;
  /** start, in (v⁺, v⁻, µ) coordinates (length 2P + 1) */
  x0?: Float64Array;
  /** Hessian on rows 0, stride, 2·stride, … */
  stride: number;
  onProgress?: (info: { iter: number; violation: number; keepRate: number }) => void;
  progressEvery: number;
}

export interface NewtonEval {
  /** ∇ in (v⁺, v⁻, µ) coordinates, length 2P+1 (for the KKT residual and the first-order fallback) */
  G: Float64Array;
  g: number;
  viol: number;
  meanGap: number;
  keepRate: number;
  /** D/N (length P) */
  Dn: Float64Array;
}

/**
 * What `newtonCore` returns: the dual point, its evaluation, the KKT residual and the work done.
 */
export interface NewtonResult {
  /** (v⁺, v⁻, µ) */
  x: Float64Array;
  ev: NewtonEval;
  kkt: number;
  iterations: number;
  /** moments passes */
  passes: number;
  hessianPasses: number;
  converged: boolean;
  infeasible: boolean;
  /** the model predicts no further progress but the KKT residual is above tol (precision limit) */
  stalled: boolean;
  /** the Hessian stride at the end (1 after a sampled Hessian made too little progress) */
  stride: number;
}

/**
 * Duality gap P(q) − g(v, µ) at a dual point from its moments (W-form; soft penalty included for finite V).
 * @param W - m×(c+1) dual weights v⁺ − v⁻.
 * @param mu - the keep-rate multiplier µ.
 * @param Dn - the normalised moments at (W, µ).
 * @param e - per-moment tolerances.
 * @param meanGap - mean(q) − η at (W, µ).
 * @param V - soft-constraint penalty (Infinity for hard constraints).
 * @returns P(q) − g(v, µ) ≥ 0 (0 at the optimum).
 */
export function dualityGap(
  W: Float64Array,
  mu: number,
  Dn: ArrayLike<number>,
  e: Float64Array,
  meanGap: number,
  V: number,
): number {
  let gap = -mu * meanGap;
  for (let j = 0; j < W.length; j++) {
    gap += e[j] * Math.abs(W[j]) - W[j] * Dn[j];
    if (V !== Infinity) gap += V * (Math.max(0, Dn[j] - e[j]) + Math.max(0, -Dn[j] - e[j]));
  }
  return gap;
}

/**
 * The proximal semi-smooth Newton method on the dual (W, µ): one engine pass and one Hessian pass per iteration,
 * the model solved on the host by `solveModel`, Armijo steps and a Levenberg term.
 * @param a - engine, η, tolerances, stopping rule and starting point.
 * @returns the dual point, its evaluation, the KKT residual and the iteration count.
 */
export async function newtonCore(a: NewtonArgs): Promise<NewtonResult> {
  const { engine, eta, e, V, tol } = a;
  let N = a.N;
  let UB = a.UB;
  const P = e.length;
  const K = P + 1;
  const muFree = a.fixedMu === undefined;
  const nv = muFree ? K : P;
  let passes = 0;
  let hessianPasses = 0;

  const bb = a.b;
  /** µ as the engine sees it: µ − Σ b_j |W_j| */
  const muEng = (W: Float64Array, mu: number) => {
    if (!bb) return mu;
    let t = mu;
    for (let j = 0; j < P; j++) t -= bb[j] * Math.abs(W[j]);
    return t;
  };
  const evaluate = async (W: Float64Array, mu: number): Promise<NewtonEval> => {
    const s = await engine.pass(W, muEng(W, mu), eta);
    passes++;
    if (!(N > 0)) {
      N = s.sumW;
      if (!(N > 0) || !Number.isFinite(N)) throw new ArgumentError(`engine: Σ w = ${N}; need a positive total weight`);
    }
    const G = new Float64Array(2 * P + 1);
    const Dn = new Float64Array(P);
    let viol = -Infinity;
    let pen = 0;
    const rate = s.sumQ / N;
    for (let j = 0; j < P; j++) {
      const dn = s.D[j] / N;
      Dn[j] = dn;
      const ej = bb ? e[j] + bb[j] * rate : e[j];
      G[j] = dn - ej;
      G[P + j] = -dn - ej;
      viol = Math.max(viol, G[j], G[P + j]);
      pen += e[j] * Math.abs(W[j]);
    }
    const keepRate = s.sumQ / N;
    const meanGap = keepRate - eta;
    G[2 * P] = muFree ? meanGap : 0;
    return { G, g: s.obj / N - pen - mu * eta, viol, meanGap, keepRate, Dn };
  };
  const clip = (z: number) => (z < 0 ? 0 : z > V ? V : z);
  const kktOf = (W: Float64Array, ev: NewtonEval) => {
    let r = Math.abs(ev.G[2 * P]);
    for (let j = 0; j < P; j++) {
      const vp = Math.max(W[j], 0);
      const vm = Math.max(-W[j], 0);
      r = Math.max(r, Math.abs(vp - clip(vp + ev.G[j])), Math.abs(vm - clip(vm + ev.G[P + j])));
    }
    return r;
  };

  // iterate y = (W, µ)
  const y = new Float64Array(K);
  if (a.x0) for (let j = 0; j < P; j++) y[j] = Math.max(-V, Math.min(V, clip(a.x0[j]) - clip(a.x0[P + j])));
  y[P] = muFree ? (a.x0 ? a.x0[2 * P] : 0) : (a.fixedMu as number);
  const Wof = (z: Float64Array) => z.subarray(0, P) as Float64Array;
  let ev = await evaluate(Wof(y), y[P]);
  let kkt = kktOf(Wof(y), ev);
  let converged = kkt <= tol;
  let infeasible = false;
  let stalled = false;
  let iter = 0;
  let slow = 0;
  // Levenberg term λ = κ · (largest Hessian diagonal). Its floor follows the requested precision: along
  // (near-)null directions of H (redundant constraints) the step is noise/λ, and with float32 sums (tol ~1e-6)
  // a tiny λ lets W drift far from the minimum-norm dual, where f32 rounding of d_iᵀW then dominates q.
  const kappaMin = Math.min(1e-2, Math.max(1e-10, 10 * tol));
  let kappa = Math.max(1e-6, kappaMin);
  // Armijo slack for rounding in g: float32 engines (tol ~1e-6) sum obj with ~1e-7 relative error, so near the
  // optimum (predicted gains ~ residual²) an exact test would reject good Newton steps and inflate λ
  const gSlack = Math.min(1e-6, Math.max(1e-15, tol / 10));
  let stride = a.stride;
  // one polish step after convergence (cheap at quadratic convergence; it buys margin on float32 engines), kept
  // only when it lowers the KKT residual
  let polishLeft = 1;
  let best: { y: Float64Array; ev: NewtonEval; kkt: number } | null = null;
  while (iter < a.maxIter) {
    if (converged) {
      if (polishLeft-- <= 0) break;
      best = { y: y.slice(), ev, kkt };
    }
    iter++;
    let H = await engine.hessian!(Wof(y), muEng(Wof(y), y[P]), eta, stride);
    const scaleH = stride / N;
    hessianPasses++;
    // with b, the model's L1 weight is e + b·rate, and for the sign pattern σ of W (σ_j = 0 at W_j = 0 unless the
    // gradient moves it) the rows are z_j = d_j − σ_j b_j, i.e. H ← T H Tᵀ with T = [I, −σ∘b; 0, 1]
    let eM = e;
    if (bb) {
      eM = new Float64Array(P);
      const sg = new Float64Array(P);
      for (let j = 0; j < P; j++) {
        eM[j] = e[j] + bb[j] * ev.keepRate;
        const dir = y[j] !== 0 ? Math.sign(y[j]) : ev.Dn[j] > eM[j] ? 1 : ev.Dn[j] < -eM[j] ? -1 : 0;
        sg[j] = dir * bb[j];
      }
      const Ht = new Float64Array(K * K);
      for (let i = 0; i < K; i++) {
        const si = i < P ? sg[i] : 0;
        for (let j = 0; j < K; j++) {
          const sj = j < P ? sg[j] : 0;
          Ht[i * K + j] = H[i * K + j] - sj * H[i * K + P] - si * H[P * K + j] + si * sj * H[P * K + P];
        }
      }
      H = Ht;
    }
    let dmax = 0;
    for (let j = 0; j < nv; j++) dmax = Math.max(dmax, H[j * K + j] * scaleH);
    const lam = Math.max(kappa * dmax, 1e-14);
    const A = new Float64Array(nv * nv);
    for (let i = 0; i < nv; i++) {
      for (let j = 0; j < nv; j++) A[i * nv + j] = H[i * K + j] * scaleH;
      A[i * nv + i] += lam;
    }
    const b = new Float64Array(nv);
    for (let j = 0; j < P; j++) b[j] = ev.Dn[j];
    if (muFree) b[P] = ev.meanGap;
    const yt = solveModel(A, b, y, eM, V, nv, P);
    // predicted increase of g along s = yt − y (directional derivative of φ − e|W|), > 0 unless at the optimum
    let pred = 0;
    for (let j = 0; j < nv; j++) pred += b[j] * (yt[j] - y[j]);
    for (let j = 0; j < P; j++) pred -= eM[j] * (Math.abs(yt[j]) - Math.abs(y[j]));
    // pred is second order in the KKT residual (≈ b²/h), so only a non-positive or numerically zero step means
    // that the model sees no ascent left
    let step = 0;
    for (let j = 0; j < nv; j++) step = Math.max(step, Math.abs(yt[j] - y[j]) / (1 + Math.abs(y[j])));
    if (!(pred > 0) || step <= 1e-16) {
      stalled = true;
      break;
    }
    let t = 1;
    let accepted = false;
    const z = new Float64Array(K);
    z[P] = y[P];
    for (let trial = 0; trial < 40; trial++) {
      for (let j = 0; j < nv; j++) z[j] = y[j] + t * (yt[j] - y[j]);
      const evz = await evaluate(Wof(z), z[P]);
      if (evz.g >= ev.g + 1e-4 * t * pred - gSlack * (1 + Math.abs(ev.g))) {
        y.set(z);
        ev = evz;
        accepted = true;
        break;
      }
      // safeguarded quadratic interpolation of g along the step
      const drop = t * pred - (evz.g - ev.g);
      const tq = drop > 0 ? (t * t * pred) / (2 * drop) : 0.5 * t;
      t = Math.min(0.5 * t, Math.max(0.1 * t, tq));
    }
    if (!accepted) {
      stalled = true;
      break;
    }
    kappa = t === 1 ? Math.max(kappa / 10, kappaMin) : Math.min(kappa * 10, 1);
    const kPrev = kkt;
    kkt = kktOf(Wof(y), ev);
    slow = kkt > 0.9 * kPrev ? slow + 1 : 0;
    if (slow >= 3 && stride > 1) {
      stride = 1; // the sampled Hessian does not predict well enough here: use every row from now on
      slow = 0;
    }
    if (kkt <= tol) converged = true;
    else if (slow >= 8)
      stalled = true; // no progress at the engine's precision: let the caller finish
    else {
      if (UB === undefined && a.getUB && iter >= 8) UB = await a.getUB();
      if (UB !== undefined && ev.g > UB + 1e-12 * (1 + Math.abs(UB))) infeasible = true;
    }
    if (a.onProgress && (iter % a.progressEvery === 0 || converged)) {
      a.onProgress({ iter, violation: Math.max(Math.abs(ev.meanGap), ev.viol, 0), keepRate: ev.keepRate });
    }
    if (infeasible || stalled) break;
  }
  if (best) {
    if (!(kkt < best.kkt)) {
      y.set(best.y);
      ev = best.ev;
      kkt = best.kkt;
    }
    converged = true;
    stalled = false;
    infeasible = false;
  }
  const x = new Float64Array(2 * P + 1);
  for (let j = 0; j < P; j++) {
    x[j] = Math.max(y[j], 0);
    x[P + j] = Math.max(-y[j], 0);
  }
  x[2 * P] = muFree ? y[P] : 0;
  return { x, ev, kkt, iterations: iter, passes, hessianPasses, converged, infeasible, stalled, stride };
}
