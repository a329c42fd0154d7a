// An infeasible balance is an error, never a quiet "result": `InfeasibleError` carries the largest feasible η and
// the constraints the solver could not meet, so a caller that never reads `report.solver.status` cannot take the
// unchanged data for balanced data. Callers who want the report instead pass `onInfeasible: 'return'`.
// Likewise a solve that stopped at maxIter throws `NotConvergedError` (opt-in `onNotConverged: 'return'`).
import { M4kitError } from '@m4kit/kernels';
import type { BalanceReport, ViolatedConstraint } from '../pipeline/report-types.js';
import { type OnInfeasible, type OnNotConverged, type ResolvedBalanceOptions, type ToleranceMode } from './options.js';
import { feasibleEtaOptionsFrom } from './solver-options.js';
import { maxFeasibleEtaResolved } from './solve-core.js';
import type { SolveResult } from './solve-types.js';
import type { MomentsEngine, MomentsSums } from './types.js';

export type { ViolatedConstraint };

/**
 * The constraints whose |moment| exceeds its tolerance in `sums`, worst first (at most `limit`, default 20).
 * @param sums - one engine pass at the point to check.
 * @param names - the m group names and c label names.
 * @param eps - ε_R, ε_A and what they bound.
 * @param limit - at most this many (default 20).
 * @returns the unmet constraints, largest excess first.
 */
export function violatedConstraints(
  sums: MomentsSums,
  names: { attributes: readonly string[]; labels: readonly string[] },
  eps: { epsRep: number; epsAssoc: number; tolerance: ToleranceMode },
  limit = 20,
): ViolatedConstraint[] {
  const c = names.labels.length;
  const denom = eps.tolerance === 'joint' ? sums.sumW : sums.sumQ;
  const out: ViolatedConstraint[] = [];
  names.attributes.forEach((attribute, k) => {
    for (let r = 0; r <= c; r++) {
      const bound = r === 0 ? eps.epsRep : eps.epsAssoc;
      const value = denom > 0 ? sums.D[k * (c + 1) + r] / denom : NaN;
      if (!(Math.abs(value) <= bound * (1 + 1e-9) + 1e-12))
        out.push(
          r === 0
            ? { kind: 'representation', attribute, value, bound }
            : { kind: 'association', attribute, label: names.labels[r - 1], value, bound },
        );
    }
  });
  const excess = (v: ViolatedConstraint) => (Number.isFinite(v.value) ? Math.abs(v.value) - v.bound : Infinity);
  return out.sort((a, b) => excess(b) - excess(a)).slice(0, limit);
}

const describe = (v: ViolatedConstraint) =>
  v.kind === 'representation'
    ? `share of ${v.attribute} off π by ${v.value.toFixed(4)} (ε_R ${v.bound})`
    : `${v.attribute} × ${v.label} association ${v.value.toFixed(4)} (ε_A ${v.bound})`;

/**
 * No q ∈ [0, 1]ⁿ meets the hard constraints at the requested keep rate η. Thrown by `balanceEncoded`,
 * `balanceFile` and `balanceFileDuckdb` (after the report file, if asked for, is written; no output table is).
 * Code `E_INFEASIBLE` (the CLI's exit code 3).
 */
export class InfeasibleError extends M4kitError {
  /** the keep rate η that was asked for */
  readonly eta: number;
  /** the largest η at which the constraints can be met (0: none; NaN when it could not be computed) */
  readonly maxFeasibleEta: number;
  /** the constraints the solver's last point violates, worst first */
  readonly violated: ViolatedConstraint[];
  /** the full report (status 'infeasible'), as `onInfeasible: 'return'` would have returned it */
  readonly report: BalanceReport;

  /** @param report - a balance report whose `solver.status` is 'infeasible' */
  constructor(report: BalanceReport) {
    const eta = report.options.eta;
    const maxEta = report.solver.maxFeasibleEta ?? NaN;
    const violated = report.solver.violated ?? [];
    const worst = violated.slice(0, 3).map(describe).join('; ');
    super(
      'E_INFEASIBLE',
      `infeasible: no keep probabilities meet the constraints at keep rate η = ${eta}` +
        (Number.isFinite(maxEta) ? `; the largest feasible η is ${maxEta.toFixed(4)}` : '') +
        (worst ? `; unmet: ${worst}${violated.length > 3 ? ` (+${violated.length - 3} more)` : ''}` : '') +
        ". Lower eta (or eta 'auto'), loosen epsRep / epsAssoc, or use soft constraints (softPenalty); " +
        "onInfeasible: 'return' returns the report instead",
    );
    this.eta = eta;
    this.maxFeasibleEta = maxEta;
    this.violated = violated;
    this.report = report;
  }
}

