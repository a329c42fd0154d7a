// How a column of a several-column `attributes` / `labels` list is read: the statistics gathered per column and
// the decision (numeric, boolean words, categorical, list).
import { DataError } from './errors.js';
import type { Cell } from './table.js';
import type { ColumnInfo } from './encode-types.js';

export type Where = { file?: string; line?: number; row?: number; column: string };

export const BOOL_WORDS: Record<string, number> = { yes: 1, no: 0, true: 1, false: 0, y: 1, n: 0 };
/** one cell of a several-column list: number, raw string, list of strings, or null (missing → 0 / no indicator) */
export type Token = number | string | string[] | null;

export interface ColumnStats {
  list: boolean;
  boolWord: boolean;
  /** a non-integer number was seen */
  frac: boolean;
  /** first value that is neither a number nor a boolean word */
  other?: { v: Cell; where: Where };
  /** first number outside [0, 1] */
  outside?: { x: number; where: Where };
  /** a missing value was read as category "NA" */
  na: boolean;
}

export const numberOf = (t: number | string): number =>
  typeof t === 'number' ? t : (BOOL_WORDS[t.trim().toLowerCase()] ?? Number(t));

/** Decide how a column of a several-column list is read (see ColumnSpec.attributes). */
export function columnKind(st: ColumnStats, role: 'attribute' | 'label'): ColumnInfo['kind'] {
  if (st.list) return 'list';
  if (st.other) {
    if (st.frac) throw new DataError(`expected a number, got ${JSON.stringify(st.other.v)}`, st.other.where);
    return 'categorical';
  }
  if (!st.outside) return st.boolWord ? 'boolean' : 'numeric';
  if (st.frac || st.boolWord)
    throw new DataError(`${role} values must lie in [0, 1], got ${st.outside.x}`, st.outside.where);
  // integer codes beyond 0/1 (precinct 1..5, age bucket 0..2): categories
  return 'categorical';
}

/** the most cells of the dense pattern matrices S (k × m) and Y (k × c): 2^27 float64 = 1 GiB each */
export const MAX_DENSE_CELLS = 2 ** 27;

/** refuse, before any allocation, pattern matrices too large to hold (100k labels, 60k groups): name the limit */
export function checkDenseSize(k: number, m: number, c: number, file?: string): void {
  for (const [what, n] of [
    [`${m} groups`, k * m],
    [`${c} labels`, k * c],
  ] as const)
    if (n > MAX_DENSE_CELLS)
      throw new DataError(
        `${k} patterns × ${what} = ${n.toExponential(2)} cells exceeds the limit of ${MAX_DENSE_CELLS} (2^27, ` +
          '1 GiB): m4kit holds the patterns densely; group rare values together or balance on fewer columns',
        { file },
      );
}
