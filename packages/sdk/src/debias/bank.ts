// The banks (current batch followed by the FIFO queue, spec §2.2/§2.4) and the loss on them. `CpuBank` is the
// float64 reference; `GpuBank` (bank-gpu.ts) keeps the queues on the device.
import { ArgumentError } from '@m4kit/kernels';
import { debiasRowLossRef, type RowLoss } from '@m4kit/kernels/advanced';

/**
 * The query rows of one batch against the banks (interleaved per batch row) and the loss hyper-parameters.
 */
export interface BankLossInput {
  B: number;
  D: number;
  /** interleaved per batch row i: [b_I, ĝ_T*, f̂_T1, ĝ^m_T1] (B×4×D), dotted with I_all */
  xI: Float64Array;
  /** interleaved per batch row i: [b_T, ĝ_I, f̂_I, ĝ^m_I] (B×4×D), dotted with T_all */
  xT: Float64Array;
  tau: number;
  alpha: number;
  mix: number;
}

/**
 * What a bank's `loss` returns: the batch means and the gradients with respect to the trainable query rows.
 */
export interface BankLossOutput {
  /** batch means: L_ba, L_i2t, L_t2i */
  loss: RowLoss;
  /** ∂L/∂x for the two trainable rows of each group: [∂/∂b_I, ∂/∂ĝ_T*] (B×2×D) */
  dI: Float64Array;
  /** [∂/∂b_T, ∂/∂ĝ_I] (B×2×D) */
  dT: Float64Array;
}

/**
 * The image and text banks of the BA loss (the batch's features followed by a FIFO queue of earlier batches).
 */
export interface Bank {
  readonly Q: number;
  /** loss and input gradients against [f̂_I(batch); queue_I] and [f̂_T1(batch); queue_T] */
  loss(batchI: Float64Array, batchT: Float64Array, inp: BankLossInput): Promise<BankLossOutput>;
  /** FIFO write of the batch's original (f̂_I, f̂_T1) at the pointer, with wrap-around */
  enqueue(batchI: Float64Array, batchT: Float64Array, B: number): void;
  dispose(): void;
}

/** Random normal rows, normalised (the queue's initial content). */
export function randomUnitRows(rows: number, D: number, normal: () => number): Float64Array {
  const x = new Float64Array(rows * D);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) {
      const v = normal();
      x[i * D + j] = v;
      s += v * v;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < D; j++) x[i * D + j] *= inv;
  }
  return x;
}

/**
 * The float64 `Bank` (host arrays; the reference for `createGpuBank`).
 */
export class CpuBank implements Bank {
  ptr = 0;
  constructor(
    readonly D: number,
    readonly Q: number,
    readonly qI: Float64Array,
    readonly qT: Float64Array,
  ) {
    if (qI.length !== Q * D || qT.length !== Q * D) throw new ArgumentError(`queues must hold ${Q}×${D} values`);
  }

  async loss(batchI: Float64Array, batchT: Float64Array, inp: BankLossInput): Promise<BankLossOutput> {
    return bankLossRef(batchI, batchT, this.qI, this.qT, this.Q, inp);
  }

  enqueue(batchI: Float64Array, batchT: Float64Array, B: number): void {
    const D = this.D;
    for (let i = 0; i < B; i++) {
      const slot = (this.ptr + i) % this.Q;
      this.qI.set(batchI.subarray(i * D, (i + 1) * D), slot * D);
      this.qT.set(batchT.subarray(i * D, (i + 1) * D), slot * D);
    }
    this.ptr = (this.ptr + B) % this.Q;
  }

  dispose(): void {}
}

/**
 * Float64 reference of the whole bank loss (spec §2.4), one batch row at a time.
 * @param batchI - the batch's image features f̂_I (B·D).
 * @param batchT - the batch's caption features f̂_T1 (B·D).
 * @param qI - the image queue (Q·D).
 * @param qT - the text queue (Q·D).
 * @param Q - queue rows.
 * @param inp - the query rows and hyper-parameters.
 * @returns the batch means and ∂L/∂x of the trainable rows.
 */
export function bankLossRef(
  batchI: Float64Array,
  batchT: Float64Array,
  qI: Float64Array,
  qT: Float64Array,
  Q: number,
  inp: BankLossInput,
): BankLossOutput {
  const { B, D, tau } = inp;
  const N = B + Q;
  const rowI = (j: number) => (j < B ? batchI.subarray(j * D, (j + 1) * D) : qI.subarray((j - B) * D, (j - B + 1) * D));
  const rowT = (j: number) => (j < B ? batchT.subarray(j * D, (j + 1) * D) : qT.subarray((j - B) * D, (j - B + 1) * D));
  const zI = new Float64Array(4 * N);
  const zT = new Float64Array(4 * N);
  const dI = new Float64Array(B * 2 * D);
  const dT = new Float64Array(B * 2 * D);
  const tot: RowLoss = { ba: 0, i2t: 0, t2i: 0 };
  const rows = inp.mix > 0 ? 4 : 3;
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < N; j++) {
      const bi = rowI(j);
      const bt = rowT(j);
      for (let r = 0; r < rows; r++) {
        const a = (i * 4 + r) * D;
        let sI = 0;
        let sT = 0;
        for (let t = 0; t < D; t++) {
          sI += inp.xI[a + t] * bi[t];
          sT += inp.xT[a + t] * bt[t];
        }
        zI[r * N + j] = sI / tau;
        zT[r * N + j] = sT / tau;
      }
    }
    const l = debiasRowLossRef(zI, zT, N, { alpha: inp.alpha, mix: inp.mix, B });
    tot.ba += l.ba / B;
    tot.i2t += l.i2t / B;
    tot.t2i += l.t2i / B;
    for (let j = 0; j < N; j++) {
      const bi = rowI(j);
      const bt = rowT(j);
      for (let r = 0; r < 2; r++) {
        const gI = zI[r * N + j] / tau;
        const gT = zT[r * N + j] / tau;
        const o = (i * 2 + r) * D;
        for (let t = 0; t < D; t++) {
          dI[o + t] += gI * bi[t];
          dT[o + t] += gT * bt[t];
        }
      }
    }
  }
  return { loss: tot, dI, dT };
}
