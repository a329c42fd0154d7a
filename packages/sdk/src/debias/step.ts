// One training step of the BA module (spec §2.4): forward, bank losses, hand-written backward.
import { ArgumentError } from '@m4kit/kernels';
import { adamwStepRef } from '@m4kit/kernels/advanced';
import {
  type BaParams,
  type MatmulBackend,
  type Mlp,
  imageForward,
  mlpBackward,
  normalizeBackward,
  normalizeRows,
  textForward,
} from './ba.js';
import type { Bank, BankLossOutput } from './bank.js';

/**
 * Inputs of `featureLoss`: unit features of one batch and the loss hyper-parameters.
 */
export interface FeatureLossInput {
  B: number;
  D: number;
  /** original features f̂_I, f̂_T1 (unit rows, B×D) */
  fI: Float64Array;
  fT: Float64Array;
  /** debiased features ĝ_I, ĝ_T1 and the caption actually used for t2i, ĝ_T* (unit rows) */
  gI: Float64Array;
  gT1: Float64Array;
  gTs: Float64Array;
  /** momentum-model features ĝ^m_I, ĝ^m_T1 (needed when mix > 0) */
  gmI?: Float64Array;
  gmT?: Float64Array;
  tau: number;
  alpha: number;
  mix: number;
}

/**
 * The loss terms on given features: total, BA, both cross-entropies and the combined distillation term.
 */
export interface FeatureLoss {
  total: number;
  ba: number;
  i2t: number;
  t2i: number;
  cd: number;
  /** ∂L/∂ĝ_I, ∂L/∂ĝ_T1 (text-bias path only), ∂L/∂ĝ_T* (t2i path only) */
  dgI: Float64Array;
  dgT1: Float64Array;
  dgTs: Float64Array;
}

/**
 * The loss on given unit features (spec §4.7's set-up): stacks the rows and runs the bank.
 * @param bank - the banks.
 * @param inp - the batch's unit features.
 * @returns the loss terms.
 * @throws ArgumentError when mix > 0 without momentum features.
 */
export async function featureLoss(bank: Bank, inp: FeatureLossInput): Promise<FeatureLoss> {
  const { B, D, mix } = inp;
  if (mix > 0 && (!inp.gmI || !inp.gmT)) throw new ArgumentError('momentum features are required when mix > 0');
  const xI = new Float64Array(B * 4 * D);
  const xT = new Float64Array(B * 4 * D);
  for (let i = 0; i < B; i++) {
    const s = i * D;
    const o = i * 4 * D;
    for (let t = 0; t < D; t++) {
      xI[o + t] = inp.fI[s + t] - inp.gI[s + t];
      xI[o + D + t] = inp.gTs[s + t];
      xI[o + 2 * D + t] = inp.fT[s + t];
      xI[o + 3 * D + t] = mix > 0 ? inp.gmT![s + t] : 0;
      xT[o + t] = inp.fT[s + t] - inp.gT1[s + t];
      xT[o + D + t] = inp.gI[s + t];
      xT[o + 2 * D + t] = inp.fI[s + t];
      xT[o + 3 * D + t] = mix > 0 ? inp.gmI![s + t] : 0;
    }
  }
  const out: BankLossOutput = await bank.loss(inp.fI, inp.fT, { B, D, xI, xT, tau: inp.tau, alpha: inp.alpha, mix });
  const dgI = new Float64Array(B * D);
  const dgT1 = new Float64Array(B * D);
  const dgTs = new Float64Array(B * D);
  for (let i = 0; i < B; i++) {
    const s = i * D;
    const o = i * 2 * D;
    for (let t = 0; t < D; t++) {
      dgI[s + t] = out.dT[o + D + t] - out.dI[o + t]; // i2t, and b_I = f̂_I − ĝ_I
      dgT1[s + t] = -out.dT[o + t]; // b_T = f̂_T1 − ĝ_T1
      dgTs[s + t] = out.dI[o + D + t];
    }
  }
  const { ba, i2t, t2i } = out.loss;
  const cd = (i2t + t2i) / 2;
  return { total: inp.alpha * cd + (1 - inp.alpha) * ba, ba, i2t, t2i, cd, dgI, dgT1, dgTs };
}

export function zeroGrads(p: BaParams): BaParams {
  const z = (m: Mlp): Mlp => ({
    D: m.D,
    h: m.h,
    W1: new Float64Array(m.W1.length),
    b1: new Float64Array(m.b1.length),
    W2: new Float64Array(m.W2.length),
    b2: new Float64Array(m.b2.length),
  });
  return { mlp1: z(p.mlp1), mlp2: z(p.mlp2) };
}

