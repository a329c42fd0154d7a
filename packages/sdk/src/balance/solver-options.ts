// The solvers' inputs: `resolveSolveOptions` / `resolveStreamOptions` / `resolveFeasibleEtaOptions` for direct
// callers of solveBatch / solveStreaming / maxFeasibleEta (their doors), and `solverOptionsFrom` /
// `feasibleEtaOptionsFrom` / `polishSolveOptions`, which derive them from already resolved options without
// checking again (only a derived η is new).
import { choiceOption, numberOption, OptionError, optionalNumber, RULES } from '../options.js';
import { BALANCE_DEFAULTS, SOLVE_METHODS, TOLERANCE_MODES } from './defaults.js';
import { isResolved, R, seal } from './rules.js';
import type { SolveMethodOption, ToleranceMode } from './defaults.js';
import type { ResolvedBalanceOptions } from './options.js';

/** The inputs of `solveBatch` after `resolveSolveOptions`. */
export interface ResolvedSolveOptions {
  readonly eta: number;
  readonly pi?: Float64Array;
  readonly epsRep: number;
  readonly epsAssoc: number;
  readonly tolerance: ToleranceMode;
  /** box 0 ≤ v ≤ V (Infinity = hard constraints) */
  readonly V: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly progressEvery: number;
  readonly method: SolveMethodOption;
  readonly hessianRows: number;
  readonly warmStart?: { readonly v: Float64Array; readonly mu: number };
  readonly onProgress?: (info: { iter: number; violation: number; keepRate: number }) => void;
}

/** The inputs of `solveStreaming` after `resolveStreamOptions` (epochs is filled from the row count). */
export interface ResolvedStreamOptions {
  readonly eta: number;
  readonly pi: Float64Array;
  readonly epsRep: number;
  readonly epsAssoc: number;
  readonly tolerance: ToleranceMode;
  readonly V: number;
  /** undefined: BALANCE_DEFAULTS.streamUpdates / n passes, within [1, streamMaxEpochs] */
  readonly epochs: number | undefined;
  readonly lr0: number;
  readonly seed: number;
  readonly reportTol: number;
  readonly polish: number;
  readonly polishTol: number;
  readonly onProgress?: (info: {
    epoch: number;
    epochs: number;
    iter: number;
    violation: number;
    keepRate: number;
  }) => void;
}

/**
 * `MaxFeasibleEtaOptions` after `resolveFeasibleEtaOptions`: every field checked and defaulted.
 */
export interface ResolvedFeasibleEtaOptions {
  readonly epsRep: number;
  readonly epsAssoc: number;
  readonly tolerance: ToleranceMode;
  readonly tol: number;
  readonly maxIter: number;
  readonly method: SolveMethodOption;
  readonly hessianRows: number;
}

interface SolverInput {
  eta?: unknown;
  pi?: ArrayLike<number>;
  epsRep?: unknown;
  epsAssoc?: unknown;
  tolerance?: unknown;
  softPenalty?: unknown;
  V?: unknown;
  tol?: unknown;
  maxIter?: unknown;
  progressEvery?: unknown;
  warmStart?: { v: Float64Array; mu: number };
  onProgress?: (info: never) => void;
  epochs?: unknown;
  lr0?: unknown;
  seed?: unknown;
  reportTol?: unknown;
  method?: unknown;
  hessianRows?: unknown;
  polish?: unknown;
  polishTol?: unknown;
}

function solverV(o: SolverInput): number {
  if (o.softPenalty !== undefined) return numberOption('softPenalty', o.softPenalty, R.V);
  return optionalNumber('V', o.V, R.V, BALANCE_DEFAULTS.softPenalty);
}

function checkObject(o: unknown, what: string): asserts o is SolverInput {
  if (o == null || typeof o !== 'object') throw new OptionError('opts', `opts: expected ${what}`);
}

/**
 * Checks `solveBatch`'s options (the engine-dependent checks — π equal to the engine's, warm-start length — stay there).
 * @param opts - `SolveOptions`, or an already resolved object.
 * @returns the checked, defaulted options.
 * @throws OptionError naming the bad option.
 */
