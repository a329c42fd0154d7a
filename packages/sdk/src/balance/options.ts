// The balance options layer: every default in one place (BALANCE_DEFAULTS) and one resolver per entry point.
//   resolveBalanceOptions — what users set (CLI flags, demo fields, SDK calls): the pipeline's input
//   resolveSolveOptions / resolveStreamOptions / resolveFeasibleEtaOptions — the solvers' inputs
// Each returns a frozen object that the consumer trusts; the checks live here and nowhere else.
import type { Kernels } from '@m4kit/kernels';
import {
  choiceOption,
  label,
  numberOption,
  OptionError,
  optionalNumber,
  RULES,
  type NumberRule,
  type OptionLabels,
} from '../options.js';
import type { MomentsEngine } from './types.js';

export const BALANCE_SOLVERS = ['batch', 'stream'] as const;
export const BALANCE_PATHS = ['auto', 'patterns', 'rows'] as const;
export const BALANCE_BACKENDS = ['auto', 'webgpu', 'cpu'] as const;
export const MISSING_POLICIES = ['error', 'drop', 'category'] as const;
/** On an infeasible η: 'throw' an `InfeasibleError` (default) or 'return' the report (status 'infeasible'). */
export const ON_INFEASIBLE = ['throw', 'return'] as const;
export type OnInfeasible = (typeof ON_INFEASIBLE)[number];
/**
 * What ε_R / ε_A bound. 'balanced': the balanced (kept) data's moments (1/Σq) Σ q (s − π)[1, y] — the paper's
 * Definitions 1–2 applied to the kept set, what a user asking for ε_R = 0.01 means (shares within 0.01 of π).
 * 'joint': the joint moments (1/N) Σ q (s − π)[1, y] (= η × the balanced ones; the spec's test vectors).
 */
export const TOLERANCE_MODES = ['balanced', 'joint'] as const;
/** The batch solver's method: 'auto' = Newton where the engine has a Hessian pass and K is small, else first-order */
export const SOLVE_METHODS = ['auto', 'newton', 'first-order'] as const;
export type SolveMethodOption = (typeof SOLVE_METHODS)[number];
export type ToleranceMode = (typeof TOLERANCE_MODES)[number];
export type BalanceSolver = (typeof BALANCE_SOLVERS)[number];
export type BalancePath = (typeof BALANCE_PATHS)[number];
export type BalanceBackend = (typeof BALANCE_BACKENDS)[number];
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

const R = {
  eta: RULES.fraction,
  eps: { what: 'a finite tolerance ≥ 0', ok: (x: number) => Number.isFinite(x) && x >= 0 },
  V: { what: 'a positive enforcement level (or Infinity)', ok: (x: number) => x > 0 },
  tol: RULES.positive,
  maxIter: RULES.positiveInt,
  seed: RULES.finite,
  polish: { what: 'an integer ≥ 0 (iterations)', ok: (x: number) => Number.isInteger(x) && x >= 0 },
  hessianRows: { what: 'a row count ≥ 1 (or Infinity)', ok: (x: number) => x >= 1 },
} satisfies Record<string, NumberRule>;

/** Target shares: one per group in group order, or by group name. */
export type PiSpec = readonly number[] | Readonly<Record<string, number>>;

