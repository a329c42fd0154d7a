/**
 * Float64 reference of the bias-alignment (BA) bank loss (spec §2.4), with the semantics of `debiasLoss`.
 *
 * Inputs, per batch row i (R = 3 or 4 query rows per item, row-major [B·R, D]):
 *   xI[i] = [b_I, ĝ_T*, f̂_T1, ĝ^m_T1]  dotted with the image bank I_all (N × D)
 *   xT[i] = [b_T, ĝ_I,  f̂_I,  ĝ^m_I ]  dotted with the text bank  T_all (N × D)
 * (row 3, the momentum features, only when R = 4; it is needed only when mix > 0).
 * Logits z = x·bankᵀ/τ. With p = softmax over the N bank columns:
 *   KL_i   = Σ_j P_T (log P_T − log P_I)                        (rows 0: text bias ‖ image bias)
 *   i2t_i  = −Σ_j y_I log softmax(zT1),  y_I = (1 − mix) softmax(zT2) + mix softmax(zT3)
 *   t2i_i  = −Σ_j y_T log softmax(zI1),  y_T = (1 − mix) softmax(zI2) + mix softmax(zI3)
 * Loss means: ba = Σ KL_i / B, i2t = Σ i2t_i / B, t2i = Σ t2i_i / B; total L = α(i2t + t2i)/2 + (1 − α)·ba.
 * Gradients of L with respect to rows 0 and 1 of each item (targets are constants):
 *   ∂L/∂zI0 = (1−α)/B (P_I − P_T),   ∂L/∂zT0 = (1−α)/B P_T ⊙ (ℓ − KL),  ℓ = log P_T − log P_I
 *   ∂L/∂zT1 = α/(2B) (softmax(zT1) − y_I),   ∂L/∂zI1 = α/(2B) (softmax(zI1) − y_T)
 *   ∂L/∂x = (∂L/∂z)·bank / τ
 * Outputs dI, dT: [B·2, D] = [∂/∂xI0, ∂/∂xI1] and [∂/∂xT0, ∂/∂xT1] per item.
 */
import { ArgumentError, ShapeError } from '../../runtime/errors.js';

export interface DebiasLossHyper {
  /** temperature τ (spec 0.07) */
  tau: number;
  /** weight of L_cd (spec α = 0.3) */
  alpha: number;
  /** weight of the momentum distribution in the soft targets (0.4 from epoch 5, else 0); needs R = 4 when > 0 */
  mix: number;
}

export interface DebiasLossRefResult {
  /** batch means */
  ba: number;
  i2t: number;
  t2i: number;
  /** α(i2t + t2i)/2 + (1 − α)·ba */
  total: number;
  /** [B·2, D] */
  dI: Float64Array;
  dT: Float64Array;
  /** per-row unscaled terms [B] */
  rowKl: Float64Array;
  rowI2t: Float64Array;
  rowT2i: Float64Array;
}

/** Host checks shared by the reference and the launcher. */
export function checkDebiasHyper(op: string, h: DebiasLossHyper, R: number): void {
  if (!(h.tau > 0) || !Number.isFinite(h.tau)) throw new ArgumentError(`${op}: tau = ${h.tau} must be finite and > 0`);
  if (!(h.alpha >= 0 && h.alpha <= 1)) throw new ArgumentError(`${op}: alpha = ${h.alpha} must be in [0, 1]`);
  if (!(h.mix >= 0 && h.mix <= 1)) throw new ArgumentError(`${op}: mix = ${h.mix} must be in [0, 1]`);
  if (R !== 3 && R !== 4) throw new ArgumentError(`${op}: rowsPerItem must be 3 or 4, got ${R}`);
  if (h.mix > 0 && R !== 4)
    throw new ArgumentError(`${op}: mix = ${h.mix} > 0 needs the momentum rows (rowsPerItem 4)`);
}

function lse(z: Float64Array, o: number, N: number): number {
  let m = -Infinity;
  for (let j = 0; j < N; j++) m = Math.max(m, z[o + j]);
  let s = 0;
  for (let j = 0; j < N; j++) s += Math.exp(z[o + j] - m);
  return m + Math.log(s);
}

/** What `debiasRowLossRef` needs besides the logits. */
export interface RowLossOptions {
  /** weight of L_cd (α = 0.3) */
  alpha: number;
  /** weight of the momentum distribution in the soft targets (0.4 from epoch 5, else 0) */
  mix: number;
  /** batch size B (the loss is a batch mean) */
  B: number;
}

/** One batch row's unscaled terms: KL(P_T ‖ P_I) and the two soft cross-entropies. */
export interface RowLoss {
  /** KL(P_T ‖ P_I) */
  ba: number;
  /** −Σ y_I log softmax(zT1) */
  i2t: number;
  /** −Σ y_T log softmax(zI1) */
  t2i: number;
}

/**
 * The BA loss of one batch row in float64 (the one definition: `debiasLossRef` and the SDK's CPU bank use it).
 * Given the row's 4 + 4 logit rows against the banks (already divided by τ; zI, zT: 4×N each, row-major — rows 0
 * bias, 1 cross-modal, 2 target, 3 momentum target), returns this row's unscaled KL and cross-entropy terms and
 * overwrites rows 0 and 1 of zI and zT with ∂L/∂z of the total loss L = α(L_i2t + L_t2i)/2 + (1 − α)L_ba
 * (rows 2 and 3 are left as they are).
 * @param zI - image-side logits [4, N], rows 0 and 1 overwritten with their gradients.
 * @param zT - text-side logits [4, N], rows 0 and 1 overwritten with their gradients.
 * @param N - bank columns (batch + queue).
 * @param o - α, the momentum mix and the batch size.
 * @returns the row's KL and cross-entropy terms.
 */