/**
 * The solver stopped at its iteration cap (`maxIter`) before meeting its stopping tolerance: the q it reached does
 * not balance the data to the tolerances asked for. Thrown by `balanceEncoded`, `balanceFile` and
 * `balanceFileDuckdb` when `report.solver.status` is 'max-iter' (after the report file, if asked for, is written;
 * no output table is). Code `E_NOT_CONVERGED` (the CLI's exit code 4). Pass `onNotConverged: 'return'` to get the
 * result instead.
 */
export class NotConvergedError extends M4kitError {
  /** iterations the solver ran (= maxIter) */
  readonly iterations: number;
  /** the largest constraint violation at the last iterate (the solver's stopping measure) */
  readonly maxViolation: number;
  /** the constraints whose moments at the last iterate exceed their tolerance, worst first (may be empty when only
   * the optimality conditions were unmet) */
  readonly violated: ViolatedConstraint[];
  /** the full report (status 'max-iter'), as `onNotConverged: 'return'` would have returned it */
  readonly report: BalanceReport;

  /** @param report - a balance report whose `solver.status` is 'max-iter' */
  constructor(report: BalanceReport) {
    const { iterations, maxViolation } = report.solver;
    const violated = report.solver.violated ?? [];
    const worst = violated.slice(0, 3).map(describe).join('; ');
    super(
      'E_NOT_CONVERGED',
      `not converged: the solver stopped at the iteration limit (${iterations} iterations) with the constraints ` +
        `violated by up to ${Number(maxViolation).toExponential(2)}` +
        (worst ? `; unmet: ${worst}${violated.length > 3 ? ` (+${violated.length - 3} more)` : ''}` : '') +
        '. Raise maxIter, loosen tol, or use the Newton method (method "newton"); ' +
        "onNotConverged: 'return' returns the unconverged result instead",
    );
    this.iterations = iterations;
    this.maxViolation = maxViolation;
    this.violated = violated;
    this.report = report;
  }
}

/**
 * Throws `InfeasibleError` for an infeasible report unless `onInfeasible` is 'return', and `NotConvergedError` for
 * a report that stopped at maxIter unless `onNotConverged` is 'return'.
 */
export function checkFeasible(
  report: BalanceReport,
  on: OnInfeasible | undefined | { onInfeasible?: OnInfeasible; onNotConverged?: OnNotConverged },
): void {
  const o = typeof on === 'object' ? on : { onInfeasible: on };
  if (report.solver.status === 'infeasible' && o.onInfeasible !== 'return') throw new InfeasibleError(report);
  if (report.solver.status === 'max-iter' && o.onNotConverged !== 'return') throw new NotConvergedError(report);
}

/**
 * Whether a balance with this solver status writes its output table: not when infeasible (q was never solved for),
 * not when it stopped at maxIter and is about to throw `NotConvergedError`.
 */
export function writesOutput(status: string, o: { onNotConverged?: OnNotConverged }): boolean {
  return status !== 'infeasible' && !(status === 'max-iter' && o.onNotConverged !== 'return');
}

/**
 * For an infeasible solve: the constraints unmet at the solver's last point (one more engine pass) and the largest
 * feasible η when the solver did not search it (the streaming solver). Empty for any other status.
 */
export async function infeasibleDetail(
  engine: MomentsEngine,
  res: Pick<SolveResult, 'status' | 'W' | 'mu' | 'maxFeasibleEta'>,
  eta: number,
  names: { attributes: readonly string[]; labels: readonly string[] },
  opts: ResolvedBalanceOptions,
  tol: number,
): Promise<{ violated?: ViolatedConstraint[]; maxFeasibleEta?: number }> {
  if (res.status !== 'infeasible') return {};
  const last = await engine.pass(res.W, res.mu, eta);
  const violated = violatedConstraints(last, names, opts);
  if (res.maxFeasibleEta !== undefined) return { violated };
  return { violated, maxFeasibleEta: (await maxFeasibleEtaResolved(engine, feasibleEtaOptionsFrom(opts, tol))).eta };
}
