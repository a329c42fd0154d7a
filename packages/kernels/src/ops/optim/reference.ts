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

export interface AdamWHyper {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export function adamwHyper(hp: AdamWHyper, op: string): Required<AdamWHyper> {
  const h = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, ...hp };
  if (!(Number.isFinite(h.lr) && h.lr >= 0)) throw new ArgumentError(`${op}: lr = ${h.lr} must be finite and ≥ 0`);
  if (!(h.beta1 >= 0 && h.beta1 < 1)) throw new ArgumentError(`${op}: beta1 = ${h.beta1} must be in [0, 1)`);
  if (!(h.beta2 >= 0 && h.beta2 < 1)) throw new ArgumentError(`${op}: beta2 = ${h.beta2} must be in [0, 1)`);
  if (!(h.eps > 0)) throw new ArgumentError(`${op}: eps = ${h.eps} must be > 0`);
  if (!(Number.isFinite(h.weightDecay) && h.weightDecay >= 0))
    throw new ArgumentError(`${op}: weightDecay = ${h.weightDecay} must be finite and ≥ 0`);
  return h;
}

/** One AdamW step in float64; returns new arrays (inputs untouched). */
export function adamwRef(
  params: ArrayLike<number>,
  grads: ArrayLike<number>,
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  step: number,
  hp: AdamWHyper & { gradScale?: number },
): { params: Float64Array; m: Float64Array; v: Float64Array } {
  const h = adamwHyper(hp, 'adamwRef');
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n)
    throw new ShapeError(`adamwRef: params, grads, m, v must have equal lengths`);
  if (!(Number.isInteger(step) && step >= 1))
    throw new ArgumentError(`adamwRef: step = ${step} must be an integer ≥ 1`);
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  const s = hp.gradScale ?? 1;
  const P = new Float64Array(n);
  const M = new Float64Array(n);
  const V = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = grads[i] * s;
    let p = params[i] * (1 - h.lr * h.weightDecay);
    const mi = h.beta1 * m[i] + (1 - h.beta1) * g;
    const vi = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    p -= (h.lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + h.eps);
    P[i] = p;
    M[i] = mi;
    V[i] = vi;
  }
  return { params: P, m: M, v: V };
}

export const CLIP_NORM_EPS = 1e-6;

/** Global L2 norm over a set of gradient tensors and the clipped gradients (float64). */
export function clipGradNormRef(
  grads: ArrayLike<number>[],
  maxNorm: number,
): { norm: number; scale: number; grads: Float64Array[] } {
  if (!(maxNorm > 0)) throw new ArgumentError(`clipGradNormRef: maxNorm = ${maxNorm} must be > 0`);
  let ss = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = Math.sqrt(ss);
  const scale = Number.isFinite(norm) ? Math.min(1, maxNorm / (norm + CLIP_NORM_EPS)) : 0;
  return { norm, scale, grads: grads.map((g) => Float64Array.from(g, (x) => (scale === 0 ? 0 : x * scale))) };
}
