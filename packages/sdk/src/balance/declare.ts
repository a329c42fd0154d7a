// The user-facing balance options, declared once. `resolveBalanceOptions` checks the plain ones from here (number
// rules, choices, defaults), the CLI builds its `balance` flags, their help and the error labels from here, and
// the demo's balance form reads its fields (and renders the ones its page does not place) from here.
// Add a balance option: ARCHITECTURE.md "Add a balance option".
import { BALANCE_DEFAULTS as D } from './defaults.js';
import {
  ATTRIBUTE_COMBINE,
  BALANCE_BACKENDS,
  BALANCE_PATHS,
  BALANCE_SOLVERS,
  MISSING_POLICIES,
  SOLVE_METHODS,
  TOLERANCE_MODES,
} from './defaults.js';
import { R } from './rules.js';
import type { NumberRule } from '../options.js';

/**
 * One user-facing balance option, declared once: its key, CLI flag and help, the check, the default and the demo
 * field. The resolver, the CLI and the demo are all built from `BALANCE_OPTION_DECLS`.
 */
export interface BalanceOptionDecl {
  /** the key in BalanceOptions / BalanceOptionsInput / ResolvedBalanceOptions */
  readonly key: string;
  /** the CLI flag with its value name ('--eps-rep <x>'); the option's attribute name is the flag's camelCase */
  readonly flag: string;
  /** the CLI help line (the default is appended from `default`) */
  readonly help: string;
  /**
   * how the resolver reads it: a number rule, a list of choices, or 'special' (resolved by hand in options.ts:
   * η's "auto", π's parser, the soft penalty's deprecated alias V)
   */
  readonly check: { readonly rule: NumberRule } | { readonly choices: readonly string[] } | 'special';
  /** the default (undefined: none, e.g. the engine's own tolerance) */
  readonly default: number | string | undefined;
  /** the demo form's field: element id and the label its errors use; `optional`: empty = not given */
  readonly demo?: { readonly id: string; readonly label: string; readonly optional?: boolean };
}

const choices = (c: readonly string[]) => ({ choices: c });
const dflt = (x: unknown) => (x === undefined ? '' : ` (default: ${x})`);

