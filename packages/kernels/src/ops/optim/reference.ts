/**
 * Float64 references for the optimizer kernels in `optim.ts`.
 *
 * AdamW (Loshchilov & Hutter; PyTorch `torch.optim.AdamW` semantics), step k ≥ 1, g scaled by `gradScale`:
 *   p ← p · (1 − lr·λ)                         (decoupled weight decay)
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
 *   p ← p − lr · (m / (1 − β1^k)) / (sqrt(v / (1 − β2^k)) + ε)
 *
 * Global gradient-norm clipping (PyTorch `clip_grad_norm_`, L2):
 *   ‖g‖ = sqrt(Σ_tensors Σ g²),  scale = min(1, maxNorm / (‖g‖ + 1e-6)),  g ← scale · g.
 *   A non-finite ‖g‖ gives scale = 0 (gradients zeroed) and ‖g‖ is reported as is.
 */
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import type { GpuTensor } from '../../runtime/context.js';

/**
 * AdamW step options: the hyper-parameters (defaults β1 0.9, β2 0.999, ε 1e-8, weight decay 0.01) and an optional
 * gradient scale — a [1] tensor on the device (`T`), a number in the float64 reference.
 */
export interface AdamWOptions<T = GpuTensor> {
  /** learning rate (finite, ≥ 0) */
  lr: number;
  /** first-moment decay, in [0, 1) */
  beta1?: number;
  /** second-moment decay, in [0, 1) */
  beta2?: number;
  /** added to the denominator, > 0 */
  eps?: number;
  /** decoupled weight decay λ (finite, ≥ 0) */
  weightDecay?: number;
  /** multiply the gradients by this first (e.g. `clipGradNorm(...).scale`); 0 zeroes them */
  gradScale?: T;
}

/** The AdamW hyper-parameters with their defaults filled in. */
export type AdamWHyperParams = Required<Omit<AdamWOptions<never>, 'gradScale'>>;

/** Checks the hyper-parameters and fills the defaults; errors name `op`. */
export function adamwHyper(options: AdamWOptions<unknown>, op: string): AdamWHyperParams {
  const h = adamwDefaults(options);
  if (!(Number.isFinite(h.lr) && h.lr >= 0)) throw new ArgumentError(`${op}: lr = ${h.lr} must be finite and ≥ 0`);
  if (!(h.beta1 >= 0 && h.beta1 < 1)) throw new ArgumentError(`${op}: beta1 = ${h.beta1} must be in [0, 1)`);
  if (!(h.beta2 >= 0 && h.beta2 < 1)) throw new ArgumentError(`${op}: beta2 = ${h.beta2} must be in [0, 1)`);
  if (!(h.eps > 0)) throw new ArgumentError(`${op}: eps = ${h.eps} must be > 0`);
  if (!(Number.isFinite(h.weightDecay) && h.weightDecay >= 0))
    throw new ArgumentError(`${op}: weightDecay = ${h.weightDecay} must be finite and ≥ 0`);
  return h;
}

/** The hyper-parameters with their defaults, unchecked (`adamwHyper` checks them; the unchecked launcher body). */
export function adamwDefaults(options: AdamWOptions<unknown>): AdamWHyperParams {
  const d = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, ...options };
  return { lr: d.lr, beta1: d.beta1, beta2: d.beta2, eps: d.eps, weightDecay: d.weightDecay };
}

/**
 * One AdamW step in float64, in place on `params`, `m` and `v` (the one host Adam: the reference below and the
 * SDK's BA module use it). Checks its arguments, then runs `adamwStepRefUnchecked`.
 * @param params - parameters, updated in place.
 * @param grads - gradients (same length).
 * @param m - first moments, updated in place.
 * @param v - second moments, updated in place.
 * @param step - step number, from 1 (bias correction).
 * @param options - learning rate, betas, eps, weight decay, gradient scale.
 */
export function adamwStepRef(
  params: Float64Array,
  grads: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  step: number,
  options: AdamWOptions<number>,
): void {
  adamwHyper(options, 'adamwRef');
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n)
    throw new ShapeError(`adamwRef: params, grads, m, v must have equal lengths`);
  if (!(Number.isInteger(step) && step >= 1))
    throw new ArgumentError(`adamwRef: step = ${step} must be an integer ≥ 1`);
  adamwStepRefUnchecked(params, grads, m, v, step, options);
}

/** The body of `adamwStepRef`, unchecked (the CPU backend's `adamw`: the `Kernels` door checked). */
export function adamwStepRefUnchecked(
  params: Float64Array,
  grads: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  step: number,
  options: AdamWOptions<number>,
): void {
  const h = adamwDefaults(options);
  const n = params.length;
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  const s = options.gradScale ?? 1;
  for (let i = 0; i < n; i++) {
    const g = grads[i] * s;
    let p = params[i] * (1 - h.lr * h.weightDecay);
    const mi = h.beta1 * m[i] + (1 - h.beta1) * g;
    const vi = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    p -= (h.lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + h.eps);
    params[i] = p;
    m[i] = mi;
    v[i] = vi;
  }
}

/** One AdamW step in float64; returns new arrays (inputs untouched). */
export function adamwRef(
  params: ArrayLike<number>,
  grads: ArrayLike<number>,
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  step: number,
  options: AdamWOptions<number>,
): { params: Float64Array; m: Float64Array; v: Float64Array } {
  const P = Float64Array.from(params);
  const M = Float64Array.from(m);
  const V = Float64Array.from(v);
  adamwStepRef(P, grads, M, V, step, options);
  return { params: P, m: M, v: V };
}

export const CLIP_NORM_EPS = 1e-6;

/** Global L2 norm over a set of gradient tensors and the clipped gradients (float64). */
export function clipGradNormRef(
  grads: ArrayLike<number>[],
  maxNorm: number,
): { norm: number; scale: number; grads: Float64Array[] } {
  if (!(maxNorm > 0)) throw new ArgumentError(`clipGradNormRef: maxNorm = ${maxNorm} must be > 0`);
  return clipGradNormRefUnchecked(grads, maxNorm);
}

/** The body of `clipGradNormRef`, unchecked (the CPU backend's `clipGradNorm`: the `Kernels` door checked). */
export function clipGradNormRefUnchecked(
  grads: ArrayLike<number>[],
  maxNorm: number,
): { norm: number; scale: number; grads: Float64Array[] } {
  let ss = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = Math.sqrt(ss);
  const scale = Number.isFinite(norm) ? Math.min(1, maxNorm / (norm + CLIP_NORM_EPS)) : 0;
  return { norm, scale, grads: grads.map((g) => Float64Array.from(g, (x) => (scale === 0 ? 0 : x * scale))) };
}