/** What users set. Every field is optional; `resolveBalanceOptions` fills the defaults. */
export interface BalanceOptions {
  /** target keep rate η ∈ (0, 1], or 'auto' = the largest feasible rate, capped at 0.9 (default 0.9) */
  eta?: number | 'auto';
  /** target share per group: one number per attribute, or a map by attribute name (default uniform); sums to 1 */
  pi?: PiSpec;
  /** first-order (representation) tolerance ε_R (default 0.01) */
  epsRep?: number;
  /** second-order (association) tolerance ε_A (default 0.01) */
  epsAssoc?: number;
  /** what ε_R / ε_A bound: 'balanced' (default: the kept data's shares and associations) or 'joint' */
  tolerance?: ToleranceMode;
  /**
   * Soft constraints: the price paid per unit of constraint violation (the spec's "enforcement level" V; the
   * dual variables are capped at it). Default Infinity = hard constraints.
   */
  softPenalty?: number;
  /** @deprecated use `softPenalty` */
  V?: number;
  /** 'batch' (accelerated projected dual ascent, default) or 'stream' (one update per example) */
  solver?: BalanceSolver;
  /** batch solver method: 'auto' (default: Newton where the engine has a Hessian pass), 'newton', 'first-order' */
  method?: SolveMethodOption;
  /** streaming solver: exact Newton iterations after the streaming pass (default 0); optimal only if they converge */
  polish?: number;
  /** stopping tolerance (default: 1e-9 on float64 engines, 2e-6 on the float32 GPU engine) */
  tol?: number;
  /** solver iteration cap (default 20 000) */
  maxIter?: number;
  /** seed for the Bernoulli keep flags (and the streaming solver's shuffles) */
  seed?: number;
  /** where the per-row engine runs when the rows path is used (default 'auto') */
  backend?: BalanceBackend;
  /** a kernels instance to reuse (not destroyed); otherwise one is created and destroyed */
  kernels?: Kernels;
  /** 'auto' (patterns unless there is a utility or fractional data), 'patterns' or 'rows' */
  path?: BalancePath;
  /** engine for the rows path built by the caller (e.g. a file engine that streams from disk) */
  rowsEngine?: (pi: number[], kernels: Kernels | undefined) => MomentsEngine;
  onProgress?: (p: BalanceProgress) => void;
  /**
   * On an infeasible η (hard constraints no q can meet): 'throw' an `InfeasibleError` carrying the largest feasible
   * η and the unmet constraints (default), or 'return' the result with `report.solver.status === 'infeasible'`.
   */
  onInfeasible?: OnInfeasible;
}

export interface BalanceProgress {
  stage: 'solve' | 'eta-search';
  iter: number;
  maxIter: number;
  violation: number;
  keepRate: number;
}

/** `BalanceOptions` as typed by a person: numbers may be strings ("0.8", "auto"), π a string ("0.3,0.7"). */
export type BalanceOptionsInput = Omit<
  BalanceOptions,
  | 'eta'
  | 'pi'
  | 'epsRep'
  | 'epsAssoc'
  | 'tolerance'
  | 'softPenalty'
  | 'V'
  | 'tol'
  | 'maxIter'
  | 'seed'
  | 'solver'
  | 'method'
  | 'polish'
  | 'path'
  | 'backend'
  | 'onInfeasible'
> & {
  eta?: number | string;
  pi?: PiSpec | string;
  epsRep?: number | string;
  epsAssoc?: number | string;
  softPenalty?: number | string;
  V?: number | string;
  tol?: number | string;
  maxIter?: number | string;
  seed?: number | string;
  solver?: string;
  method?: string;
  polish?: number | string;
  tolerance?: string;
  path?: string;
  backend?: string;
  /** missing attribute/label values (a table-encoding option; resolved here so front ends check it once) */
  missing?: string;
  onInfeasible?: string;
};

export interface ResolvedBalanceOptions {
  readonly eta: number | 'auto';
  /** checked: entries in (0, 1) summing to 1; matched to the groups by `piForGroups` (undefined = uniform) */
  readonly pi: PiSpec | undefined;
  readonly epsRep: number;
  readonly epsAssoc: number;
  readonly tolerance: ToleranceMode;
  /** Infinity = hard constraints */
  readonly softPenalty: number;
  readonly solver: BalanceSolver;
  readonly method: SolveMethodOption;
  readonly polish: number;
  /** undefined: the engine's attainable tolerance (BALANCE_DEFAULTS.tolFloat64 / tolFloat32) */
  readonly tol: number | undefined;
  readonly maxIter: number;
  readonly seed: number;
  readonly backend: BalanceBackend;
  readonly path: BalancePath;
  readonly missing: MissingPolicyOption;
  readonly onInfeasible: OnInfeasible;
  readonly kernels?: Kernels;
  readonly rowsEngine?: BalanceOptions['rowsEngine'];
  readonly onProgress?: BalanceOptions['onProgress'];
}

const resolved = new WeakSet<object>();
const seal = <T extends object>(o: T): T => {
  Object.freeze(o);
  resolved.add(o);
  return o;
};
/** True for objects made by one of this module's resolvers (they are trusted as they are). */
export const isResolved = (o: unknown): boolean => typeof o === 'object' && o !== null && resolved.has(o);

