// One strict reader per kind of value — category, number, probability, id, embedding value — used by every format
// and both table engines (the DuckDB engine's patterns go through the same encoder). Each refuses what it cannot
// represent exactly, naming file, line/row and column; nothing is coerced silently (Number('') is 0, String({}) is
// "[object Object]", a JSON integer beyond 2^53 is rounded). No node:* imports.
import { DataError } from './errors.js';
import type { Cell, TableChunk } from './table.js';

/**
 * Where a value was read (file, line, row, column), named in DataError messages.
 */
export interface Where {
  file?: string;
  line?: number;
  row?: number;
  column?: string;
}

/**
 * missing: null, undefined, '', 'NA', 'NaN', NaN (the one definition every reader uses)
 * @param v - a cell.
 * @returns whether it counts as missing.
 */
export const isMissing = (v: Cell): boolean =>
  v === null || v === undefined || v === '' || v === 'NA' || v === 'NaN' || (typeof v === 'number' && Number.isNaN(v));

const shown = (v: unknown): string => {
  try {
    const s = typeof v === 'bigint' ? `${v}` : JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 60)}…` : s;
  } catch {
    return String(v);
  }
};

/** a number that JSON / a double cannot have held exactly as an integer (the digits after 2^53 are lost) */
const unsafeInteger = (x: number) => Number.isInteger(x) && !Number.isSafeInteger(x);

/** control characters that would make an invisible group: NUL, CR (a CRLF line ending inside a value), others */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/**
 * A category (group or label value) as its exact text: strings as they are, finite numbers, booleans and bigints
 * by their text. Refused: JSON objects and arrays, integers beyond 2^53 (rounded by JSON.parse / hyparquet, so two
 * ids would merge), and NUL / CR / other control characters (invisible, and "a" vs "a\r" would be two groups).
 * @param v - a cell.
 * @param where - file / row / column for the error.
 * @returns the category as a string.
 * @throws DataError for objects, arrays, unsafe integers and control characters.
 */
export function categoryOf(v: Cell, where: Where): string {
  if (typeof v === 'string') {
    const bad = CONTROL.exec(v);
    if (bad) {
      const what =
        bad[0] === '\0'
          ? 'a NUL byte'
          : bad[0] === '\r'
            ? 'a carriage return (a CRLF line ending inside a value?)'
            : `the control character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      throw new DataError(`the value ${shown(v)} holds ${what}: it would be an invisible extra group`, where);
    }
    return v;
  }
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new DataError(`${v} is not a category`, where);
    if (unsafeInteger(v))
      throw new DataError(
        `an integer beyond 2^53 (read as ${v}) cannot be held exactly, so distinct values would merge: ` +
          'store it as a string (quoted in JSON) or a 64-bit integer column',
        where,
      );
    return String(v);
  }
  if (v instanceof Date) return v.toISOString();
  throw new DataError(
    `${Array.isArray(v) ? 'a JSON array' : 'a JSON object'} ${shown(v)} is not a category (expected a string or a number)`,
    where,
  );
}

/**
 * A finite number: numbers, exact bigints, numeric strings (not blank), true/false. Refuses the rest.
 * @param v - a cell.
 * @param where - file / row / column for the error.
 * @returns the number.
 * @throws DataError for anything else.
 */
export function numberOf(v: Cell, where: Where): number {
  let x = NaN;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'boolean') x = +v;
  else if (typeof v === 'bigint') {
    x = Number(v);
    if (BigInt(x) !== v) throw new DataError(`the integer ${v} is beyond 2^53 (not exact as a number)`, where);
  } else if (typeof v === 'string') {
    const t = v.trim();
    x = t === 'true' ? 1 : t === 'false' ? 0 : t === '' ? NaN : Number(t);
  }
  if (!Number.isFinite(x))
    throw new DataError(`expected a number, got ${v === null || v === undefined ? 'an empty value' : shown(v)}`, where);
  return x;
}

/**
 * A probability in [0, 1] (keep probabilities q, 0/1 indicators)
 * @param v - a cell.
 * @param where - file / row / column for the error.
 * @param what - what the value is, in the message.
 * @returns the probability.
 * @throws DataError for a non-number or a value outside [0, 1].
 */
export function probabilityOf(v: Cell, where: Where, what = 'the value'): number {
  const x = numberOf(v, where);
  if (!(x >= 0 && x <= 1)) throw new DataError(`${what} ${x} is out of range (probabilities lie in [0, 1])`, where);
  return x;
}

