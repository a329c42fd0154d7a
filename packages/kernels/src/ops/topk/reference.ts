/** Float64 per-row top-k reference: descending values, ties broken by lower index, NaN skipped. */
export function topkRef(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  k: number,
): { values: Float64Array; indices: Uint32Array } {
  const values = new Float64Array(rows * k);
  const indices = new Uint32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: cols }, (_, c) => c).filter((c) => !Number.isNaN(x[r * cols + c]));
    idx.sort((a, b) => x[r * cols + b] - x[r * cols + a] || a - b);
    for (let j = 0; j < k && j < idx.length; j++) {
      values[r * k + j] = x[r * cols + idx[j]];
      indices[r * k + j] = idx[j];
    }
  }
  return { values, indices };
}