/** Sum of target shares accepted as 1. */
export const PI_SUM_TOL = 1e-9;

/**
 * Parses target shares as typed: "0.3,0.7" (group order) or "F=0.3,M=0.7" (by group name). Throws `OptionError`
 * naming the option and the bad part.
 */
export function parsePi(text: string, name = 'pi'): PiSpec | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const parts = s.split(',').map((x) => x.trim());
  const bad = (p: string) => new OptionError(name, `${name}: "${p}" is not a number or name=number`);
  const value = (v: string, p: string) => {
    const x = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(x)) throw bad(p);
    return x;
  };
  if (parts.every((p) => p.includes('='))) {
    return Object.fromEntries(
      parts.map((p) => {
        const at = p.indexOf('=');
        const k = p.slice(0, at).trim();
        if (k === '') throw bad(p);
        return [k, value(p.slice(at + 1), p)];
      }),
    );
  }
  return parts.map((p) => value(p, p));
}

function checkPi(pi: PiSpec, name: string): PiSpec {
  const entries = Array.isArray(pi)
    ? pi.map((x, i) => [`${name}[${i}]`, x] as const)
    : Object.entries(pi).map(([k, x]) => [`${name}.${k}`, x] as const);
  if (entries.length === 0) throw new OptionError(name, `${name}: no target shares given`);
  let sum = 0;
  for (const [where, x] of entries) {
    if (typeof x !== 'number' || !(x > 0 && x < 1))
      throw new OptionError(name, `${where} = ${x}: expected a target share in (0, 1)`);
    sum += x;
  }
  if (Math.abs(sum - 1) > PI_SUM_TOL) {
    throw new OptionError(
      name,
      `${name}: the target shares sum to ${+sum.toPrecision(12)}, not 1 (one share per group, e.g. 0.5,0.5)`,
    );
  }
  return Array.isArray(pi) ? (Object.freeze([...pi]) as number[]) : Object.freeze({ ...pi });
}

/** π in group order for the groups `names` (uniform when not given). */
export function piForGroups(pi: PiSpec | undefined, names: string[], name = 'pi'): number[] {
  const m = names.length;
  if (pi === undefined) return names.map(() => 1 / m);
  if (Array.isArray(pi)) {
    if (pi.length !== m)
      throw new OptionError(
        name,
        `${name}: ${pi.length} target shares given, but there are ${m} groups (${names.join(', ')})`,
      );
    return [...pi];
  }
  const map = pi as Readonly<Record<string, number>>;
  const out = names.map((n) => {
    const v = map[n];
    if (v === undefined)
      throw new OptionError(name, `${name}: no target share for group "${n}" (groups: ${names.join(', ')})`);
    return v;
  });
  for (const k of Object.keys(map))
    if (!names.includes(k)) throw new OptionError(name, `${name}: unknown group "${k}" (groups: ${names.join(', ')})`);
  return out;
}

/**
 * Checks what users set and fills the defaults. `labels` maps option keys to the names the caller's users know
 * (e.g. `{ eta: '--eta' }` in the CLI), used in error messages.
 */
