// Encode table rows into M4 inputs in one streaming pass: every row maps to a pattern of (attributes, labels);
// patterns are counted, so the solver can run on pattern counts (O(#patterns) per iteration) while per-row
// data (utility, row → pattern) stays compact.
import { DataError } from './errors.js';
import type { Cell, Row, TableChunk } from './read.js';

export type MissingPolicy = 'error' | 'drop' | 'category';

export interface ColumnSpec {
  /** one column: categorical (one-hot over its values); several: numeric 0/1 or probability columns, one attribute each */
  attributes: string[];
  /** one column: categorical, or a list (array cells, or strings split on `labelSeparator`); several: 0/1 columns */
  labels: string[];
  /** optional per-row utility column (q0 = η + u) */
  utility?: string;
  /** optional id column copied to the output */
  id?: string;
  /** pattern-count table: each input row is a pattern with this multiplicity (e.g. the COUNT(*) of a GROUP BY) */
  counts?: string;
  /** missing attribute/label values: error (default), drop the row (q = 0), or treat as category "NA" */
  missing?: MissingPolicy;
  /** separator for list-valued label strings (default "|") */
  labelSeparator?: string;
}

export interface EncodedTable {
  attributeNames: string[];
  labelNames: string[];
  /** one row per pattern: S (k×m), Y (k×c), w = number of input rows (or summed counts) */
  patterns: { n: number; S: Float64Array; Y: Float64Array; w: Float64Array };
  /** per input row: pattern index, or -1 for a dropped row */
  rowToPattern: Int32Array;
  /** per input row utility (when spec.utility) */
  utility?: Float64Array;
  /** per input row id (spec.id) */
  ids?: (string | number)[];
  /** input rows, and rows dropped for missing values */
  rows: number;
  dropped: number;
  /** true when attributes/labels are fractional (probabilities) */
  fractional: boolean;
}

const isMissing = (v: Cell) => v === null || v === undefined || v === '' || v === 'NA' || v === 'NaN' || (typeof v === 'number' && Number.isNaN(v));

function toNumber(v: Cell, where: { file?: string; line?: number; row?: number; column: string }): number {
  const x = typeof v === 'number' ? v : typeof v === 'boolean' ? +v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? (v.trim() === 'true' ? 1 : v.trim() === 'false' ? 0 : Number(v)) : NaN;
  if (!Number.isFinite(x)) throw new DataError(`expected a number, got ${JSON.stringify(v)}`, where);
  return x;
}

/** Streaming encoder: feed chunks, then `finish()`. */
export class TableEncoder {
  private patternIndex = new Map<string, number>();
  private patternKeys: { attr: string | number[]; labels: string[] | number[] }[] = [];
  private counts: number[] = [];
  private rowPattern: number[] = [];
  private util: number[] = [];
  private ids: (string | number)[] = [];
  private dropped = 0;
  private rows = 0;
  private fractional = false;
  private checkedColumns = false;

  constructor(
    readonly spec: ColumnSpec,
    readonly file?: string,
    /** fixed vocabularies (re-encoding chunks of a file whose categories are already known) */
    readonly vocab?: { attributes: string[]; labels: string[] },
  ) {
    if (!spec.attributes.length) throw new DataError('no attribute column given (--attributes)');
    if (!spec.labels.length) throw new DataError('no label column given (--labels)');
  }

  private where(chunk: TableChunk, i: number, column: string) {
    return { file: this.file, line: chunk.lines?.[i], row: chunk.lines ? undefined : chunk.offset + i + 1, column };
  }