export function resolveSolveOptions<T extends object>(opts: T): ResolvedSolveOptions {
  if (isResolved(opts)) return opts as unknown as ResolvedSolveOptions;
  checkObject(opts, 'SolveOptions with at least { eta }');
  const D = BALANCE_DEFAULTS;
  const ws = opts.warmStart;
  return seal({
    eta: numberOption('eta', opts.eta, R.eta),
    pi: opts.pi === undefined ? undefined : Float64Array.from(opts.pi),
    epsRep: optionalNumber('epsRep', opts.epsRep, R.eps, D.epsRep),
    epsAssoc: optionalNumber('epsAssoc', opts.epsAssoc, R.eps, D.epsAssoc),
    tolerance: choiceOption('tolerance', opts.tolerance, TOLERANCE_MODES, D.tolerance),
    V: solverV(opts),
    tol: optionalNumber('tol', opts.tol, R.tol, D.solverTol),
    maxIter: optionalNumber('maxIter', opts.maxIter, R.maxIter, D.maxIter),
    progressEvery: optionalNumber('progressEvery', opts.progressEvery, RULES.positiveInt, D.progressEvery),
    method: choiceOption('method', opts.method, SOLVE_METHODS, D.method),
    hessianRows: optionalNumber('hessianRows', opts.hessianRows, R.hessianRows, D.hessianRows),
    warmStart: ws ? { v: ws.v, mu: numberOption('warmStart.mu', ws.mu, RULES.finite) } : undefined,
    onProgress: opts.onProgress as ResolvedSolveOptions['onProgress'],
  });
}

/**
 * Checks `solveStreaming`'s options (π's length against the data stays there).
 * @param opts - `StreamOptions`, or an already resolved object.
 * @returns the checked, defaulted options.
 * @throws OptionError naming the bad option.
 */
export function resolveStreamOptions<T extends object>(opts: T): ResolvedStreamOptions {
  if (isResolved(opts)) return opts as unknown as ResolvedStreamOptions;
  checkObject(opts, 'StreamOptions with { eta, pi }');
  const D = BALANCE_DEFAULTS;
  return seal({
    eta: numberOption('eta', opts.eta, R.eta),
    pi: Float64Array.from(opts.pi ?? []),
    epsRep: optionalNumber('epsRep', opts.epsRep, R.eps, D.epsRep),
    epsAssoc: optionalNumber('epsAssoc', opts.epsAssoc, R.eps, D.epsAssoc),
    tolerance: choiceOption('tolerance', opts.tolerance, TOLERANCE_MODES, D.tolerance),
    V: solverV(opts),
    epochs: opts.epochs === undefined ? undefined : numberOption('epochs', opts.epochs, RULES.positiveInt),
    lr0: optionalNumber('lr0', opts.lr0, { what: 'a positive learning rate', ok: RULES.positive.ok }, D.streamLr0),
    seed: optionalNumber('seed', opts.seed, R.seed, D.seed),
    reportTol: optionalNumber(
      'reportTol',
      opts.reportTol,
      { what: 'a positive number', ok: (x) => x > 0 },
      D.streamReportTol,
    ),
    polish: optionalNumber('polish', opts.polish, R.polish, D.polish),
    polishTol: optionalNumber('polishTol', opts.polishTol, RULES.positive, D.polishTol),
    onProgress: opts.onProgress as ResolvedStreamOptions['onProgress'],
  });
}

/**
 * Passes of the streaming solver for n rows when `epochs` is not given.
 * @param o - resolved streaming options.
 * @param n - rows.
 * @returns the number of passes over the rows.
 */
export const streamEpochs = (o: ResolvedStreamOptions, n: number): number =>
  o.epochs ?? Math.min(BALANCE_DEFAULTS.streamMaxEpochs, Math.max(1, Math.ceil(BALANCE_DEFAULTS.streamUpdates / n)));

/**
 * Checks `maxFeasibleEta`'s options and fills the defaults.
 * @param opts - `MaxFeasibleEtaOptions`, or an already resolved object.
 * @returns the checked, defaulted options.
 * @throws OptionError naming the bad option.
 */
