// The balance defaults and the allowed choices: what every balance resolver reads
// (options.ts for users' options, solver-options.ts for the solvers' inputs).

/**
 * The allowed values of the `solver` option.
 */
export const BALANCE_SOLVERS = ['batch', 'stream'] as const;
/**
 * The allowed values of the `path` option.
 */
export const BALANCE_PATHS = ['auto', 'patterns', 'rows'] as const;
/**
 * The allowed values of the `backend` option.
 */
export const BALANCE_BACKENDS = ['auto', 'webgpu', 'cpu'] as const;
/**
 * The allowed values of the `missing` option.
 */
export const MISSING_POLICIES = ['error', 'drop', 'category'] as const;
/** On an infeasible η: 'throw' an `InfeasibleError` (default) or 'return' the report (status 'infeasible'). */
export const ON_INFEASIBLE = ['throw', 'return'] as const;
/**
 * What a balance does on an infeasible η: 'throw' (`InfeasibleError`, default) or 'return' the report.
 */
export type OnInfeasible = (typeof ON_INFEASIBLE)[number];
/**
 * When the solver stops at `maxIter` without meeting its stopping tolerance (status 'max-iter'): 'throw' a
 * `NotConvergedError` carrying the report and the constraints still unmet (default), or 'return' the result.
 */
export const ON_NOT_CONVERGED = ['throw', 'return'] as const;
/**
 * What a balance does when the solver stops at maxIter: 'throw' (`NotConvergedError`, default) or 'return' the
 * result.
 */
export type OnNotConverged = (typeof ON_NOT_CONVERGED)[number];
/** several attribute columns: crossed groups, each column on its own, or indicators (io/attributes.ts) */
export const ATTRIBUTE_COMBINE = ['auto', 'intersection', 'marginal', 'indicators'] as const;
/**
 * How several attribute columns combine: 'auto', 'intersection' (crossed groups), 'marginal' (each column on its
 * own) or 'indicators'.
 */
export type AttributeCombineOption = (typeof ATTRIBUTE_COMBINE)[number];
/**
 * What ε_R / ε_A bound. 'balanced': the balanced (kept) data's moments (1/Σq) Σ q (s − π)[1, y] — the paper's
 * Definitions 1–2 applied to the kept set, what a user asking for ε_R = 0.01 means (shares within 0.01 of π).
 * 'joint': the joint moments (1/N) Σ q (s − π)[1, y] (= η × the balanced ones; the spec's test vectors).
 */
export const TOLERANCE_MODES = ['balanced', 'joint'] as const;
/** The batch solver's method: 'auto' = Newton where the engine has a Hessian pass and K is small, else first-order */
export const SOLVE_METHODS = ['auto', 'newton', 'first-order'] as const;
/**
 * The batch solver's method: 'auto', 'newton' or 'first-order'.
 */
export type SolveMethodOption = (typeof SOLVE_METHODS)[number];
/**
 * What ε_R / ε_A bound: 'balanced' (the kept data's moments, default) or 'joint' ((1/N)Σ q(s − π)[1, y]).
 */
export type ToleranceMode = (typeof TOLERANCE_MODES)[number];
/**
 * 'batch' (the exact dual solver, default) or 'stream' (one update per row; approximate).
 */
export type BalanceSolver = (typeof BALANCE_SOLVERS)[number];
/**
 * 'patterns' (solve on the distinct (attributes, labels) patterns with their counts), 'rows' (one q per row: needed
 * for utilities or fractional data) or 'auto' (patterns when possible).
 */
export type BalancePath = (typeof BALANCE_PATHS)[number];
/**
 * Where the per-row engine runs: 'webgpu', 'cpu' (float64) or 'auto' (WebGPU when an adapter exists).
 */
export type BalanceBackend = (typeof BALANCE_BACKENDS)[number];
/**
 * Missing attribute / label values: 'error' (default, a DataError naming the row), 'drop' the row, or 'category'
 * (a group / label value of its own).
 */
export type MissingPolicyOption = (typeof MISSING_POLICIES)[number];

/** Every balance default, for the CLI, the demo, the pipeline and the solvers alike. */
export const BALANCE_DEFAULTS = Object.freeze({
  /** target keep rate η */
  eta: 0.9,
  /** 'auto' picks 0.999 × the largest feasible η, capped here */
  etaAutoCap: 0.9,
  /** ε_R, ε_A */
  epsRep: 0.01,
  epsAssoc: 0.01,
  tolerance: 'balanced' as ToleranceMode,
  /** soft-constraint penalty V (Infinity = hard constraints) */
  softPenalty: Infinity,
  solver: 'batch' as BalanceSolver,
  method: 'auto' as SolveMethodOption,
  /** rows the Newton Hessian pass samples (every ⌈n/hessianRows⌉-th row; Infinity = all) */
  hessianRows: 16_384,
  /** streaming solver: exact Newton iterations after the streaming pass (0 = none) and their KKT tolerance */
  polish: 0,
  polishTol: 1e-10,
  path: 'auto' as BalancePath,
  backend: 'auto' as BalanceBackend,
  missing: 'error' as MissingPolicyOption,
  onInfeasible: 'throw' as OnInfeasible,
  onNotConverged: 'throw' as OnNotConverged,
  combine: 'auto' as AttributeCombineOption,
  seed: 0,
  /** solver iteration cap (the largest-feasible-η search uses the same cap per continuation stage) */
  maxIter: 20_000,
  /** pipeline stopping tolerance: float64 engines certify 1e-9; float32 GPU sums cannot go below ~1e-6 of N */
  tolFloat64: 1e-9,
  tolFloat32: 2e-6,
  /** stopping tolerance of the solvers when called directly (float64 engines) */
  solverTol: 1e-10,
  progressEvery: 50,
  /** streaming solver: lr_t = lr0/√t; about `streamUpdates` updates (≥ 1, ≤ streamMaxEpochs passes) */
  streamLr0: 0.5,
  streamUpdates: 2e5,
  streamMaxEpochs: 20_000,
  /** streaming solver: violation up to which the result counts as 'optimal' */
  streamReportTol: 5e-3,
});

/** Target shares: one per group in group order, or by group name. */
export type PiSpec = readonly number[] | Readonly<Record<string, number>>;
