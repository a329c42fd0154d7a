// The one balance driver: η search → solve → the passes the report needs (before / after), on any MomentsEngine.
// The in-process pipeline (balance.ts) and the DuckDB pipelines (balance-duckdb*.ts) differ in their engine and
// in how q reaches the rows, not here. Options arrive resolved (balance/options.ts); nothing is checked again.
import { ArgumentError } from '@m4kit/kernels';
import { BALANCE_DEFAULTS, type ResolvedBalanceOptions } from '../balance/options.js';
import { feasibleEtaOptionsFrom, solverOptionsFrom } from '../balance/solver-options.js';
import { infeasibleDetail, violatedConstraints, type ViolatedConstraint } from '../balance/infeasible.js';
import { maxFeasibleEtaResolved, solveResolved } from '../balance/solve-core.js';
import type { SolveResult } from '../balance/solve-types.js';
import { streamResolved } from '../balance/stream.js';
import type { BalanceData, MomentsEngine, MomentsSums } from '../balance/types.js';
import type { EncodedTable } from '../io/encode.js';
import type { BalanceReport } from './report-types.js';

export interface DriveResult {
  /** the keep rate solved for (η, or 0.999 × the largest feasible η capped, for 'auto') */
  eta: number;
  res: SolveResult;
  /** the streaming solver's q (the batch solver's q is `engine.q(res.W, res.mu, eta)`) */
  q?: Float64Array;
  /** raw moments (q ≡ 1) and moments at the solution (= before when infeasible) */
  before: MomentsSums;
  after: MomentsSums;
  /** the report's `solver` block */
  solver: BalanceReport['solver'];
}

/**
 * Runs the largest-feasible-η search (eta 'auto'), the batch solve on `engine` (or the streaming solve on
 * `stream`, the rows themselves, when opts.solver is 'stream') and the before / after passes.
 */
export async function driveBalance(
  engine: MomentsEngine,
  opts: ResolvedBalanceOptions,
  at: {
    pi: number[];
    tol: number;
    /** group and label names (the unmet constraints of an infeasible solve are named by them) */
    names: { attributes: readonly string[]; labels: readonly string[] };
    stream?: BalanceData;
  },
): Promise<DriveResult> {
  const { m, c } = engine;
  const etaReq = opts.eta;
  let eta = etaReq === 'auto' ? BALANCE_DEFAULTS.etaAutoCap : etaReq;
  let found: number | undefined;
  let searchPasses = 0;
  let searchHessian = 0;
  if (etaReq === 'auto') {
    opts.onProgress?.({ stage: 'eta-search', iter: 0, maxIter: 1, violation: NaN, keepRate: NaN });
    // the search runs at the engine's attainable tolerance: a float32 GPU engine never certifies 1e-10 and would
    // spend maxIter passes on each of the continuation stages
    const r = await maxFeasibleEtaResolved(engine, feasibleEtaOptionsFrom(opts, at.tol));
    found = r.eta;
    if (!(r.eta > 0))
      throw new ArgumentError(
        'eta auto: no keep rate η > 0 meets the tolerances on this data (the largest feasible η is 0): is an ' +
          'attribute also a label, or are the tolerances too tight? ' +
          'Loosen eps-rep / eps-assoc or use soft constraints',
      );
    searchPasses = r.passes;
    searchHessian = r.hessianPasses ?? 0;
    eta = Math.min(BALANCE_DEFAULTS.etaAutoCap, r.eta * 0.999);
  }
  const maxIter = opts.maxIter;
  const solver = solverOptionsFrom(opts, {
    eta,
    tol: at.tol,
    pi: at.pi,
    onSolveProgress: (p) =>
      opts.onProgress?.({ stage: 'solve', iter: p.iter, maxIter, violation: p.violation, keepRate: p.keepRate }),
    onStreamProgress: (p) =>
      opts.onProgress?.({
        stage: 'solve',
        iter: p.epoch,
        maxIter: p.epochs,
        violation: p.violation,
        keepRate: p.keepRate,
      }),
  });
  let res: SolveResult;
  let q: Float64Array | undefined;
  let violations: BalanceReport['solver']['violations'];
  if (opts.solver === 'stream') {
    if (!at.stream) throw new ArgumentError('the streaming solver needs the rows in memory (use solver "batch")');
    const sr = await streamResolved(at.stream, solver.stream);
    q = sr.q;
    const sv = sr.violations;
    violations = { keepRate: sv.keepRate, upper: Array.from(sv.upper), lower: Array.from(sv.lower) };
    res = {
      ...sr,
      q: undefined,
      passes: sr.epochs + (sr.polish?.solver.passes ?? 0),
      kktResidual: sr.polish?.kktResidual ?? NaN,
      solver: {
        method: sr.polish ? 'stream+newton' : 'stream',
        passes: sr.epochs + (sr.polish?.solver.passes ?? 0),
        hessianPasses: sr.polish?.solver.hessianPasses ?? 0,
        hessianStride: sr.polish?.solver.hessianStride ?? 1,
        dualityGap: sr.dualityGap,
      },
    } as unknown as SolveResult;
  } else {
    res = await solveResolved(engine, solver.solve);
  }
  const before = await engine.pass(new Float64Array(m * (c + 1)), 0, eta, 1);
  const after = res.status === 'infeasible' ? before : await engine.pass(res.W, res.mu, eta);
  // infeasible: the unmet constraints at the solver's last point, and the largest feasible η if not searched yet;
  // stopped at maxIter: the constraints unmet at the last iterate (NotConvergedError names them)
  const detail =
    res.status === 'max-iter'
      ? { violated: violatedConstraints(after, at.names, opts) }
      : await infeasibleDetail(engine, res, eta, at.names, opts, at.tol);
  found ??= detail.maxFeasibleEta;
  return {
    eta,
    res,
    q,
    before,
    after,
    solver: solverReport(res, { found, searchPasses, searchHessian, violations, violated: detail.violated }),
  };
}

