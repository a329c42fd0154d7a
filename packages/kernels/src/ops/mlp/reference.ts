/**
 * Float64 references for the projection-head kernels in `mlp.ts`.
 *
 * GELU (tanh form, PyTorch `GELU(approximate='tanh')`):
 *   gelu(z) = ½ z (1 + tanh(u)),  u = c (z + a z³),  c = √(2/π), a = 0.044715
 *   gelu′(z) = ½ (1 + tanh u) + ½ z (1 − tanh² u) c (1 + 3a z²)
 * biasAct:          Y = act(X + 1·bᵀ)                    X: [M, N], b: [N], act ∈ {none, gelu}
 * biasActBackward:  dZ = dY ⊙ act′(X + 1·bᵀ),  db = Σ_rows dZ   (dZ = dY when act = none)
 * gatherRows:       Y[i, :] = X[idx[i], :]
 */
import { ArgumentError, ShapeError } from '../../runtime/errors.js';

/** The projection head's activation: 'none' or 'gelu' (tanh form). */
export type Activation = 'none' | 'gelu';
/**
 * √(2/π), the scale inside GELU's tanh approximation.
 */
export const GELU_C: number = Math.sqrt(2 / Math.PI);
/**
 * 0.044715, the cubic coefficient of GELU's tanh approximation.
 */
export const GELU_A = 0.044715;

/**
 * GELU in its tanh form: 0.5·z·(1 + tanh(√(2/π)(z + 0.044715 z³))), float64.
 * @param z - input value.
 * @returns GELU(z).
 */
export function geluRef(z: number): number {
  return 0.5 * z * (1 + Math.tanh(GELU_C * (z + GELU_A * z * z * z)));
}

/**
 * d/dz of the tanh-form GELU, float64.
 * @param z - input value.
 * @returns GELU′(z).
 */
export function geluGradRef(z: number): number {
  const t = Math.tanh(GELU_C * (z + GELU_A * z * z * z));
  return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * z * z);
}

function checkAct(act: string, op: string): void {
  if (act !== 'none' && act !== 'gelu')
    throw new ArgumentError(`${op}: unknown activation "${act}" (use 'none' or 'gelu')`);
}

/**
 * Float64 reference of `biasAct`: Y = act(X + b), X row-major [M, N].
 * @param x - M·N values.
 * @param M - rows.
 * @param N - columns.
 * @param bias - N values.
 * @param act - 'none' or 'gelu'.
 * @returns M·N values.
 * @throws ArgumentError for an unknown activation.
 */
export function biasActRef(
  x: ArrayLike<number>,
  M: number,
  N: number,
  bias: ArrayLike<number>,
  act: Activation,
): Float64Array {
  checkAct(act, 'biasActRef');
  if (x.length !== M * N || bias.length !== N)
    throw new ShapeError(`biasActRef: x has ${x.length} elements, bias ${bias.length}; expected ${M}×${N} and ${N}`);
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const z = x[i * N + j] + bias[j];
      y[i * N + j] = act === 'gelu' ? geluRef(z) : z;
    }
  }
  return y;
}

/**
 * Float64 reference of `biasActBackward`: dX = dY ⊙ act′(X + b), db = column sums of dX.
 * @param dy - M·N upstream gradient values.
 * @param x - M·N forward inputs (null when act is 'none').
 * @param M - rows.
 * @param N - columns.
 * @param bias - N forward bias values (null when act is 'none').
 * @param act - 'none' or 'gelu'.
 * @returns `dx` (M·N) and `dbias` (N).
 * @throws ArgumentError for an unknown activation or a missing x / bias with 'gelu'.
 */
export function biasActBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number> | null,
  M: number,
  N: number,
  bias: ArrayLike<number> | null,
  act: Activation,
): { dx: Float64Array; dbias: Float64Array } {
  checkAct(act, 'biasActBackwardRef');
  if (dy.length !== M * N) throw new ShapeError(`biasActBackwardRef: dy has ${dy.length} elements, expected ${M}×${N}`);
  const dx = new Float64Array(M * N);
  const dbias = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const g = act === 'gelu' ? dy[i * N + j] * geluGradRef(x![i * N + j] + bias![j]) : dy[i * N + j];
      dx[i * N + j] = g;
      dbias[j] += g;
    }
  }
  return { dx, dbias };
}

/**
 * Float64 reference of `gatherRows`: Y[i] = X[idx[i]].
 * @param x - n·d values, row-major.
 * @param n - rows of x.
 * @param d - columns.
 * @param idx - row indices in [0, n).
 * @returns idx.length·d values.
 * @throws ArgumentError naming the first index outside [0, n).
 */
export function gatherRowsRef(x: ArrayLike<number>, n: number, d: number, idx: ArrayLike<number>): Float64Array {
  const y = new Float64Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    if (!(Number.isInteger(r) && r >= 0 && r < n))
      throw new ArgumentError(`gatherRowsRef: idx[${i}] = ${r} is outside [0, ${n})`);
    for (let c = 0; c < d; c++) y[i * d + c] = x[r * d + c];
  }
  return y;
}