  push(chunk: TableChunk): void {
    const spec = this.spec;
    if (!this.checkedColumns) {
      const need = [...spec.attributes, ...spec.labels, spec.utility, spec.id, spec.counts].filter((c): c is string => !!c);
      const have = new Set(chunk.columns);
      for (const c of need) {
        if (!have.has(c)) throw new DataError(`unknown column "${c}" (columns: ${chunk.columns.join(', ')})`, { file: this.file, column: c });
      }
      this.checkedColumns = true;
    }
    const policy = spec.missing ?? 'error';
    const sep = spec.labelSeparator ?? '|';
    for (let i = 0; i < chunk.rows.length; i++) {
      const row: Row = chunk.rows[i];
      this.rows++;
      let drop = false;
      const miss = (col: string): boolean => {
        if (policy === 'error') throw new DataError('missing value (use --missing drop|category to allow)', this.where(chunk, i, col));
        if (policy === 'drop') drop = true;
        return policy === 'category';
      };
      // attributes
      let attr: string | number[];
      if (spec.attributes.length === 1) {
        const col = spec.attributes[0];
        const v = row[col];
        if (isMissing(v)) attr = miss(col) ? 'NA' : '';
        else if (Array.isArray(v)) throw new DataError('a single attribute column must hold one category per row', this.where(chunk, i, col));
        else attr = String(v);
      } else {
        attr = spec.attributes.map((col) => {
          const v = row[col];
          if (isMissing(v)) return miss(col) ? 0 : 0;
          const x = toNumber(v, this.where(chunk, i, col));
          if (x < 0 || x > 1) throw new DataError(`attribute values must lie in [0, 1], got ${x}`, this.where(chunk, i, col));
          if (x !== 0 && x !== 1) this.fractional = true;
          return x;
        });
      }
      // labels
      let labels: string[] | number[];
      if (spec.labels.length === 1) {
        const col = spec.labels[0];
        const v = row[col];
        if (isMissing(v)) labels = miss(col) ? ['NA'] : [];
        else if (Array.isArray(v)) labels = [...new Set(v.filter((x) => !isMissing(x)).map(String))].sort();
        else {
          const s = String(v);
          labels = s.includes(sep) ? [...new Set(s.split(sep).map((x) => x.trim()).filter(Boolean))].sort() : [s];
        }
      } else {
        labels = spec.labels.map((col) => {
          const v = row[col];
          if (isMissing(v)) return miss(col) ? 0 : 0;
          const x = toNumber(v, this.where(chunk, i, col));
          if (x < 0 || x > 1) throw new DataError(`label values must lie in [0, 1], got ${x}`, this.where(chunk, i, col));
          if (x !== 0 && x !== 1) this.fractional = true;
          return x;
        });
      }
      let weight = 1;
      if (spec.counts) {
        const v = row[spec.counts];
        weight = isMissing(v) ? NaN : toNumber(v, this.where(chunk, i, spec.counts));
        if (!(weight >= 0) || !Number.isFinite(weight)) throw new DataError(`counts must be non-negative numbers, got ${JSON.stringify(v)}`, this.where(chunk, i, spec.counts));
      }
      if (spec.utility) {
        const v = row[spec.utility];
        if (isMissing(v)) throw new DataError('missing utility value', this.where(chunk, i, spec.utility));
        this.util.push(toNumber(v, this.where(chunk, i, spec.utility)));
      }
      if (spec.id) {
        const v = row[spec.id];
        this.ids.push(typeof v === 'number' || typeof v === 'string' ? v : String(v ?? ''));
      }
      if (drop) {
        this.dropped++;
        this.rowPattern.push(-1);
        continue;
      }
      // counts tables are already patterns: keep one entry per input row
      const key = spec.counts ? `#${this.rows}` : JSON.stringify([attr, labels]);
      let p = this.patternIndex.get(key);
      if (p === undefined) {
        p = this.patternKeys.length;
        this.patternIndex.set(key, p);
        this.patternKeys.push({ attr, labels });
        this.counts.push(0);
      }
      this.counts[p] += weight;
      this.rowPattern.push(p);
    }
  }

