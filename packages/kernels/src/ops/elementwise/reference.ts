/** Float64 references for elementwise ops. */
export function scaleRef(x: ArrayLike<number>, alpha: number): Float64Array {
  return Float64Array.from(x, (v) => alpha * v);
}
export function axpyRef(alpha: number, x: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => alpha * v + y[i]);
}
export function clipRef(x: ArrayLike<number>, lo: number, hi: number): Float64Array {
  return Float64Array.from(x, (v) => Math.min(Math.max(v, lo), hi));
}
