// The batch solver's core on resolved options (the doors in solve.ts resolve and check; nothing here re-checks):
// method choice, Newton with first-order fallback (runCore), the preparation passes, the largest-feasible-η search
// (maxFeasibleEtaResolved) and the solve with its status and duality-gap certificate (solveResolved).
import { ArgumentError } from '@m4kit/kernels';
import { fistaCore, muShift, type CoreArgs, type CoreResult, type Eval } from './fista.js';
import { dualityGap, newtonCore } from './newton.js';
import { BALANCE_DEFAULTS, epsVector, type ToleranceMode } from './options.js';
import { type ResolvedFeasibleEtaOptions, type ResolvedSolveOptions } from './solver-options.js';
import type { MaxFeasibleEtaResult, SolveMethod, SolveResult, SolveStatus, SolverInfo } from './solve-types.js';
import type { MomentsEngine } from './types.js';

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

/** maxFeasibleEta on resolved options (the engine checked by the caller). */
export async function maxFeasibleEtaResolved(
  engine: MomentsEngine,
  o: ResolvedFeasibleEtaOptions,
): Promise<MaxFeasibleEtaResult> {
  const mc = chooseMethod(engine, o.method, o.hessianRows);
  const prep = await prepare(engine, 0.5, o.epsRep, o.epsAssoc, o.tolerance);
  const r = await maxFeasibleEtaCore(engine, prep, o.tol, o.maxIter, mc);
  r.passes += prep.passes;
  return r;
}

/** solveBatch on resolved options (π and the warm start checked against the engine by the caller). */
export async function solveResolved(engine: MomentsEngine, opts: ResolvedSolveOptions): Promise<SolveResult> {
  const t0 = performance.now();
  const { eta, epsRep: er, epsAssoc: ea, V, tol, maxIter, progressEvery, tolerance } = opts;
  const P = engine.m * (engine.c + 1);
  let x0: Float64Array | undefined;
  if (opts.warmStart) {
    x0 = new Float64Array(2 * P + 1);
    x0.set(opts.warmStart.v);
    x0[2 * P] = opts.warmStart.mu;
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
