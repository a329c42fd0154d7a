// Per-row engine data expanded from an encoded table (the rows path of the balance).
import type { EncodedTable } from './encode-types.js';

/**
 * Per-row engine data from an encoded table: every kept (not dropped) input row with its pattern's S and Y
 * rows, its utility, and (counts tables) its multiplicity. `rowIndex[j]` is the input row of engine row j.
 * @param enc - an encoded table.
 * @returns the per-row balance data and each engine row's input row.
 */
export function expandRows(enc: EncodedTable): {
  data: { n: number; m: number; c: number; S: Float64Array; Y: Float64Array; u?: Float64Array; w?: Float64Array };
  rowIndex: Int32Array;
} {
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