export interface StepInput {
  B: number;
  D: number;
  /** raw frozen embeddings (B×D): image, factual caption, counterfactual caption */
  eI: Float64Array;
  eT1: Float64Array;
  eT2: Float64Array;
  /** use the counterfactual caption for t2i this step (the per-step coin) */
  counterfactual: boolean;
  tau: number;
  alpha: number;
  mix: number;
  /** momentum parameters (needed when mix > 0) */
  momentum?: BaParams;
}

export interface StepResult extends Omit<FeatureLoss, 'dgI' | 'dgT1' | 'dgTs'> {
  grads: BaParams;
  /** the batch's original unit features, to enqueue */
  fI: Float64Array;
  fT: Float64Array;
}

/**
 * Loss and parameter gradients for one batch (does not update the queue or the parameters).
 * @param mm - the matmul backend (GPU or float64).
 * @param bank - the banks.
 * @param p - the module's parameters.
 * @param s - the batch's embeddings and hyper-parameters.
 * @returns the loss terms and the parameter gradients.
 */
export async function lossAndGrads(mm: MatmulBackend, bank: Bank, p: BaParams, s: StepInput): Promise<StepResult> {
  const { B, D } = s;
  const fI = normalizeRows(s.eI, B, D, 'image embeddings').u;
  const fT = normalizeRows(s.eT1, B, D, 'caption embeddings').u;
  const im = await imageForward(mm, p, s.eI, B);
  const t1 = await textForward(mm, p, s.eT1, B);
  const t2 = s.counterfactual ? await textForward(mm, p, s.eT2, B) : undefined;
  const nI = normalizeRows(im.g, B, D, 'debiased image embeddings');
  const nT1 = normalizeRows(t1.g, B, D, 'debiased caption embeddings');
  const nT2 = t2 ? normalizeRows(t2.g, B, D, 'debiased counterfactual caption embeddings') : undefined;
  let gmI: Float64Array | undefined;
  let gmT: Float64Array | undefined;
  if (s.mix > 0) {
    if (!s.momentum) throw new ArgumentError('momentum parameters are required when mix > 0');
    gmI = normalizeRows((await imageForward(mm, s.momentum, s.eI, B)).g, B, D, 'momentum image embeddings').u;
    gmT = normalizeRows((await textForward(mm, s.momentum, s.eT1, B)).g, B, D, 'momentum caption embeddings').u;
  }
  const fl = await featureLoss(bank, {
    B,
    D,
    fI,
    fT,
    gI: nI.u,
    gT1: nT1.u,
    gTs: nT2 ? nT2.u : nT1.u,
    gmI,
    gmT,
    tau: s.tau,
    alpha: s.alpha,
    mix: s.mix,
  });
  const grads = zeroGrads(p);
  // text branches through the shared mlp2 (residual: ∂g/∂out = I)
  let dT1 = fl.dgT1;
  if (!nT2) {
    dT1 = dT1.slice();
    for (let i = 0; i < dT1.length; i++) dT1[i] += fl.dgTs[i];
  }
  await mlpBackward(mm, p.mlp2, t1.tape, normalizeBackward(nT1.u, nT1.norms, dT1, B, D), grads.mlp2, false);
  if (nT2 && t2)
    await mlpBackward(mm, p.mlp2, t2.tape, normalizeBackward(nT2.u, nT2.norms, fl.dgTs, B, D), grads.mlp2, false);
  // image: g = mlp2(u) + e, u = mlp1(e) + e
  const dgI = normalizeBackward(nI.u, nI.norms, fl.dgI, B, D);
  const dU = (await mlpBackward(mm, p.mlp2, im.tape.m2, dgI, grads.mlp2, true))!;
  await mlpBackward(mm, p.mlp1, im.tape.m1, dU, grads.mlp1, false);
  return { total: fl.total, ba: fl.ba, i2t: fl.i2t, t2i: fl.t2i, cd: fl.cd, grads, fI, fT };
}

/**
 * Adam (PyTorch semantics, no weight decay), float64 on the host: the parameters are small next to the banks. Each
 * step is the kernels' float64 AdamW step (`adamwStepRef`, weight decay 0) on every parameter tensor.
 */
export class Adam {
  private m: Float64Array[];
  private v: Float64Array[];
  private t = 0;
  constructor(
    params: Float64Array[],
    readonly lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }
  step(params: Float64Array[], grads: Float64Array[]): void {
    this.t++;
    const options = { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: 0 };
    for (let k = 0; k < params.length; k++) adamwStepRef(params[k], grads[k], this.m[k], this.v[k], this.t, options);
  }
}
