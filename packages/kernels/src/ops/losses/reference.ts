/**
 * Float64 references for the contrastive losses of spec §3 (CLIP symmetric InfoNCE, SigLIP pairwise sigmoid),
 * with the same conventions as the WGSL kernels in `losses.ts`:
 *
 *  x_i = u_i/‖u_i‖, y_j = w_j/‖w_j‖, S = X Yᵀ, τ = exp(min(t, maxLogScale)).
 *  A row whose norm is ≤ 1e-12 or not finite is rejected (ArgumentError), never normalised to NaN.
 *
 * Per-example weights ω_i ≥ 0 (Σω > 0; ω ≡ 1 gives the unweighted spec definitions exactly):
 *  CLIP    L = ½ [ Σ_i ω_i (lse_j Z_ij − Z_ii) + Σ_j ω_j (lse_i Z_ij − Z_jj) ] / Σω,          Z = τS
 *          ∂L/∂Z_ij = [ ω_i (R_ij − δ_ij) + ω_j (C_ij − δ_ij) ] / (2Σω)   (R row-, C column-softmax of Z)
 *  SigLIP  L = (1/Σω) Σ_i ω_i Σ_j softplus(−z_ij Z_ij),   Z = τS + b,  z_ij = ±1 (i = j / i ≠ j)
 *          ∂L/∂Z_ij = ω_i (σ(Z_ij) − δ_ij) / Σω
 *  Both: ∂L/∂t = (t ≤ maxLogScale ? τ : 0) · Σ_ij ∂L/∂Z_ij S_ij (the clamp passes no gradient),
 *        ∂L/∂b = Σ_ij ∂L/∂Z_ij, ∂L/∂S = τ ∂L/∂Z, ∂L/∂X = ∂L/∂S · Y, ∂L/∂Y = (∂L/∂S)ᵀ X,
 *        ∂L/∂u_i = (I − x_i x_iᵀ) ∂L/∂x_i / ‖u_i‖.
 */
import { ArgumentError, ShapeError } from '../../runtime/errors.js';

export const NORM_EPS = 1e-12;
/** CLIP's clamp: τ ≤ 100. */
export const CLIP_MAX_LOG_SCALE: number = Math.log(100);

export interface LossRefOptions {
  /** per-example weights ω (length N, ≥ 0, Σω > 0) */
  weights?: ArrayLike<number>;
  /** τ = exp(min(t, maxLogScale)); default ln 100 for CLIP, +∞ for SigLIP */
  maxLogScale?: number;
}

export interface ClipLossRefResult {
  loss: number;
  dU: Float64Array;
  dW: Float64Array;
  dt: number;
  /** logits Z = τS (N×N) and ∂L/∂Z, for tests */
  Z: Float64Array;
  dZ: Float64Array;
}

export interface SiglipLossRefResult extends ClipLossRefResult {
  db: number;
}

function normalizeRows(
  a: ArrayLike<number>,
  N: number,
  d: number,
  name: string,
  op: string,
): { x: Float64Array; norms: Float64Array } {
  const x = new Float64Array(N * d);
  const norms = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += a[i * d + c] * a[i * d + c];
    const n = Math.sqrt(s);
    if (!(n > NORM_EPS) || !Number.isFinite(n)) {
      throw new ArgumentError(
        `${op}: ${name} row ${i} has a zero (≤ ${NORM_EPS}) or non-finite L2 norm; embeddings must be non-zero and finite`,
      );
    }
    norms[i] = n;
    for (let c = 0; c < d; c++) x[i * d + c] = a[i * d + c] / n;
  }
  return { x, norms };
}

export function checkWeightsRef(
  w: ArrayLike<number> | undefined,
  N: number,
  op: string,
): { w: Float64Array; sum: number } {
  const out = new Float64Array(N);
  if (!w) {
    out.fill(1);
    return { w: out, sum: N };
  }
  if (w.length !== N) throw new ShapeError(`${op}: weights has ${w.length} entries, expected N = ${N}`);
  let sum = 0;
  for (let i = 0; i < N; i++) {
    if (!(w[i] >= 0) || !Number.isFinite(w[i]))
      throw new ArgumentError(`${op}: weights[${i}] = ${w[i]} must be finite and ≥ 0`);
    out[i] = w[i];
    sum += w[i];
  }
  if (!(sum > 0)) throw new ArgumentError(`${op}: weights sum to ${sum}; Σω must be > 0`);
  return { w: out, sum };
}

