// Target shares π: parsed as typed (`parsePi`), checked at the door (`checkPi`: entries in (0, 1), summing to 1),
// matched to the groups the data holds (`piForGroups`), and the engines' contract (`validatePi`: length m).
import { ArgumentError } from '@m4kit/kernels';
import type { CombinedAttributes } from '../io/attributes.js';
import { OptionError } from '../options.js';
import type { PiSpec } from './defaults.js';
import { piForCombined } from './pi-combined.js';

export type { PiSpec };

/** Sum of target shares accepted as 1. */
export const PI_SUM_TOL = 1e-9;

/**
 * Parses target shares as typed: "0.3,0.7" (group order) or "F=0.3,M=0.7" (by group name; the share follows the
 * last "=", so group names may hold "=": "gender=F=0.5,gender=M=0.5", "gender=F & race=A=0.1"). Throws
 * `OptionError` naming the option and the bad part.
 * @param text - e.g. "0.5,0.5" or "F=0.6,M=0.4".
 * @param name - the option's name in error messages (default 'pi').
 * @returns the shares (an array or a map by group name), or undefined for blank text (uniform).
 * @throws OptionError naming the bad part.
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
        const at = p.lastIndexOf('=');
        const k = p.slice(0, at).trim();
        if (k === '') throw bad(p);
        return [k, value(p.slice(at + 1), p)];
      }),
    );
  }
  return parts.map((p) => value(p, p));
}

/**
 * Checks target shares at the door: entries in (0, 1) summing to 1 — or, for several attribute columns, shares per
 * column ("gender=F=0.5,gender=M=0.5,race=A=0.3,…", each column's summing to 1: marginal targets, or crossed
 * targets as their products), or (combine 'marginal') every column's shares in group order, one block per column.
 * The per-column sums are checked against the data's groups by `piForGroups`.
 */
export function checkPi(pi: PiSpec, name: string, combine?: string): PiSpec {
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
  const perColumn = !Array.isArray(pi) && columnSums(Object.keys(pi), pi as Record<string, number>);
  const blocks = Array.isArray(pi) && combine === 'marginal' && Math.abs(sum - Math.round(sum)) <= PI_SUM_TOL;
  const sumsToOne = Math.abs(sum - 1) <= PI_SUM_TOL;
  if (!sumsToOne && !blocks && !(perColumn && [...perColumn.values()].every((s) => Math.abs(s - 1) <= PI_SUM_TOL))) {
    const s = +sum.toPrecision(12);
    if (combine === 'marginal')
      throw new OptionError(
        name,
        `${name}: the target shares sum to ${s}: marginal targets are each column's shares in group order ` +
          '(or column=value=share), summing to 1 per column',
      );
    if (perColumn)
      throw new OptionError(
        name,
        `${name}: the column shares sum to ${[...perColumn].map(([c, x]) => `${+x.toPrecision(12)} (${c})`).join(', ')}` +
          ', not 1 each',
      );
    throw new OptionError(name, `${name}: the target shares sum to ${s}, not 1 (one share per group, e.g. 0.5,0.5)`);
  }
  return Array.isArray(pi) ? (Object.freeze([...pi]) as number[]) : Object.freeze({ ...pi });
}

/** Σ shares per column for keys "column=value" (null unless every key has that form and no key is crossed). */
export function columnSums(keys: string[], map: Readonly<Record<string, number>>): Map<string, number> | null {
  const out = new Map<string, number>();
  for (const k of keys) {
    const at = k.indexOf('=');
    if (at <= 0 || k.includes(' & ')) return null;
    const col = k.slice(0, at);
    out.set(col, (out.get(col) ?? 0) + map[k]);
  }
  return out.size > 1 ? out : null;
}

/**
 * π in group order for the groups `names` (uniform when not given). For combined attribute columns
 * (EncodedTable.columns.combined) see `piForCombined` (marginal blocks, products of per-column shares).
 * @param pi - the user's shares (array, map by name, or undefined for uniform).
 * @param names - the group names in the encoder's order.
 * @param name - the option's name in error messages.
 * @param combined - how several attribute columns combine (for marginal blocks and crossed products).
 * @returns one share per group.
 * @throws OptionError for unknown or missing group names, or shares that do not sum to 1.
 */
export function piForGroups(
  pi: PiSpec | undefined,
  names: string[],
  name = 'pi',
  combined?: CombinedAttributes,
): number[] {
  if (combined) {
    const r = piForCombined(pi, names, name, combined);
    if (r) return r;
  }
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
 * π must have length m and entries in the open interval (0, 1) (the engines' and the solvers' contract).
 * @param pi - the target shares.
 * @param m - groups.
 * @param name - the argument name in error messages (default 'pi').
 * @throws ArgumentError for a wrong length or an entry outside (0, 1).
 */
export function validatePi(pi: ArrayLike<number>, m: number, name = 'pi'): void {
  if (pi == null || typeof pi.length !== 'number')
    throw new ArgumentError(`${name}: expected an array of length m = ${m}`);
  if (pi.length !== m)
    throw new ArgumentError(`${name}: length ${pi.length} ≠ m = ${m} (one target share per sensitive attribute)`);
  for (let k = 0; k < m; k++) {
    const x = pi[k];
    if (!(x > 0 && x < 1)) throw new ArgumentError(`${name}[${k}] = ${x}: expected a target share in (0, 1)`);
  }
}
