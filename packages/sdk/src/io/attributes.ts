// Several sensitive-attribute columns (`-a gender,race`): how they combine into the groups the solver balances.
//   intersection — crossed groups, one per observed combination ("gender=F & race=B"): one-hot S, π per crossed
//                  group (or products of per-column shares, see balance/pi.ts)
//   marginal     — each column's own groups side by side ("gender=F", "gender=M", "race=A", …): one 1 per column
//                  in every row of S, π per column (each column's shares sum to 1); the representation and
//                  association constraints of every column hold at once
//   indicators   — each column read by what it holds (0/1 or probabilities as is, categories one-hot, lists
//                  multi-hot) with one π over all indicators: the reading of several 0/1 columns such as
//                  is_man,is_woman
//   auto         — intersection when every attribute column is categorical (words, integer codes beyond 0/1),
//                  else indicators (so several 0/1 or probability columns keep their meaning)
// In intersection and marginal modes every column is read as a single attribute column is: one category per row.
import type { AttributeCombineOption as AttributeCombine } from '../balance/defaults.js';
import { DataError } from './errors.js';
import type { ColumnInfo, CombinedAttributes } from './encode-types.js';

export type { AttributeCombine, CombinedAttributes };

/** one cell's token as the encoder keeps it (see encode.ts) */
type Token = number | string | string[] | null;

const part = (column: string, value: string) => `${column}=${value}`;
/** the name of a crossed group */
export const crossedName = (columns: readonly string[], values: readonly string[]): string =>
  values.map((v, j) => part(columns[j], v)).join(' & ');

/** 'auto' made concrete from how each column reads (ColumnInfo.kind). */
export function combineMode(requested: AttributeCombine | undefined, infos: ColumnInfo[]): AttributeCombine {
  const r = requested ?? 'auto';
  if (r !== 'auto') return r;
  return infos.every((x) => x.kind === 'categorical') ? 'intersection' : 'indicators';
}

/** a token as a category value ('NA' for a missing value kept as a category); lists are refused */
function categoryOf(t: Token, column: string, mode: string, file?: string): string {
  if (t === null) return 'NA';
  if (Array.isArray(t))
    throw new DataError(
      `attribute column "${column}" holds lists: several attribute columns combined as ${mode} take one ` +
        'category per row (use --combine indicators to read lists multi-hot)',
      { file, column },
    );
  return String(t);
}

/**
 * The groups of several attribute columns in intersection or marginal mode, from the pattern tokens: group names
 * (sorted per column; crossed groups in the order of their columns' sorted values, observed ones only) and parts.
 */
export function combineGroups(
  mode: 'intersection' | 'marginal',
  columns: string[],
  tokens: Token[][],
  file?: string,
): { names: string[]; combined: CombinedAttributes; infos: ColumnInfo[] } {
  const values = tokens.map((ts) => ts.map((t, j) => categoryOf(t, columns[j], mode, file)));
  const levels = columns.map((_, j) => [...new Set(values.map((v) => v[j]))].sort());
  const infos: ColumnInfo[] = columns.map((column, j) => ({
    column,
    role: 'attribute',
    kind: 'categorical',
    names: levels[j].map((v) => part(column, v)),
  }));
  if (mode === 'marginal') {
    const one = levels.findIndex((lv) => lv.length < 2);
    if (one >= 0)
      throw new DataError(
        `attribute column "${columns[one]}" has a single value (${levels[one][0]}): balancing it on its own ` +
          '(marginal) needs at least two groups',
        { file, column: columns[one] },
      );
    const parts = levels.flatMap((lv, j) => lv.map((v): [number, string][] => [[j, v]]));
    return { names: infos.flatMap((x) => x.names), combined: { mode, columns, parts }, infos };
  }
  const rank = levels.map((lv) => new Map(lv.map((v, i) => [v, i])));
  const seen = new Map<string, string[]>();
  for (const v of values) seen.set(JSON.stringify(v), v);
  const tuples = [...seen.values()].sort((a, b) => {
    for (let j = 0; j < columns.length; j++) {
      const d = (rank[j].get(a[j]) as number) - (rank[j].get(b[j]) as number);
      if (d) return d;
    }
    return 0;
  });
  return {
    names: tuples.map((v) => crossedName(columns, v)),
    combined: { mode, columns, parts: tuples.map((v) => v.map((x, j): [number, string] => [j, x])) },
    infos,
  };
}

/** Writes one pattern's S row (length m) for combined attribute columns; names are looked up in `idx`. */
export function fillCombined(
  out: Float64Array,
  off: number,
  combined: CombinedAttributes,
  tokens: Token[],
  idx: Map<string, number>,
  file?: string,
): void {
  const { mode, columns } = combined;
  const values = tokens.map((t, j) => categoryOf(t, columns[j], mode, file));
  const at = (name: string, column?: string) => {
    const a = idx.get(name);
    if (a === undefined)
      throw new DataError(`attribute value "${name}" did not occur when the vocabulary was built`, { file, column });
    return a;
  };
  if (mode === 'intersection') out[off + at(crossedName(columns, values))] = 1;
  else values.forEach((v, j) => (out[off + at(part(columns[j], v), columns[j])] = 1));
}