function checkDims(U: ArrayLike<number>, W: ArrayLike<number>, N: number, d: number, op: string): void {
  if (!(Number.isInteger(N) && N >= 1 && Number.isInteger(d) && d >= 1))
    throw new ShapeError(`${op}: need N ≥ 1 and d ≥ 1, got N = ${N}, d = ${d}`);
  if (U.length !== N * d || W.length !== N * d)
    throw new ShapeError(`${op}: U (${U.length}) and W (${W.length}) must both hold N·d = ${N * d} values`);
}

/** Back-propagate ∂L/∂S through S = X Yᵀ and the row normalisations. */
function backward(
  dS: Float64Array,
  x: Float64Array,
  y: Float64Array,
  nu: Float64Array,
  nw: Float64Array,
  N: number,
  d: number,
): { dU: Float64Array; dW: Float64Array } {
  const dX = new Float64Array(N * d);
  const dY = new Float64Array(N * d);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const g = dS[i * N + j];
      if (g === 0) continue;
      for (let c = 0; c < d; c++) {
        dX[i * d + c] += g * y[j * d + c];
        dY[j * d + c] += g * x[i * d + c];
      }
    }
  }
  const proj = (dx: Float64Array, xx: Float64Array, n: Float64Array) => {
    const out = new Float64Array(N * d);
    for (let i = 0; i < N; i++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += xx[i * d + c] * dx[i * d + c];
      for (let c = 0; c < d; c++) out[i * d + c] = (dx[i * d + c] - xx[i * d + c] * dot) / n[i];
    }
    return out;
  };
  return { dU: proj(dX, x, nu), dW: proj(dY, y, nw) };
}

function cosines(x: Float64Array, y: Float64Array, N: number, d: number): Float64Array {
  const S = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += x[i * d + c] * y[j * d + c];
      S[i * N + j] = s;
    }
  return S;
}

function scaleOf(t: number, maxLog: number, op: string, name: string): { tau: number; dtau: number } {
  if (!Number.isFinite(t)) throw new ArgumentError(`${op}: ${name} = ${t} must be finite`);
  const tau = Math.exp(Math.min(t, maxLog));
  return { tau, dtau: t <= maxLog ? tau : 0 };
}

/** Float64 CLIP loss and gradients (spec §3.1; weighted form in the file header). U, W: [N, d] row-major. */
export function clipLossRef(
  U: ArrayLike<number>,
  W: ArrayLike<number>,
  N: number,
  d: number,
  t: number,
  opts: LossRefOptions = {},
): ClipLossRefResult {
  checkDims(U, W, N, d, 'clipLossRef');
  return clipLossRefUnchecked(U, W, N, d, t, opts);
}

/**
 * The body of `clipLossRef` without its shape checks (the CPU backend's `clipLoss`: the `Kernels` door checked the
 * shapes); it still rejects what only the values show (zero-norm rows, bad weights or t), as `clipLossRef` does.
 */
