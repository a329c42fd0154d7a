// The balance options layer: every default in one place (BALANCE_DEFAULTS, defaults.ts) and one resolver per door.
//   resolveBalanceOptions — what users set (CLI flags, demo fields, SDK calls): the pipeline's input
//   resolveSolveOptions / resolveStreamOptions / resolveFeasibleEtaOptions — the solvers' doors (solver-options.ts)
// Each returns a frozen object that the consumer trusts; the checks live here and nowhere else.
import type { Kernels } from '@m4kit/kernels';
import { choiceOption, label, numberOption, OptionError, optionalNumber, type OptionLabels } from '../options.js';
import {
  BALANCE_DEFAULTS,
  ON_INFEASIBLE,
  ON_NOT_CONVERGED,
  type AttributeCombineOption,
  type BalanceBackend,
  type BalancePath,
  type BalanceSolver,
  type MissingPolicyOption,
  type OnInfeasible,
  type OnNotConverged,
  type SolveMethodOption,
  type ToleranceMode,
} from './defaults.js';
import { BALANCE_OPTION_DECLS } from './declare.js';
import { checkPi, parsePi, type PiSpec } from './pi.js';
import { isResolved, R, seal } from './rules.js';
import type { MomentsEngine } from './types.js';

export * from './defaults.js';
export { parsePi, piForGroups, PI_SUM_TOL } from './pi.js';
export { isResolved } from './rules.js';
export {
  BALANCE_CLI_LABELS,
  BALANCE_OPTION_DECLS,
  declAttribute,
  declHelp,
  type BalanceOptionDecl,
} from './declare.js';

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
  /**
   * several attribute columns: 'auto' (default: crossed when every column is categorical, else indicators),
   * 'intersection', 'marginal' (π per column: each column's shares sum to 1) or 'indicators' (io/attributes.ts);
   * the file pipelines pass it to the encoder unless the column spec sets its own
   */
  combine?: AttributeCombineOption;
  /** batch solver method: 'auto' (default: Newton where the engine has a Hessian pass), 'newton', 'first-order' */
  method?: SolveMethodOption;
  /** streaming solver: exact Newton iterations after the streaming pass (default 0); optimal only if they converge */
  polish?: number;
  /**
   * rows the Newton Hessian pass samples: every ⌈n/hessianRows⌉-th row (default 16 384; Infinity = all). The
   * gradient is always exact; a sparser sample only slows the local rate.
   */
  hessianRows?: number;
  /** stopping tolerance (default: 1e-9 on float64 engines, 2e-6 on the float32 GPU engine) */
  tol?: number;
  /** solver iteration cap (default 20 000) */
  maxIter?: number;
  /** seed for the Bernoulli keep flags (and the streaming solver's shuffles): an integer in [0, 2^32) */
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
  /**
   * When the solver stops at `maxIter` (status 'max-iter': q does not meet the tolerances yet): 'throw' a
   * `NotConvergedError` carrying the report and the constraints still unmet (default; no output table is written),
   * or 'return' the result with `report.solver.status === 'max-iter'` (the CLI does, and exits 4).
   */
  onNotConverged?: OnNotConverged;
}

/** Progress of a balance run: the stage (largest-η search or solve), iteration, violation, keep rate. */
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
  | 'hessianRows'
  | 'path'
  | 'backend'
  | 'onInfeasible'
  | 'onNotConverged'
  | 'combine'
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
  hessianRows?: number | string;
  tolerance?: string;
  path?: string;
  backend?: string;
  /** missing attribute/label values (a table-encoding option; resolved here so front ends check it once) */
  missing?: string;
  onInfeasible?: string;
  onNotConverged?: string;
  /**
   * several attribute columns (a table-encoding option): 'auto' (default: crossed when every column is
   * categorical, else indicators), 'intersection', 'marginal' or 'indicators' (io/attributes.ts)
   */
  combine?: string;
};

/**
 * Balance options after `resolveBalanceOptions`: every field checked and defaulted, frozen and sealed so the layers
 * below trust it without checking again.
 */
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
  readonly hessianRows: number;
  /** undefined: the engine's attainable tolerance (BALANCE_DEFAULTS.tolFloat64 / tolFloat32) */
  readonly tol: number | undefined;
  readonly maxIter: number;
  readonly seed: number;
  readonly backend: BalanceBackend;
  readonly path: BalancePath;
  readonly missing: MissingPolicyOption;
  readonly onInfeasible: OnInfeasible;
  readonly onNotConverged: OnNotConverged;
  readonly combine: AttributeCombineOption;
  readonly kernels?: Kernels;
  readonly rowsEngine?: BalanceOptions['rowsEngine'];
  readonly onProgress?: BalanceOptions['onProgress'];
}

