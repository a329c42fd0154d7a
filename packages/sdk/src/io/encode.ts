// Encode table rows into M4 inputs in one streaming pass: every row maps to a pattern of (attributes, labels);
// patterns are counted, so the solver can run on pattern counts (O(#patterns) per iteration) while per-row
// data (utility, row → pattern) stays compact.
import { combineGroups, combineMode, fillCombined } from './attributes.js';
import { DataError } from './errors.js';
import type { Cell, Row, TableChunk } from './table.js';
import {
  categoryOf,
  checkExactColumns,
  idOf,
  isMissing,
  nearDuplicateWarnings,
  numberOf as readNumber,
  unknownColumnMessage,
} from './values.js';
import type { ColumnInfo, ColumnSpec, EncodedTable } from './encode-types.js';
import { BOOL_WORDS, checkDenseSize, columnKind, numberOf } from './encode-kinds.js';
import type { ColumnStats, Token, Where } from './encode-kinds.js';

export type { ColumnInfo, ColumnSpec, EncodedTable, MissingPolicy } from './encode-types.js';
export { expandRows } from './encode-rows.js';

/** a cell read as a category: strings as they are (checked once per new pattern), the rest by `categoryOf` */
const cat = (v: Cell, where: () => Where): string => (typeof v === 'string' ? v : categoryOf(v, where()));
const listOf = (v: Cell[], where: () => Where) => [
  ...new Set(v.filter((x) => !isMissing(x)).map((x) => cat(x, where))),
];

