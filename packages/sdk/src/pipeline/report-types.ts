// The balance pipelines' result types (shared by balance.ts, driver.ts and the DuckDB pipelines).
import type { BiasReport } from '../balance/metrics.js';
import type { SolveResult } from '../balance/solve-types.js';
import type { ToleranceMode } from '../balance/options.js';

/** One balance constraint that the solver's last point does not meet. */
export interface ViolatedConstraint {
  /** 'representation': the group's share vs π (ε_R); 'association': group × label (ε_A) */
  kind: 'representation' | 'association';
  /** the group (attribute column or indicator) */
  attribute: string;
  /** the label, for an association constraint */
  label?: string;
  /** the moment at the solver's last point: balanced (÷ Σ w q) or joint (÷ N) as the tolerance says */
  value: number;
  /** its tolerance ε_R or ε_A */
  bound: number;
}

/** The report of a balance run: input, resolved options, solver outcome, kept rows and bias before/after. */
export interface BalanceReport {
  input: {
    rows: number;
    dropped: number;
    patterns: number;
    attributes: string[];
    labels: string[];
    /** several attribute columns crossed ('intersection') or each on its own ('marginal'); absent otherwise */
    combined?: { mode: 'intersection' | 'marginal'; columns: string[] };
  };
  options: {
    eta: number;
    etaRequested: number | 'auto';
    pi: number[];
    epsRep: number;
    epsAssoc: number;
    /** what ε_R / ε_A bound: the balanced (kept) data's moments, or the joint moments */
    tolerance: ToleranceMode;
    /** soft-constraint penalty (null = hard constraints); `V` is its old name, kept for readers of old reports */
    softPenalty: number | null;
    V: number | null;
    solver: string;
    path: 'patterns' | 'rows';
    backend: string;
    seed: number;
  };
  solver: {
    status: SolveResult['status'];
    converged: boolean;
    iterations: number;
    keepRate: number;
    maxViolation: number;
    maxFeasibleEta?: number;
    /** moment passes over the data (η search included) */
    passes: number;
    /** 'newton' | 'first-order' | 'newton+first-order' (batch), 'stream' or 'stream+newton' (polished) */
    method: string;
    /** Newton Hessian passes (each over every hessianStride-th row) */
    hessianPasses: number;
    hessianStride?: number;
    /** P(q) − g(v, µ): with zero violations, a certificate that q is within this of the optimal objective */
    dualityGap: number;
    /** stream: the measured violation of every constraint (mean q − η; per moment, above and below) */
    violations?: { keepRate: number; upper: number[]; lower: number[] };
    /** status 'infeasible': the constraints the solver's last point does not meet, worst first */
    violated?: ViolatedConstraint[];
    note?: string;
    timeMs: number;
  };
  kept: number;
  bias: BiasReport;
  timeMs: number;
  /** accepted but probably not meant (e.g. a column both attribute and label); absent when there are none */
  warnings?: string[];
}

/** What `balanceEncoded` returns: q and the keep flag per input row, and the report. */
export interface BalanceResult {
  /** keep probability per input row (0 for dropped rows) */
  q: Float64Array;
  /** seeded Bernoulli(q) keep flag per input row */
  keep: Uint8Array;
  report: BalanceReport;
}
