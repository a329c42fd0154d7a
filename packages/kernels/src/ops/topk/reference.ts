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

const F32_MAX = 3.4028234663852886e38;

/**
 * `topk` with segments as the surface defines it: each segment's top-k side by side ([rows, segments·k]; unfilled
 * slots −FLT_MAX and index 0xffffffff; NaN never selected). Without `segment`, one segment per row.
 */
export function topkSegmentsRef(
  x: Float64Array | Uint32Array,
  r: number,
  c: number,
  k: number,
  segment?: number,
): { values: Float64Array; indices: Uint32Array; shape: [number, number] } {
  if (segment === undefined) {
    const { values, indices } = topkRef(x, r, c, k);
    return { values: Float64Array.from(values), indices: Uint32Array.from(indices), shape: [r, k] };
  }
  const segs = Math.max(1, Math.ceil(c / segment));
  const ko = segs * k;
  const values = new Float64Array(r * ko).fill(-F32_MAX);
  const indices = new Uint32Array(r * ko).fill(0xffffffff);
  for (let row = 0; row < r; row++) {
    for (let s = 0; s < segs; s++) {
      const c0 = s * segment;
      const len = Math.min(segment, c - c0);
      const seg = x.subarray(row * c + c0, row * c + c0 + len);
      const kk = Math.min(k, len);
      const top = topkRef(seg, 1, len, kk);
      const filled = Array.from(seg).filter((v) => !Number.isNaN(v)).length;
      for (let j = 0; j < Math.min(kk, filled); j++) {
        values[row * ko + s * k + j] = top.values[j];
        indices[row * ko + s * k + j] = c0 + top.indices[j];
      }
    }
  }
  return { values, indices, shape: [r, ko] };
}