export function debiasRowLossRef(zI: Float64Array, zT: Float64Array, N: number, o: RowLossOptions): RowLoss {
  const lI = lse(zI, 0, N); // image bias
  const lT = lse(zT, 0, N); // text bias
  const lt2i = lse(zI, N, N);
  const li2t = lse(zT, N, N);
  const ltgtT = lse(zI, 2 * N, N); // target for t2i: f̂_T1 vs images
  const ltgtI = lse(zT, 2 * N, N); // target for i2t: f̂_I vs texts
  const mix = o.mix;
  const lmT = mix > 0 ? lse(zI, 3 * N, N) : 0;
  const lmI = mix > 0 ? lse(zT, 3 * N, N) : 0;
  // KL(P_T ‖ P_I) and Σ P_T ℓ
  let kl = 0;
  for (let j = 0; j < N; j++) {
    const lpT = zT[j] - lT;
    const lpI = zI[j] - lI;
    kl += Math.exp(lpT) * (lpT - lpI);
  }
  let ce_i2t = 0;
  let ce_t2i = 0;
  const sBa = (1 - o.alpha) / o.B;
  const sCd = (0.5 * o.alpha) / o.B;
  for (let j = 0; j < N; j++) {
    const yI = (1 - mix) * Math.exp(zT[2 * N + j] - ltgtI) + (mix > 0 ? mix * Math.exp(zT[3 * N + j] - lmI) : 0);
    const yT = (1 - mix) * Math.exp(zI[2 * N + j] - ltgtT) + (mix > 0 ? mix * Math.exp(zI[3 * N + j] - lmT) : 0);
    const lpi2t = zT[N + j] - li2t;
    const lpt2i = zI[N + j] - lt2i;
    ce_i2t -= yI * lpi2t;
    ce_t2i -= yT * lpt2i;
    const lpT = zT[j] - lT;
    const lpI = zI[j] - lI;
    const pT = Math.exp(lpT);
    zI[j] = sBa * (Math.exp(lpI) - pT);
    zT[j] = sBa * pT * (lpT - lpI - kl);
    zT[N + j] = sCd * (Math.exp(lpi2t) - yI);
    zI[N + j] = sCd * (Math.exp(lpt2i) - yT);
  }
  return { ba: kl, i2t: ce_i2t, t2i: ce_t2i };
}

/** The BA bank loss in float64: checks its arguments, then runs `debiasLossRefUnchecked`. */
export function debiasLossRef(
  xI: ArrayLike<number>,
  xT: ArrayLike<number>,
  bankI: ArrayLike<number>,
  bankT: ArrayLike<number>,
  B: number,
  R: number,
  N: number,
  D: number,
  h: DebiasLossHyper,
): DebiasLossRefResult {
  const op = 'debiasLossRef';
  checkDebiasHyper(op, h, R);
  if (!(B >= 1 && N >= 1 && D >= 1)) throw new ShapeError(`${op}: need B, N, D ≥ 1, got ${B}, ${N}, ${D}`);
  if (xI.length !== B * R * D || xT.length !== B * R * D)
    throw new ShapeError(`${op}: xI/xT must hold ${B}·${R}×${D} values`);
  if (bankI.length !== N * D || bankT.length !== N * D) {
    throw new ShapeError(`${op}: banks must hold ${N}×${D} values`);
  }
  return debiasLossRefUnchecked(xI, xT, bankI, bankT, B, R, N, D, h);
}

/** The body of `debiasLossRef`, unchecked (the CPU backend's `debiasLoss`: the `Kernels` door checked). */
export function debiasLossRefUnchecked(
  xI: ArrayLike<number>,
  xT: ArrayLike<number>,
  bankI: ArrayLike<number>,
  bankT: ArrayLike<number>,
  B: number,
  R: number,
  N: number,
  D: number,
  h: DebiasLossHyper,
): DebiasLossRefResult {
  const { tau, alpha, mix } = h;
  const zI = new Float64Array(4 * N);
  const zT = new Float64Array(4 * N);
  const dI = new Float64Array(B * 2 * D);
  const dT = new Float64Array(B * 2 * D);
  const rowKl = new Float64Array(B);
  const rowI2t = new Float64Array(B);
  const rowT2i = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    for (let r = 0; r < R; r++) {
      const a = (i * R + r) * D;
      for (let j = 0; j < N; j++) {
        let sI = 0;
        let sT = 0;
        for (let t = 0; t < D; t++) {
          sI += xI[a + t] * bankI[j * D + t];
          sT += xT[a + t] * bankT[j * D + t];
        }
        zI[r * N + j] = sI / tau;
        zT[r * N + j] = sT / tau;
      }
    }
    const row = debiasRowLossRef(zI, zT, N, { alpha, mix, B });
    rowKl[i] = row.ba;
    rowI2t[i] = row.i2t;
    rowT2i[i] = row.t2i;
    for (let r = 0; r < 2; r++) {
      const o = (i * 2 + r) * D;
      for (let j = 0; j < N; j++) {
        const a = zI[r * N + j] / tau;
        const b = zT[r * N + j] / tau;
        for (let t = 0; t < D; t++) {
          dI[o + t] += a * bankI[j * D + t];
          dT[o + t] += b * bankT[j * D + t];
        }
      }
    }
  }
  let ba = 0;
  let i2t = 0;
  let t2i = 0;
  for (let i = 0; i < B; i++) {
    ba += rowKl[i] / B;
    i2t += rowI2t[i] / B;
    t2i += rowT2i[i] / B;
  }
  return { ba, i2t, t2i, total: alpha * 0.5 * (i2t + t2i) + (1 - alpha) * ba, dI, dT, rowKl, rowI2t, rowT2i };
}