export function resolveBalanceOptions(
  input: BalanceOptionsInput | ResolvedBalanceOptions = {},
  labels?: OptionLabels,
): ResolvedBalanceOptions {
  if (isResolved(input)) return input as ResolvedBalanceOptions;
  if (input === null || typeof input !== 'object') throw new OptionError('options', 'options: expected an object');
  const o = input as BalanceOptionsInput;
  const L = (k: string) => label(labels, k);
  const D = BALANCE_DEFAULTS;
  let eta: number | 'auto' = D.eta;
  if (o.eta === 'auto') eta = 'auto';
  else if (o.eta !== undefined) eta = numberOption(L('eta'), o.eta, R.eta);
  let pi: PiSpec | undefined;
  if (typeof o.pi === 'string') pi = parsePi(o.pi, L('pi'));
  else if (o.pi !== undefined) {
    if (typeof o.pi !== 'object' || o.pi === null)
      throw new OptionError(L('pi'), `${L('pi')}: expected an array of shares or a map by group`);
    pi = o.pi;
  }
  if (pi !== undefined) pi = checkPi(pi, L('pi'));
  if (o.softPenalty !== undefined && o.V !== undefined && Number(o.softPenalty) !== Number(o.V)) {
    throw new OptionError(
      L('softPenalty'),
      `${L('softPenalty')} and its deprecated alias V disagree (${o.softPenalty} vs ${o.V})`,
    );
  }
  const softKey = o.softPenalty !== undefined ? 'softPenalty' : 'V';
  return seal({
    eta,
    pi,
    epsRep: optionalNumber(L('epsRep'), o.epsRep, R.eps, D.epsRep),
    epsAssoc: optionalNumber(L('epsAssoc'), o.epsAssoc, R.eps, D.epsAssoc),
    tolerance: choiceOption(L('tolerance'), o.tolerance, TOLERANCE_MODES, D.tolerance),
    softPenalty: optionalNumber(L(softKey), o.softPenalty ?? o.V, R.V, D.softPenalty),
    solver: choiceOption(L('solver'), o.solver, BALANCE_SOLVERS, D.solver),
    method: choiceOption(L('method'), o.method, SOLVE_METHODS, D.method),
    polish: optionalNumber(L('polish'), o.polish, R.polish, D.polish),
    tol: o.tol === undefined ? undefined : numberOption(L('tol'), o.tol, R.tol),
    maxIter: optionalNumber(L('maxIter'), o.maxIter, R.maxIter, D.maxIter),
    seed: optionalNumber(L('seed'), o.seed, R.seed, D.seed),
    backend: choiceOption(L('backend'), o.backend, BALANCE_BACKENDS, D.backend),
    path: choiceOption(L('path'), o.path, BALANCE_PATHS, D.path),
    missing: choiceOption(L('missing'), o.missing, MISSING_POLICIES, D.missing),
    onInfeasible: choiceOption(L('onInfeasible'), o.onInfeasible, ON_INFEASIBLE, D.onInfeasible),
    kernels: o.kernels,
    rowsEngine: o.rowsEngine,
    onProgress: o.onProgress,
  });
}

// ---- solver inputs ----------------------------------------------------------------------------------------------

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

/** Checks `solveBatch`'s options (the engine-dependent checks — π equal to the engine's, warm-start length — stay there). */
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

/** Checks `solveStreaming`'s options (π's length against the data stays there). */
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

/** Passes of the streaming solver for n rows when `epochs` is not given. */
export const streamEpochs = (o: ResolvedStreamOptions, n: number): number =>
  o.epochs ?? Math.min(BALANCE_DEFAULTS.streamMaxEpochs, Math.max(1, Math.ceil(BALANCE_DEFAULTS.streamUpdates / n)));

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
      hessianRows: D.hessianRows,
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

/** The largest-feasible-η search's inputs for resolved pipeline options at the engine's tolerance. */
export function feasibleEtaOptionsFrom(o: ResolvedBalanceOptions, tol: number): ResolvedFeasibleEtaOptions {
  return seal({
    epsRep: o.epsRep,
    epsAssoc: o.epsAssoc,
    tolerance: o.tolerance,
    tol,
    maxIter: BALANCE_DEFAULTS.maxIter,
    method: o.method,
    hessianRows: BALANCE_DEFAULTS.hessianRows,
  });
}

/**
 * Warnings about a column selection that is accepted but probably not meant: a column given both as an attribute
 * and as a label (balancing a column against itself: within each of its values the group share is 0 or 1, so the
 * association constraints can only be met by dropping those rows).
 */
export function columnSpecWarnings(spec: { attributes: readonly string[]; labels: readonly string[] }): string[] {
  const out: string[] = [];
  for (const col of spec.attributes) {
    if (spec.labels.includes(col)) {
      out.push(
        `column "${col}" is both an attribute and a label: within each of its values the group share is 0 or 1, ` +
          'so the association constraints can only be met by dropping rows (did you mean another label column?)',
      );
    }
  }
  return out;
}

/** Per-moment tolerance e (length m(c+1)): ε_R for r = 0, ε_A for r = 1..c (spec §1.4). */
export function epsVector(m: number, c: number, epsRep: number, epsAssoc: number): Float64Array {
  const e = new Float64Array(m * (c + 1));
  for (let k = 0; k < m; k++) for (let r = 0; r <= c; r++) e[k * (c + 1) + r] = r === 0 ? epsRep : epsAssoc;
  return e;
}
