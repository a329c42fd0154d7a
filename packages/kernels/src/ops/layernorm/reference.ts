/**
 * Float64 reference for `layerNorm` (PyTorch `nn.LayerNorm(width, eps)` over the last axis):
 *   y = (x − µ) / √(σ² + eps) · γ + β,   µ = mean(x),  σ² = mean((x − µ)²)   (biased variance)
 * x: [rows, width] row-major, γ and β: [width].
 */
import { ArgumentError, ShapeError } from '../../runtime/errors.js';

export function layerNormRef(
  x: ArrayLike<number>,
  rows: number,
  width: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps = 1e-5,
): Float64Array {
  if (x.length !== rows * width)
    throw new ShapeError(`layerNormRef: x has ${x.length} elements, expected ${rows}×${width}`);
  if (gamma.length !== width || beta.length !== width)
    throw new ShapeError(`layerNormRef: γ has ${gamma.length} and β ${beta.length} elements, expected ${width}`);
  if (!(eps >= 0)) throw new ArgumentError(`layerNormRef: eps must be ≥ 0, got ${eps}`);
  const y = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    // scale by the row's largest magnitude first so squares of large values stay finite (float64 too)
    let m = 0;
    for (let j = 0; j < width; j++) m = Math.max(m, Math.abs(x[o + j]));
    const s = m > 0 && Number.isFinite(m) ? m : 1;
    let mu = 0;
    for (let j = 0; j < width; j++) mu += x[o + j] / s;
    mu /= width;
    let v = 0;
    for (let j = 0; j < width; j++) v += (x[o + j] / s - mu) ** 2;
    v /= width;
    const inv = 1 / Math.sqrt(v + eps / (s * s));
    for (let j = 0; j < width; j++) y[o + j] = (x[o + j] / s - mu) * inv * gamma[j] + beta[j];
  }
  return y;
}