export function clipLossRefUnchecked(
  U: ArrayLike<number>,
  W: ArrayLike<number>,
  N: number,
  d: number,
  t: number,
  opts: LossRefOptions = {},
): ClipLossRefResult {
  const op = 'clipLossRef';
  const { x, norms: nu } = normalizeRows(U, N, d, 'U', op);
  const { x: y, norms: nw } = normalizeRows(W, N, d, 'W', op);
  const { w, sum: sw } = checkWeightsRef(opts.weights, N, op);
  const { tau, dtau } = scaleOf(t, opts.maxLogScale ?? CLIP_MAX_LOG_SCALE, op, 't');
  const S = cosines(x, y, N, d);
  const Z = S.map((s) => tau * s);
  const rowLse = new Float64Array(N);
  const colLse = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let m = -Infinity;
    for (let j = 0; j < N; j++) m = Math.max(m, Z[i * N + j]);
    let s = 0;
    for (let j = 0; j < N; j++) s += Math.exp(Z[i * N + j] - m);
    rowLse[i] = m + Math.log(s);
  }
  for (let j = 0; j < N; j++) {
    let m = -Infinity;
    for (let i = 0; i < N; i++) m = Math.max(m, Z[i * N + j]);
    let s = 0;
    for (let i = 0; i < N; i++) s += Math.exp(Z[i * N + j] - m);
    colLse[j] = m + Math.log(s);
  }
  let loss = 0;
  for (let i = 0; i < N; i++) loss += w[i] * (rowLse[i] - Z[i * N + i]) + w[i] * (colLse[i] - Z[i * N + i]);
  loss /= 2 * sw;
  const dZ = new Float64Array(N * N);
  const dS = new Float64Array(N * N);
  let dtSum = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      const z = Z[i * N + j];
      const dij = i === j ? 1 : 0;
      const g = (w[i] * (Math.exp(z - rowLse[i]) - dij) + w[j] * (Math.exp(z - colLse[j]) - dij)) / (2 * sw);
      dZ[i * N + j] = g;
      dS[i * N + j] = tau * g;
      dtSum += g * S[i * N + j];
    }
  const { dU, dW } = backward(dS, x, y, nu, nw, N, d);
  return { loss, dU, dW, dt: dtau * dtSum, Z, dZ };
}

/** softplus(a) = max(a, 0) + log1p(exp(−|a|)) */
export function softplus(a: number): number {
  return Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
}
/** σ(a), stable for any |a| */
export function sigmoid(a: number): number {
  if (a >= 0) return 1 / (1 + Math.exp(-a));
  const e = Math.exp(a);
  return e / (1 + e);
}

/** Float64 SigLIP loss and gradients (spec §3.2; weighted form in the file header). */
export function siglipLossRef(
  U: ArrayLike<number>,
  W: ArrayLike<number>,
  N: number,
  d: number,
  tPrime: number,
  b: number,
  opts: LossRefOptions = {},
): SiglipLossRefResult {
  checkDims(U, W, N, d, 'siglipLossRef');
  return siglipLossRefUnchecked(U, W, N, d, tPrime, b, opts);
}

/** The body of `siglipLossRef` without its shape checks (the CPU backend's `siglipLoss`; as `clipLossRefUnchecked`). */
export function siglipLossRefUnchecked(
  U: ArrayLike<number>,
  W: ArrayLike<number>,
  N: number,
  d: number,
  tPrime: number,
  b: number,
  opts: LossRefOptions = {},
): SiglipLossRefResult {
  const op = 'siglipLossRef';
  const { x, norms: nu } = normalizeRows(U, N, d, 'U', op);
  const { x: y, norms: nw } = normalizeRows(W, N, d, 'W', op);
  const { w, sum: sw } = checkWeightsRef(opts.weights, N, op);
  const { tau, dtau } = scaleOf(tPrime, opts.maxLogScale ?? Infinity, op, "t'");
  if (!Number.isFinite(b)) throw new ArgumentError(`${op}: b = ${b} must be finite`);
  const S = cosines(x, y, N, d);
  const Z = S.map((s) => tau * s + b);
  const dZ = new Float64Array(N * N);
  const dS = new Float64Array(N * N);
  let loss = 0;
  let dtSum = 0;
  let db = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      const z = Z[i * N + j];
      const sgn = i === j ? 1 : -1;
      loss += w[i] * softplus(-sgn * z);
      const g = (w[i] * (-sgn * sigmoid(-sgn * z))) / sw;
      dZ[i * N + j] = g;
      dS[i * N + j] = tau * g;
      dtSum += g * S[i * N + j];
      db += g;
    }
  const { dU, dW } = backward(dS, x, y, nu, nw, N, d);
  return { loss: loss / sw, dU, dW, dt: dtau * dtSum, db, Z, dZ };
}