/** The report's `options` block (one function for every pipeline, so the fields cannot drift between them). */
export function optionsReport(
  opts: ResolvedBalanceOptions,
  at: { eta: number; pi: number[]; path: 'patterns' | 'rows'; backend: string; solver?: string },
): BalanceReport['options'] {
  const V = opts.softPenalty;
  return {
    eta: at.eta,
    etaRequested: opts.eta,
    pi: at.pi,
    epsRep: opts.epsRep,
    epsAssoc: opts.epsAssoc,
    tolerance: opts.tolerance,
    softPenalty: Number.isFinite(V) ? V : null,
    V: Number.isFinite(V) ? V : null,
    solver: at.solver ?? opts.solver,
    path: at.path,
    backend: at.backend,
    seed: opts.seed,
  };
}

/**
 * The report's `solver` block from a solve result and the largest-feasible-η search before it (one function for
 * every pipeline, so the fields cannot drift between them).
 * @param res - the solve result.
 * @param search - the η search's work and the streaming / infeasibility details.
 * @returns the report's `solver` block.
 */
export function solverReport(
  res: SolveResult,
  search: {
    found?: number;
    searchPasses: number;
    searchHessian: number;
    violations?: BalanceReport['solver']['violations'];
    violated?: ViolatedConstraint[];
  },
): BalanceReport['solver'] {
  return {
    status: res.status,
    converged: res.converged,
    iterations: res.iterations,
    keepRate: res.keepRate,
    maxViolation: res.maxViolation,
    maxFeasibleEta: res.maxFeasibleEta ?? search.found,
    passes: search.searchPasses + (res.passes ?? 0),
    method: res.solver.method,
    hessianPasses: search.searchHessian + res.solver.hessianPasses,
    hessianStride: res.solver.hessianStride,
    dualityGap: res.solver.dualityGap,
    ...(search.violations ? { violations: search.violations } : {}),
    ...(search.violated ? { violated: search.violated } : {}),
    ...(res.solver.note ? { note: res.solver.note } : {}),
    timeMs: res.timeMs,
  };
}

/** the report's `input.combined` for several attribute columns crossed or side by side (absent otherwise) */
export function combinedReport(enc: EncodedTable): Pick<BalanceReport['input'], 'combined'> {
  const c = enc.columns?.combined;
  return c ? { combined: { mode: c.mode, columns: c.columns } } : {};
}