/** Streaming encoder: feed chunks, then `finish()`. */
export class TableEncoder {
  private patternIndex = new Map<string, number>();
  private patternKeys: { attr: string | Token[]; labels: string[] | Token[] }[] = [];
  private stats: { attributes: ColumnStats[]; labels: ColumnStats[] };
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
    readonly vocab?: { attributes: string[]; labels: string[]; columns?: EncodedTable['columns'] },
  ) {
    if (!spec.attributes.length) throw new DataError('no attribute column given (--attributes)');
    if (!spec.labels.length) throw new DataError('no label column given (--labels)');
    if (spec.combine && spec.combine !== 'auto' && spec.attributes.length < 2)
      throw new DataError(`combine "${spec.combine}" needs several attribute columns (got one: ${spec.attributes[0]})`);
    const fresh = (): ColumnStats => ({ list: false, boolWord: false, frac: false, na: false });
    this.stats = { attributes: spec.attributes.map(fresh), labels: spec.labels.map(fresh) };
  }

  /** one cell of a several-column list → token, updating the column's statistics */
  private token(v: Cell, st: ColumnStats, sep: string, where: () => Where): Token {
    if (Array.isArray(v)) {
      st.list = true;
      return listOf(v, where).sort();
    }
    let x: number;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      x = Number(v);
      // an integer beyond 2^53: a rounded number is refused; an exact bigint is a category (its text)
      if (typeof v === 'number') categoryOf(v, where());
      else if (typeof v === 'bigint' && BigInt(x) !== v) x = NaN;
    } else {
      const s = cat(v, where);
      if (s.includes(sep)) {
        st.list = true;
        return [
          ...new Set(
            s
              .split(sep)
              .map((y) => y.trim())
              .filter(Boolean),
          ),
        ].sort();
      }
      const t = s.trim().toLowerCase();
      if (t in BOOL_WORDS) {
        st.boolWord = true;
        return s;
      }
      x = t === '' ? NaN : Number(t);
      if (!Number.isFinite(x)) {
        st.other ??= { v, where: where() };
        return s;
      }
      if (!Number.isInteger(x)) st.frac = true;
      if ((x < 0 || x > 1) && !st.outside) st.outside = { x, where: where() };
      return s;
    }
    if (!Number.isFinite(x)) {
      st.other ??= { v, where: where() };
      return categoryOf(v, where());
    }
    if (!Number.isInteger(x)) st.frac = true;
    if ((x < 0 || x > 1) && !st.outside) st.outside = { x, where: where() };
    return x;
  }

  private where(chunk: TableChunk, i: number, column: string) {
    return { file: this.file, line: chunk.lines?.[i], row: chunk.lines ? undefined : chunk.offset + i + 1, column };
  }

  push(chunk: TableChunk): void {
    const spec = this.spec;
    if (!this.checkedColumns) {
      const need = [...spec.attributes, ...spec.labels, spec.utility, spec.id, spec.counts].filter(
        (c): c is string => !!c,
      );
      if (!chunk.columns.length) throw new DataError('empty file: no columns', { file: this.file });
      const have = new Set(chunk.columns);
      for (const c of need) {
        if (!have.has(c))
          throw new DataError(unknownColumnMessage(c, chunk.columns), {
            file: this.file,
            column: c,
          });
      }
      this.checkedColumns = true;
    }
    if (chunk.inexact) checkExactColumns(chunk, [...spec.attributes, ...spec.labels, spec.id ?? ''], this.file);
    const policy = spec.missing ?? 'error';
    const sep = spec.labelSeparator ?? '|';
    for (let i = 0; i < chunk.rows.length; i++) {
      const row: Row = chunk.rows[i];
      this.rows++;
      let drop = false;
      const miss = (col: string): boolean => {
        if (policy === 'error')
          throw new DataError('missing value (use --missing drop|category to allow)', this.where(chunk, i, col));
        if (policy === 'drop') drop = true;
        return policy === 'category';
      };
      // attributes
      let attr: string | Token[];
      if (spec.attributes.length === 1) {
        const col = spec.attributes[0];
        const v = row[col];
        if (isMissing(v)) attr = miss(col) ? 'NA' : '';
        else if (Array.isArray(v))
          throw new DataError('a single attribute column must hold one category per row', this.where(chunk, i, col));
        else attr = cat(v, () => this.where(chunk, i, col));
      } else {
        attr = spec.attributes.map((col, j) => {
          const v = row[col];
          if (isMissing(v)) {
            if (miss(col)) this.stats.attributes[j].na = true;
            return null;
          }
          return this.token(v, this.stats.attributes[j], sep, () => this.where(chunk, i, col));
        });
      }
      // labels
      let labels: string[] | Token[];
      if (spec.labels.length === 1) {
        const col = spec.labels[0];
        const v = row[col];
        if (isMissing(v)) labels = miss(col) ? ['NA'] : [];
        else if (Array.isArray(v)) labels = listOf(v, () => this.where(chunk, i, col)).sort();
        else {
          const s = cat(v, () => this.where(chunk, i, col));
          labels = s.includes(sep)
            ? [
                ...new Set(
                  s
                    .split(sep)
                    .map((x) => x.trim())
                    .filter(Boolean),
                ),
              ].sort()
            : [s];
        }
      } else {
        labels = spec.labels.map((col, j) => {
          const v = row[col];
          if (isMissing(v)) {
            if (miss(col)) this.stats.labels[j].na = true;
            return null;
          }
          return this.token(v, this.stats.labels[j], sep, () => this.where(chunk, i, col));
        });
      }
      let weight = 1;
      if (spec.counts) {
        const v = row[spec.counts];
        weight = isMissing(v) ? NaN : readNumber(v, this.where(chunk, i, spec.counts));
        if (!(weight >= 0) || !Number.isFinite(weight))
          throw new DataError(
            `counts must be non-negative numbers, got ${JSON.stringify(v)}`,
            this.where(chunk, i, spec.counts),
          );
      }
      if (spec.utility) {
        const v = row[spec.utility];
        if (isMissing(v)) throw new DataError('missing utility value', this.where(chunk, i, spec.utility));
        this.util.push(readNumber(v, this.where(chunk, i, spec.utility)));
      }
      if (spec.id) {
        const v = row[spec.id];
        this.ids.push(idOf(v, this.where(chunk, i, spec.id)));
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
        this.checkText(attr, labels, chunk, i);
        p = this.patternKeys.length;
        this.patternIndex.set(key, p);
        this.patternKeys.push({ attr, labels });
        this.counts.push(0);
      }
      this.counts[p] += weight;
      this.rowPattern.push(p);
    }
  }

  /** a new pattern's text values, checked once (NUL, CR, control characters: categoryOf) naming the row */
  private checkText(attr: string | Token[], labels: string[] | Token[], chunk: TableChunk, i: number): void {
    const check = (t: Token | string, col: string) => {
      for (const s of Array.isArray(t) ? t : [t]) if (typeof s === 'string') categoryOf(s, this.where(chunk, i, col));
    };
    if (typeof attr === 'string') check(attr, this.spec.attributes[0]);
    else attr.forEach((t, j) => check(t, this.spec.attributes[j]));
    if (this.spec.labels.length === 1) check(labels as string[], this.spec.labels[0]);
    else (labels as Token[]).forEach((t, j) => check(t, this.spec.labels[j]));
  }

  /** near-duplicate / missing-lookalike groups per column (single column: its names; several: its text tokens) */
  private valueWarnings(attributeNames: string[], labelNames: string[]): string[] {
    const per = (role: 'attr' | 'labels', cols: string[], names: string[]) =>
      cols.length === 1
        ? nearDuplicateWarnings(cols[0], names)
        : cols.flatMap((col, j) => {
            const seen = new Set<string>();
            for (const p of this.patternKeys) {
              const t = (p[role] as Token[])[j];
              for (const s of Array.isArray(t) ? t : [t]) if (typeof s === 'string') seen.add(s);
            }
            return nearDuplicateWarnings(col, [...seen]);
          });
    return [...per('attr', this.spec.attributes, attributeNames), ...per('labels', this.spec.labels, labelNames)];
  }

  /** several-column list: how each column is read and the indicator names it contributes */
  private readColumns(role: 'attribute' | 'label'): ColumnInfo[] {
    const fixed = role === 'attribute' ? this.vocab?.columns?.attributes : this.vocab?.columns?.labels;
    if (fixed) return fixed;
    const cols = role === 'attribute' ? this.spec.attributes : this.spec.labels;
    const stats = role === 'attribute' ? this.stats.attributes : this.stats.labels;
    return cols.map((column, j) => {
      const kind = columnKind(stats[j], role);
      if (kind === 'numeric' || kind === 'boolean') return { column, role, kind, names: [column] };
      const values = new Set<string>();
      for (const p of this.patternKeys) {
        const t = (role === 'attribute' ? p.attr : p.labels)[j] as Token;
        if (Array.isArray(t)) t.forEach((x) => values.add(x));
        else if (t !== null) values.add(String(t));
      }
      if (stats[j].na) values.add('NA');
      return { column, role, kind, names: [...values].sort().map((v) => `${column}=${v}`) };
    });
  }

  /** write one pattern's tokens of a several-column list as indicator values */
  private fill(out: Float64Array, off: number, infos: ColumnInfo[], tokens: Token[], idx: Map<string, number>): void {
    const na = this.spec.missing === 'category';
    infos.forEach((info, j) => {
      const t = tokens[j];
      const at = (name: string) => {
        const a = idx.get(name);
        if (a === undefined)
          throw new DataError(`${info.role} value "${name}" did not occur when the vocabulary was built`, {
            file: this.file,
            column: info.column,
          });
        return a;
      };
      if (info.kind === 'numeric' || info.kind === 'boolean') {
        const x = t === null ? 0 : Array.isArray(t) ? NaN : numberOf(t);
        if (!(x >= 0 && x <= 1))
          throw new DataError(`${info.role} values must lie in [0, 1], got ${JSON.stringify(t)}`, {
            file: this.file,
            column: info.column,
          });
        if (x !== 0 && x !== 1) this.fractional = true;
        out[off + at(info.column)] = x;
      } else if (t === null) {
        if (na) out[off + at(`${info.column}=NA`)] = 1;
      } else for (const v of Array.isArray(t) ? t : [String(t)]) out[off + at(`${info.column}=${v}`)] = 1;
    });
  }

  finish(): EncodedTable {
    const spec = this.spec;
    if (!this.vocab) {
      if (this.rows === 0) throw new DataError('the table has no rows', { file: this.file });
      if (this.rows === this.dropped)
        throw new DataError(`all ${this.rows} rows were dropped for missing values`, { file: this.file });
    }
    if (spec.counts && !this.vocab && !(this.counts.reduce((a, b) => a + b, 0) > 0))
      throw new DataError(`every count is 0 (the table describes no rows): nothing to balance`, {
        file: this.file,
        column: spec.counts,
      });
    const multiA = spec.attributes.length > 1;
    const multiL = spec.labels.length > 1;
    const explicit = spec.combine === 'intersection' || spec.combine === 'marginal';
    let aInfo = multiA && !(explicit && !this.vocab) ? this.readColumns('attribute') : undefined;
    const lInfo = multiL ? this.readColumns('label') : undefined;
    // several attribute columns crossed or side by side (io/attributes.ts)
    let combined = this.vocab?.columns?.combined;
    let combinedNames: string[] | undefined;
    const mode = multiA && !this.vocab ? (explicit ? spec.combine : combineMode(spec.combine, aInfo ?? [])) : undefined;
    if (mode === 'intersection' || mode === 'marginal') {
      const tokens = this.patternKeys.map((p) => p.attr as Token[]);
      const g = combineGroups(mode, spec.attributes, tokens, this.file);
      [aInfo, combined, combinedNames] = [g.infos, g.combined, g.names];
    }
    // vocabularies
    let attributeNames: string[];
    if (this.vocab) attributeNames = [...this.vocab.attributes];
    else if (combinedNames) attributeNames = combinedNames;
    else if (aInfo) attributeNames = aInfo.flatMap((x) => x.names);
    else attributeNames = [...new Set(this.patternKeys.map((p) => p.attr as string))].sort();
    let labelNames: string[];
    if (this.vocab) labelNames = [...this.vocab.labels];
    else if (lInfo) labelNames = lInfo.flatMap((x) => x.names);
    else labelNames = [...new Set(this.patternKeys.flatMap((p) => p.labels as string[]))].sort();
    const warnings = this.vocab ? [] : this.valueWarnings(attributeNames, labelNames);
    if (warnings.length && spec.strict) throw new DataError(`${warnings[0]} (--strict)`, { file: this.file });
    const m = attributeNames.length;
    const c = labelNames.length;
    if (m < 2 && spec.attributes.length === 1 && !this.vocab)
      throw new DataError(
        `attribute column "${spec.attributes[0]}" has a single value (${attributeNames[0]}): balancing needs at least two groups`,
        { file: this.file, column: spec.attributes[0] },
      );
    if (m < 2 && combined && !this.vocab)
      throw new DataError(
        `attribute columns ${spec.attributes.join(', ')} hold a single ${combined.mode === 'intersection' ? 'combination' : 'value each'} ` +
          `(${attributeNames.join(', ')}): balancing needs at least two groups`,
        { file: this.file },
      );
    const aIdx = new Map(attributeNames.map((a, i) => [a, i]));
    const lIdx = new Map(labelNames.map((a, i) => [a, i]));
    let k = this.patternKeys.length;
    checkDenseSize(k, m, c, this.file);
    let S = new Float64Array(k * m);
    let Y = new Float64Array(k * c);
    this.patternKeys.forEach((p, i) => {
      const unknown = (what: string, v: string) =>
        new DataError(`${what} "${v}" did not occur when the vocabulary was built`, { file: this.file });
      if (combined) fillCombined(S, i * m, combined, p.attr as Token[], aIdx, this.file);
      else if (aInfo) this.fill(S, i * m, aInfo, p.attr as Token[], aIdx);
      else {
        const a = aIdx.get(p.attr as string);
        if (a === undefined) throw unknown('attribute value', p.attr as string);
        S[i * m + a] = 1;
      }
      if (lInfo) this.fill(Y, i * c, lInfo, p.labels as Token[], lIdx);
      else
        for (const l of p.labels as string[]) {
          const j = lIdx.get(l);
          if (j === undefined) throw unknown('label', l);
          Y[i * c + j] = 1;
        }
    });
    let w = Float64Array.from(this.counts);
    let rowToPattern = Int32Array.from(this.rowPattern);
    if ((multiA || multiL) && !spec.counts) {
      // tokens that encode alike ("1", "1.0", 1; "YES", "yes") are one pattern: merge in first-occurrence order
      const seen = new Map<string, number>();
      const remap = new Int32Array(k);
      const first: number[] = [];
      for (let i = 0; i < k; i++) {
        const key = `${S.subarray(i * m, i * m + m).join()}|${Y.subarray(i * c, i * c + c).join()}`;
        let p = seen.get(key);
        if (p === undefined) seen.set(key, (p = first.push(i) - 1));
        remap[i] = p;
      }
      if (first.length < k) {
        const S2 = new Float64Array(first.length * m);
        const Y2 = new Float64Array(first.length * c);
        const w2 = new Float64Array(first.length);
        first.forEach((i, p) => {
          S2.set(S.subarray(i * m, i * m + m), p * m);
          Y2.set(Y.subarray(i * c, i * c + c), p * c);
        });
        for (let i = 0; i < k; i++) w2[remap[i]] += w[i];
        rowToPattern = rowToPattern.map((p) => (p < 0 ? p : remap[p]));
        [S, Y, w, k] = [S2, Y2, w2, first.length];
      }
    }
    return {
      attributeNames,
      labelNames,
      patterns: { n: k, S, Y, w },
      rowToPattern,
      utility: spec.utility ? Float64Array.from(this.util) : undefined,
      ids: spec.id ? this.ids : undefined,
      rows: this.rows,
      dropped: this.dropped,
      fractional: this.fractional,
      ...(aInfo || lInfo ? { columns: { attributes: aInfo, labels: lInfo, ...(combined ? { combined } : {}) } } : {}),
      ...(warnings.length ? { warnings } : {}),
    };
  }
}
