import { reduceRef } from '../reduce/reference.js';
/** Float64 softmax reference along an axis of a row-major [rows, cols] array. */
export function softmaxRef(x: ArrayLike<number>, rows: number, cols: number, axis: 0 | 1): Float64Array {
  const l = reduceRef(x, rows, cols, 'logsumexp', axis);
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - l[axis === 1 ? r : c]);
  return y;
}
