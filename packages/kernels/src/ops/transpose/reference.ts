// Float64 references for the layout helpers.

/** [rows, cols] → [cols, rows]. */
export function transposeRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

/** acc + part (a new array). */
export function accumulateRef(acc: ArrayLike<number>, part: ArrayLike<number>): Float64Array {
  return Float64Array.from(acc, (a, i) => a + part[i]);
}