  finish(): EncodedTable {
    const spec = this.spec;
    if (!this.vocab) {
      if (this.rows === 0) throw new DataError('the table has no rows', { file: this.file });
      if (this.rows === this.dropped) throw new DataError(`all ${this.rows} rows were dropped for missing values`, { file: this.file });
    }
    // vocabularies
    let attributeNames: string[];
    if (this.vocab) attributeNames = [...this.vocab.attributes];
    else if (spec.attributes.length === 1) attributeNames = [...new Set(this.patternKeys.map((p) => p.attr as string))].sort();
    else attributeNames = [...spec.attributes];
    let labelNames: string[];
    if (this.vocab) labelNames = [...this.vocab.labels];
    else if (spec.labels.length === 1) labelNames = [...new Set(this.patternKeys.flatMap((p) => p.labels as string[]))].sort();
    else labelNames = [...spec.labels];
    const m = attributeNames.length;
    const c = labelNames.length;
    if (m < 2 && spec.attributes.length === 1 && !this.vocab)
      throw new DataError(`attribute column "${spec.attributes[0]}" has a single value (${attributeNames[0]}): balancing needs at least two groups`, { file: this.file, column: spec.attributes[0] });
    const aIdx = new Map(attributeNames.map((a, i) => [a, i]));
    const lIdx = new Map(labelNames.map((a, i) => [a, i]));
    const k = this.patternKeys.length;
    const S = new Float64Array(k * m);
    const Y = new Float64Array(k * c);
    this.patternKeys.forEach((p, i) => {
      const unknown = (what: string, v: string) => new DataError(`${what} "${v}" did not occur when the vocabulary was built`, { file: this.file });
      if (typeof p.attr === 'string') {
        const a = aIdx.get(p.attr);
        if (a === undefined) throw unknown('attribute value', p.attr);
        S[i * m + a] = 1;
      } else S.set(p.attr, i * m);
      if (spec.labels.length === 1)
        for (const l of p.labels as string[]) {
          const j = lIdx.get(l);
          if (j === undefined) throw unknown('label', l);
          Y[i * c + j] = 1;
        }
      else Y.set(p.labels as number[], i * c);
    });
    return {
      attributeNames,
      labelNames,
      patterns: { n: k, S, Y, w: Float64Array.from(this.counts) },
      rowToPattern: Int32Array.from(this.rowPattern),
      utility: spec.utility ? Float64Array.from(this.util) : undefined,
      ids: spec.id ? this.ids : undefined,
      rows: this.rows,
      dropped: this.dropped,
      fractional: this.fractional,
    };
  }
}

/**
 * Per-row engine data from an encoded table: every kept (not dropped) input row with its pattern's S and Y
 * rows, its utility, and (counts tables) its multiplicity. `rowIndex[j]` is the input row of engine row j.
 */
export function expandRows(enc: EncodedTable): { data: { n: number; m: number; c: number; S: Float64Array; Y: Float64Array; u?: Float64Array; w?: Float64Array }; rowIndex: Int32Array } {
  const m = enc.attributeNames.length;
  const c = enc.labelNames.length;
  const kept: number[] = [];
  enc.rowToPattern.forEach((p, i) => {
    if (p >= 0) kept.push(i);
  });
  const n = kept.length;
  const S = new Float64Array(n * m);
  const Y = new Float64Array(n * c);
  const u = enc.utility ? new Float64Array(n) : undefined;
  // a counts table encodes one pattern per row with its multiplicity
  const isCounts = enc.patterns.n === n && enc.patterns.w.some((x) => x !== 1);
  const w = isCounts ? new Float64Array(n) : undefined;
  kept.forEach((row, j) => {
    const p = enc.rowToPattern[row];
    S.set(enc.patterns.S.subarray(p * m, p * m + m), j * m);
    Y.set(enc.patterns.Y.subarray(p * c, p * c + c), j * c);
    if (u) u[j] = enc.utility![row];
    if (w) w[j] = enc.patterns.w[p];
  });
  return { data: { n, m, c, S, Y, u, w }, rowIndex: Int32Array.from(kept) };
}