/**
 * Checks what users set and fills the defaults. `labels` maps option keys to the names the caller's users know
 * (e.g. `{ eta: '--eta' }` in the CLI), used in error messages.
 * @param input - options as users set them (numbers or strings), or an already resolved object (returned as is).
 * @param labels - the caller's names for the options in error messages.
 * @returns the frozen, resolved options.
 * @throws OptionError naming the option (by its label) and the allowed values.
 *
 * @example
 * ```js
 * import { OptionError, resolveBalanceOptions } from '@m4kit/sdk/options';
 * const o = resolveBalanceOptions({ eta: '0.8', epsRep: 0.02 }); // strings from a form are parsed strictly
 * console.log(o.eta, o.epsRep, o.epsAssoc, o.onInfeasible, o.onNotConverged); // 0.8 0.02 0.01 throw throw
 * try {
 *   resolveBalanceOptions({ eta: 2 }, { eta: 'keep rate' });
 * } catch (e) {
 *   if (!(e instanceof OptionError)) throw e;
 *   console.log(e.message); // names the option by the caller's label
 * }
 * ```
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
  if (typeof o.pi === 'string' && o.pi.trim() === '')
    // a blank π is a mistake (an unset variable), never "uniform": leaving π out is how to ask for uniform
    throw new OptionError(
      L('pi'),
      `${L('pi')} is empty (an unset variable?): give the shares, or leave ${L('pi')} out for uniform`,
    );
  if (typeof o.pi === 'string') pi = parsePi(o.pi, L('pi'));
  else if (o.pi !== undefined) {
    if (typeof o.pi !== 'object' || o.pi === null)
      throw new OptionError(L('pi'), `${L('pi')}: expected an array of shares or a map by group`);
    pi = o.pi;
  }
  // the plain options (a number rule or a list of choices): as declared in declare.ts
  const plain: Record<string, unknown> = {};
  for (const d of BALANCE_OPTION_DECLS) {
    if (d.check === 'special') continue;
    const raw = (o as Record<string, unknown>)[d.key];
    if ('choices' in d.check) plain[d.key] = choiceOption(L(d.key), raw, d.check.choices, d.default as string);
    else if (d.default === undefined)
      plain[d.key] = raw === undefined ? undefined : numberOption(L(d.key), raw, d.check.rule);
    else plain[d.key] = optionalNumber(L(d.key), raw, d.check.rule, d.default as number);
  }
  if (pi !== undefined) pi = checkPi(pi, L('pi'), plain.combine as string);
  if (o.softPenalty !== undefined && o.V !== undefined && Number(o.softPenalty) !== Number(o.V)) {
    throw new OptionError(
      L('softPenalty'),
      `${L('softPenalty')} and its deprecated alias V disagree (${o.softPenalty} vs ${o.V})`,
    );
  }
  const softKey = o.softPenalty !== undefined ? 'softPenalty' : 'V';
  return seal({
    ...(plain as Omit<ResolvedBalanceOptions, 'eta' | 'pi' | 'softPenalty' | 'onInfeasible' | 'onNotConverged'>),
    eta,
    pi,
    softPenalty: optionalNumber(L(softKey), o.softPenalty ?? o.V, R.V, D.softPenalty),
    onInfeasible: choiceOption(L('onInfeasible'), o.onInfeasible, ON_INFEASIBLE, D.onInfeasible),
    onNotConverged: choiceOption(L('onNotConverged'), o.onNotConverged, ON_NOT_CONVERGED, D.onNotConverged),
    kernels: o.kernels,
    rowsEngine: o.rowsEngine,
    onProgress: o.onProgress,
  });
}

/**
 * Warnings about a column selection that is accepted but probably not meant: a column given both as an attribute
 * and as a label (balancing a column against itself: within each of its values the group share is 0 or 1, so the
 * association constraints can only be met by dropping those rows).
 * @param spec - the attribute and label columns.
 * @returns one warning per suspicious choice (empty when none).
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

/**
 * Per-moment tolerance e (length m(c+1)): ε_R for r = 0, ε_A for r = 1..c (spec §1.4).
 * @param m - groups.
 * @param c - labels.
 * @param epsRep - ε_R.
 * @param epsAssoc - ε_A.
 * @returns m(c+1) tolerances, group-major.
 */
export function epsVector(m: number, c: number, epsRep: number, epsAssoc: number): Float64Array {
  const e = new Float64Array(m * (c + 1));
  for (let k = 0; k < m; k++) for (let r = 0; r <= c; r++) e[k * (c + 1) + r] = r === 0 ? epsRep : epsAssoc;
  return e;
}