export function resolveFeasibleEtaOptions<T extends object>(opts: T): ResolvedFeasibleEtaOptions {
  if (isResolved(opts)) return opts as unknown as ResolvedFeasibleEtaOptions;
  checkObject(opts, 'MaxFeasibleEtaOptions');
  const D = BALANCE_DEFAULTS;
  return seal({
    epsRep: optionalNumber('epsRep', opts.epsRep, R.eps, D.epsRep),
    epsAssoc: optionalNumber('epsAssoc', opts.epsAssoc, R.eps, D.epsAssoc),
    tolerance: choiceOption('tolerance', opts.tolerance, TOLERANCE_MODES, D.tolerance),
    tol: optionalNumber('tol', opts.tol, R.tol, D.solverTol),
    maxIter: optionalNumber('maxIter', opts.maxIter, R.maxIter, D.maxIter),
    method: choiceOption('method', opts.method, SOLVE_METHODS, D.method),
    hessianRows: optionalNumber('hessianRows', opts.hessianRows, R.hessianRows, D.hessianRows),
  });
}

/**
 * Solver inputs derived from resolved pipeline options: only η (derived, e.g. by the η search) and the tolerance
 * (picked for the engine) are new, so only η is checked.
 * @param o - resolved balance options.
 * @param at - η solved for, the engine's tolerance, π and the progress callbacks.
 * @returns the batch and streaming solvers' resolved inputs.
 */
export function solverOptionsFrom(
  o: ResolvedBalanceOptions,
  at: {
    eta: number;
    tol: number;
    pi: ArrayLike<number>;
    onSolveProgress?: ResolvedSolveOptions['onProgress'];
    onStreamProgress?: ResolvedStreamOptions['onProgress'];
  },
): { solve: ResolvedSolveOptions; stream: ResolvedStreamOptions } {
  const eta = numberOption('eta', at.eta, R.eta);
  const D = BALANCE_DEFAULTS;
  const pi = Float64Array.from(at.pi);
  const { epsRep, epsAssoc, tolerance, softPenalty: V } = o;
  return {
    solve: seal({
      eta,
      pi,
      epsRep,
      epsAssoc,
      tolerance,
      V,
      tol: at.tol,
      maxIter: o.maxIter,
      progressEvery: D.progressEvery,
      method: o.method,
      hessianRows: o.hessianRows,
      onProgress: at.onSolveProgress,
    }),
    stream: seal({
      eta,
      pi,
      epsRep,
      epsAssoc,
      tolerance,
      V,
      epochs: undefined,
      lr0: D.streamLr0,
      seed: o.seed,
      reportTol: D.streamReportTol,
      polish: o.polish,
      polishTol: D.polishTol,
      onProgress: at.onStreamProgress,
    }),
  };
}

/**
 * The largest-feasible-η search's inputs for resolved pipeline options at the engine's tolerance.
 * @param o - resolved balance options.
 * @param tol - the engine's attainable tolerance.
 * @returns the search's resolved inputs.
 */
export function feasibleEtaOptionsFrom(o: ResolvedBalanceOptions, tol: number): ResolvedFeasibleEtaOptions {
  return seal({
    epsRep: o.epsRep,
    epsAssoc: o.epsAssoc,
    tolerance: o.tolerance,
    tol,
    maxIter: BALANCE_DEFAULTS.maxIter,
    method: o.method,
    hessianRows: o.hessianRows,
  });
}

/** The streaming solver's Newton polish: a solve from the streaming point, derived from resolved stream options. */
export function polishSolveOptions(
  o: ResolvedStreamOptions,
  at: { eta: number; v: Float64Array; mu: number },
): ResolvedSolveOptions {
  const D = BALANCE_DEFAULTS;
  return seal({
    eta: at.eta,
    pi: undefined,
    epsRep: o.epsRep,
    epsAssoc: o.epsAssoc,
    tolerance: o.tolerance,
    V: o.V,
    tol: o.polishTol,
    maxIter: o.polish,
    progressEvery: D.progressEvery,
    method: 'auto',
    hessianRows: D.hessianRows,
    warmStart: { v: at.v, mu: at.mu },
  });
}
