/** Float64 references for reductions of a row-major [rows, cols] array. */
export type ReduceOpRef = 'sum' | 'mean' | 'max' | 'logsumexp';
const NEG = -3.4028234663852886e38;

function reduceVec(v: number[], op: ReduceOpRef): number {
  if (op === 'sum') return v.reduce((a, b) => a + b, 0);
  if (op === 'mean') return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  const m = v.reduce((a, b) => Math.max(a, b), NEG);
  if (op === 'max' || v.length === 0) return m;
  return m + Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0));
}

export function reduceRef(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  op: ReduceOpRef,
  axis: 0 | 1,
): Float64Array {
  if (axis === 1) {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++)
      out[r] = reduceVec(
        Array.from({ length: cols }, (_, c) => x[r * cols + c]),
        op,
      );
    return out;
  }
  const out = new Float64Array(cols);
  for (let c = 0; c < cols; c++)
    out[c] = reduceVec(
      Array.from({ length: rows }, (_, r) => x[r * cols + c]),
      op,
    );
  return out;
}

export function reduceAllRef(x: ArrayLike<number>, op: 'sum' | 'mean' | 'max'): number {
  return reduceVec(Array.from(x), op === 'mean' && x.length === 0 ? 'sum' : op);
}
