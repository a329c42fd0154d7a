/** Float64 references for row L2 normalisation and its backward (same eps convention as the kernel). */
function rowNorm(x: ArrayLike<number>, o: number, cols: number): number {
  let s = 0;
  for (let c = 0; c < cols; c++) s += x[o + c] * x[o + c];
  return Math.sqrt(s);
}
export function l2normalizeRef(x: ArrayLike<number>, rows: number, cols: number, eps = 1e-12): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const d = Math.max(rowNorm(x, r * cols, cols), eps);
    for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] / d;
  }
  return y;
}
export function l2normalizeBackwardRef(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  rows: number,
  cols: number,
  eps = 1e-12,
): Float64Array {
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const n = rowNorm(x, o, cols);
    if (n <= eps) {
      for (let c = 0; c < cols; c++) dx[o + c] = dy[o + c] / eps;
      continue;
    }
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += (x[o + c] / n) * dy[o + c];
    for (let c = 0; c < cols; c++) dx[o + c] = (dy[o + c] - (x[o + c] / n) * dot) / n;
  }
  return dx;
}
