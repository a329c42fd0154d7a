// Row → pattern compression: rows with identical (s, y) get the same q (spec §1.5), so the solver can run on
// the distinct patterns weighted by their counts.
import { ArgumentError } from '@m4kit/kernels';
import { validateBalanceData } from './engine-cpu.js';
import type { BalanceData } from './types.js';

/** Distinct (attributes, labels) patterns with their multiplicities and the row → pattern map. */
export interface CompressedPatterns {
  /** distinct (s, y) rows; `w` holds the summed multiplicity (count, or Σ w of the merged rows) */
  patterns: BalanceData;
  /** for each input row, the index of its pattern */
  rowToPattern: Uint32Array;
}

/**
 * Merges rows with identical (s, y) values (exact float equality; −0 and 0 are merged). Requires data without
 * utility (rows with different u_i have different q_i): throws `ArgumentError` if `data.u` is given.
 * Rows with weight 0 are kept (mapped to their pattern) and add 0 to its count.
 * @param data - rows without utility.
 * @returns the distinct patterns (S, Y, counts) and each row's pattern index.
 * @throws ArgumentError when the data has a utility.
 */
export function compressPatterns(data: BalanceData): CompressedPatterns {
  if (data != null && data.u != null) {
    throw new ArgumentError(
      'data.u: compressPatterns needs data without utility (rows with different u have different q)',
    );
  }
  validateBalanceData(data);
  const { n, m, c, S, Y, w } = data;
  const d = m + c;
  const map = new Map<string, number>();
  const rowToPattern = new Uint32Array(n);
  const firstRow: number[] = [];
  const counts: number[] = [];
  const key = new Array<number>(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) key[k] = S[i * m + k] + 0; // + 0 turns −0 into 0
    for (let r = 0; r < c; r++) key[m + r] = Y[i * c + r] + 0;
    const ks = key.join(',');
    let p = map.get(ks);
    if (p === undefined) {
      p = firstRow.length;
      map.set(ks, p);
      firstRow.push(i);
      counts.push(0);
    }
    rowToPattern[i] = p;
    counts[p] += w ? w[i] : 1;
  }
  const np = firstRow.length;
  const PS = new Float64Array(np * m);
  const PY = new Float64Array(np * c);
  for (let p = 0; p < np; p++) {
    const i = firstRow[p];
    for (let k = 0; k < m; k++) PS[p * m + k] = S[i * m + k];
    for (let r = 0; r < c; r++) PY[p * c + r] = Y[i * c + r];
  }
  return { patterns: { n: np, m, c, S: PS, Y: PY, w: Float64Array.from(counts) }, rowToPattern };
}

/**
 * Per-row q from per-pattern q: out[i] = qPattern[rowToPattern[i]].
 * @param qPattern - q per pattern.
 * @param rowToPattern - pattern index per row.
 * @returns q per row.
 * @throws ArgumentError for a pattern index out of range.
 */
export function expandPatternQ(qPattern: ArrayLike<number>, rowToPattern: Uint32Array): Float64Array {
  const out = new Float64Array(rowToPattern.length);
  for (let i = 0; i < rowToPattern.length; i++) {
    const p = rowToPattern[i];
    if (p >= qPattern.length)
      throw new ArgumentError(`rowToPattern[${i}] = ${p}: out of range for qPattern of length ${qPattern.length}`);
    out[i] = qPattern[p];
  }
  return out;
}
