// Target shares for several attribute columns (io/attributes.ts): marginal blocks (each column's shares sum to 1)
// and crossed groups from products of per-column shares (the target when the columns are to be independent).
import type { CombinedAttributes } from '../io/attributes.js';
import { OptionError } from '../options.js';
import type { PiSpec } from './defaults.js';

const SUM_TOL = 1e-9;

/**
 * π for combined attribute columns, or undefined when the generic matching applies (crossed groups given in
 * group order or by crossed name). Throws `OptionError` naming the column or group that does not fit.
 */
export function piForCombined(
  pi: PiSpec | undefined,
  names: string[],
  name: string,
  combined: CombinedAttributes,
): number[] | undefined {
  const { mode, columns, parts } = combined;
  const m = names.length;
  const colOf = parts.map((p) => p[0][0]);
  if (mode === 'marginal') {
    const size = columns.map((_, j) => colOf.filter((c) => c === j).length);
    let out: number[];
    if (pi === undefined) out = colOf.map((j) => 1 / size[j]);
    else if (Array.isArray(pi)) {
      if (pi.length !== m)
        throw new OptionError(
          name,
          `${name}: ${pi.length} target shares given, but there are ${m} groups (${names.join(', ')}): ` +
            'marginal targets are every column’s shares in group order',
        );
      out = [...pi];
    } else {
      const map = pi as Readonly<Record<string, number>>;
      for (const k of Object.keys(map))
        if (!names.includes(k))
          throw new OptionError(name, `${name}: unknown group "${k}" (groups: ${names.join(', ')})`);
      out = names.map((n) => {
        const v = map[n];
        if (v === undefined)
          throw new OptionError(name, `${name}: no target share for group "${n}" (groups: ${names.join(', ')})`);
        return v;
      });
    }
    columns.forEach((col, j) => {
      const s = out.reduce((a, x, i) => a + (colOf[i] === j ? x : 0), 0);
      if (Math.abs(s - 1) > SUM_TOL)
        throw new OptionError(
          name,
          `${name}: the target shares of column "${col}" sum to ${+s.toPrecision(12)}, not 1 ` +
            '(marginal: each attribute column’s shares sum to 1)',
        );
    });
    return out;
  }
  // intersection: per-column shares → products over the crossed groups
  if (pi === undefined || Array.isArray(pi)) return undefined;
  const map = pi as Readonly<Record<string, number>>;
  const keys = Object.keys(map);
  if (keys.every((k) => names.includes(k))) return undefined;
  const share = (j: number, v: string) => map[`${columns[j]}=${v}`];
  const known = new Set(parts.flatMap((g) => g.map(([j, v]) => `${columns[j]}=${v}`)));
  for (const k of keys) {
    const col = columns.find((c) => k.startsWith(`${c}=`));
    if (col === undefined)
      throw new OptionError(
        name,
        `${name}: "${k}" is neither a crossed group nor a column=value share of ${columns.join(', ')} ` +
          `(groups: ${names.join(', ')})`,
      );
  }
  const out = parts.map((g) =>
    g.reduce((a, [j, v]) => {
      const x = share(j, v);
      if (x === undefined)
        throw new OptionError(name, `${name}: no target share for ${columns[j]}=${v} (products of column shares)`);
      return a * x;
    }, 1),
  );
  const total = out.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > SUM_TOL) {
    const unseen = keys.filter((k) => !known.has(k));
    throw new OptionError(
      name,
      `${name}: the products of the column shares give ${+(1 - total).toPrecision(6)} of the target to ` +
        'combinations with no rows' +
        (unseen.length ? ` (values with no rows: ${unseen.join(', ')})` : ' (some crossed groups never occur)') +
        `: give a share per crossed group instead (groups: ${names.join(', ')})`,
    );
  }
  return out;
}
