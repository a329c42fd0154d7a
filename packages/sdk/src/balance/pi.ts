// Target shares π: parsed as typed (`parsePi`), checked at the door (`checkPi`: entries in (0, 1), summing to 1),
// matched to the groups the data holds (`piForGroups`), and the engines' contract (`validatePi`: length m).
import { ArgumentError } from '@m4kit/kernels';
import { OptionError } from '../options.js';

/** Target shares: one per group in group order, or by group name. */
export type PiSpec = readonly number[] | Readonly<Record<string, number>>;

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

export function checkPi(pi: PiSpec, name: string): PiSpec {
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

/** π must have length m and entries in the open interval (0, 1) (the engines' and the solvers' contract). */
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