/** Every user-facing balance option, in the CLI's flag order. */
export const BALANCE_OPTION_DECLS: readonly BalanceOptionDecl[] = Object.freeze([
  {
    key: 'eta',
    flag: '--eta <rate>',
    help: `target keep rate in (0,1], or "auto" = largest feasible (≤ ${D.etaAutoCap})`,
    check: 'special',
    default: D.eta,
    demo: { id: 'eta', label: 'keep rate η' },
  },
  {
    key: 'pi',
    flag: '--pi <shares>',
    help:
      'target group shares summing to 1: "0.5,0.5" or "F=0.5,M=0.5" (default uniform); several attribute ' +
      'columns: also per column, "gender=F=0.5,gender=M=0.5,race=A=0.5,race=B=0.5"',
    check: 'special',
    default: undefined,
    demo: { id: 'pi', label: 'target shares π', optional: true },
  },
  {
    key: 'epsRep',
    flag: '--eps-rep <x>',
    help: 'representation tolerance ε_R',
    check: { rule: R.eps },
    default: D.epsRep,
    demo: { id: 'eps-rep', label: 'ε_R' },
  },
  {
    key: 'epsAssoc',
    flag: '--eps-assoc <x>',
    help: 'association tolerance ε_A',
    check: { rule: R.eps },
    default: D.epsAssoc,
    demo: { id: 'eps-assoc', label: 'ε_A' },
  },
  {
    key: 'tolerance',
    flag: '--tolerance <mode>',
    help: "what ε_R / ε_A bound: balanced = the kept data's shares and associations, joint = the joint moments (1/N)Σq(s−π)[1,y]",
    check: choices(TOLERANCE_MODES),
    default: D.tolerance,
  },
  {
    key: 'softPenalty',
    flag: '--soft <V>',
    help: 'soft constraints: penalty per unit of violation (enforcement level V; default: hard)',
    check: 'special',
    default: undefined,
    demo: { id: 'soft', label: 'V', optional: true },
  },
  {
    key: 'solver',
    flag: '--solver <kind>',
    help: `dual solver: ${BALANCE_SOLVERS.join(' | ')}`,
    check: choices(BALANCE_SOLVERS),
    default: D.solver,
  },
  {
    key: 'method',
    flag: '--method <m>',
    help: `batch solver method: ${SOLVE_METHODS.join(' | ')} (auto: Newton where the engine has a Hessian pass, else first-order)`,
    check: choices(SOLVE_METHODS),
    default: D.method,
  },
  {
    key: 'polish',
    flag: '--polish <k>',
    help: 'stream solver: k exact Newton iterations after the streaming pass',
    check: { rule: R.polish },
    default: D.polish,
  },
  {
    key: 'hessianRows',
    flag: '--hessian-rows <n>',
    help: "rows the Newton method's Hessian pass samples (every ⌈n/N⌉-th row; Infinity = all)",
    check: { rule: R.hessianRows },
    default: D.hessianRows,
  },
  { key: 'tol', flag: '--tol <x>', help: 'stopping tolerance', check: { rule: R.tol }, default: undefined },
  {
    key: 'maxIter',
    flag: '--max-iter <n>',
    help: 'maximum solver iterations',
    check: { rule: R.maxIter },
    default: D.maxIter,
  },
  {
    key: 'seed',
    flag: '--seed <n>',
    help: 'seed for the keep flags',
    check: { rule: R.seed },
    default: D.seed,
    demo: { id: 'seed', label: 'seed' },
  },
  {
    key: 'missing',
    flag: '--missing <policy>',
    help: `missing attribute/label values: ${MISSING_POLICIES.join(' | ')}`,
    check: choices(MISSING_POLICIES),
    default: D.missing,
    demo: { id: 'missing', label: 'missing values' },
  },
  {
    key: 'combine',
    flag: '--combine <mode>',
    help:
      `several attribute columns: ${ATTRIBUTE_COMBINE.join(' | ')} (auto: crossed groups when every column is ` +
      'categorical, else indicator columns)',
    check: choices(ATTRIBUTE_COMBINE),
    default: D.combine,
    demo: { id: 'combine', label: 'several attribute columns' },
  },
  {
    key: 'backend',
    flag: '--backend <kind>',
    help: `engine for the per-row path: ${BALANCE_BACKENDS.join(' | ')}`,
    check: choices(BALANCE_BACKENDS),
    default: D.backend,
    demo: { id: 'backend', label: 'backend' },
  },
  {
    key: 'path',
    flag: '--path <kind>',
    help: `solve on pattern counts or per row: ${BALANCE_PATHS.join(' | ')}`,
    check: choices(BALANCE_PATHS),
    default: D.path,
    demo: { id: 'path', label: 'path' },
  },
] satisfies BalanceOptionDecl[]);

/**
 * The CLI help line of a declared option (its help and its default).
 * @param d - one declaration of `BALANCE_OPTION_DECLS`.
 * @returns its help text with " (default …)" appended unless the help already names the default.
 */
export const declHelp = (d: BalanceOptionDecl): string =>
  d.help.includes('default') ? d.help : `${d.help}${dflt(d.default)}`;

/**
 * '--eps-rep <x>' → 'epsRep' (commander's attribute name for the flag).
 * @param d - one declaration of `BALANCE_OPTION_DECLS`.
 * @returns the camelCase attribute name of its flag.
 */
export const declAttribute = (d: BalanceOptionDecl): string =>
  d.flag
    .split(' ')[0]
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** option key → the CLI flag (for error messages): `{ eta: '--eta', epsRep: '--eps-rep', … }`, V as --soft */
export const BALANCE_CLI_LABELS: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(BALANCE_OPTION_DECLS.map((d) => [d.key, d.flag.split(' ')[0]])),
  V: '--soft',
});