/**
 * An id copied to the output: a string, or a number held exactly; objects, arrays and rounded integers refused
 * @param v - a cell.
 * @param where - file / row / column for the error.
 * @returns the id ('' for a missing one).
 * @throws DataError for objects, arrays and integers beyond 2^53.
 */
export function idOf(v: Cell, where: Where): string | number {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (unsafeInteger(v)) return categoryOf(v, where);
    return v;
  }
  return categoryOf(v, where);
}

/**
 * One embedding value: a finite number; null, strings and non-finite values are refused (never read as 0)
 * @param v - a cell.
 * @param where - file / row / column (and dimension) for the error.
 * @returns the number.
 * @throws DataError for anything but a finite number.
 */
export function embeddingValueOf(v: unknown, where: Where & { dim?: number }): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const at = where.dim !== undefined ? `dimension ${where.dim + 1}: ` : '';
  throw new DataError(
    `${at}${v === null ? 'null' : shown(v)} is not a finite number (embedding values must be numbers)`,
    where,
  );
}

/**
 * Refuse columns used by value whose cells the reader could not give exactly (chunk.inexact, e.g. wide DECIMAL)
 * @param chunk - a parsed chunk.
 * @param columns - the columns read by value.
 * @param file - the file in the error.
 * @throws DataError naming the column and its type.
 */
export function checkExactColumns(chunk: TableChunk, columns: readonly string[], file?: string): void {
  for (const c of columns) {
    const type = chunk.inexact?.[c];
    if (type)
      throw new DataError(
        `the column is ${type}: more than 15 significant digits cannot be read exactly (distinct values would ` +
          'merge); cast it to a string or a 64-bit integer',
        { file, column: c },
      );
  }
}

/** the invisible differences two spellings of one group can have: NFC/NFD, BOM / zero-width, NBSP, edge spaces */
const normalForm = (s: string) =>
  s
    .normalize('NFC')
    .replace(/[\uFEFF\u200B-\u200D\u2060]/g, '')
    .replace(/[\s\u00A0]+/g, ' ')
    .trim();

/** words that look missing but are read as a group: only '', NA and NaN are missing values */
const MISSING_LOOKALIKE = /^(null|none|nil|n\/a|nan|undefined|missing|-)$/i;

/**
 * Groups of one column that differ only invisibly (trailing space, NBSP, BOM, NFC vs NFD) or a group that looks
 * like a missing value ("null"): one message per finding, naming both spellings.
 * @param column - the column's name.
 * @param values - its distinct values.
 * @returns the warnings (empty when none).
 */
export function nearDuplicateWarnings(column: string, values: readonly string[]): string[] {
  const out: string[] = [];
  const byForm = new Map<string, string>();
  for (const v of values) {
    const f = normalForm(v);
    const other = byForm.get(f);
    if (other !== undefined)
      out.push(
        `column "${column}": the values ${JSON.stringify(other)} and ${JSON.stringify(v)} differ only invisibly ` +
          '(spaces, NBSP, BOM or Unicode normalisation) and are two groups: fix the data if they are one',
      );
    else byForm.set(f, v);
    if (MISSING_LOOKALIKE.test(v.trim()) && v.toLowerCase() !== 'nan')
      out.push(
        `column "${column}": the value ${JSON.stringify(v)} is read as a group, not as missing (missing values are ` +
          'empty, NA and NaN): use --missing with empty cells if it means "unknown"',
      );
  }
  return out;
}

/** edit distance (Levenshtein), for "did you mean" */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** the column list for a message: names with edge spaces (or empty) quoted so " sex" and "sex" can be told apart */
export const columnList = (columns: readonly string[]): string =>
  columns.map((c) => (/^\s|\s$|^$/.test(c) ? JSON.stringify(c) : c)).join(', ');

/**
 * Column names match exactly (no trimming, no case folding): the message for a name that is not a column, with
 * the near miss when there is one (same name up to spaces / case / NBSP / Unicode form, or a typo).
 */
export function unknownColumnMessage(name: string, columns: readonly string[]): string {
  const form = normalForm(name).toLowerCase();
  const near =
    columns.find((c) => normalForm(c).toLowerCase() === form) ??
    columns
      .map((c) => ({ c, d: distance(name.toLowerCase(), c.toLowerCase()) }))
      .filter((x) => x.d <= Math.max(1, Math.floor(name.length / 3)))
      .sort((x, y) => x.d - y.d)[0]?.c;
  const hint = near !== undefined ? `; did you mean ${JSON.stringify(near)}? (names match exactly)` : '';
  return `unknown column ${JSON.stringify(name)} (columns: ${columnList(columns)})${hint}`;
}
