// Bank on the GPU: the queues live on the device (written in place at the ring pointer); the logits
// X·bankᵀ and the input gradients ∂L/∂z·bank are matmuls through the kernels package. The per-row softmax /
// KL / cross-entropy algebra runs on the host in float64 (debiasRowLossRef) on row chunks of the logits.
import { ArgumentError, type Kernels, type Tensor } from '@m4kit/kernels';
import { debiasRowLossRef, type RowLoss } from './ba.js';
import type { Bank, BankLossInput, BankLossOutput } from './bank.js';

export async function createGpuBank(k: Kernels, D: number, Q: number, qI: Float64Array, qT: Float64Array): Promise<Bank> {
  if (k.backend !== 'webgpu') throw new ArgumentError('createGpuBank needs WebGPU kernels');
  return new GpuBank(k, D, Q, qI, qT);
}

class GpuBank implements Bank {
  ptr = 0;
  private readonly qI: Tensor;
  private readonly qT: Tensor;
  /** queue rows per matmul (bounded by the binding size) */
  private readonly qChunk: number;
  constructor(
    private readonly k: Kernels,
    readonly D: number,
    readonly Q: number,
    qI: Float64Array,
    qT: Float64Array,
  ) {
    this.qI = k.tensor(qI, [Q, D]);
    this.qT = k.tensor(qT, [Q, D]);
    this.qChunk = Math.max(1, Math.min(Q, Math.floor(k.maxBindingSize / 4 / D / 8)));
  }

  private queueView(q: Tensor, r0: number, rows: number): Tensor {
    if (r0 === 0 && rows === this.Q) return q;
    // a row range of the queue as its own tensor: copy (bindings need 256-byte aligned offsets)
    const t = this.k.empty([rows, this.D]);
    this.k.copy(q, t, { srcOffset: r0 * this.D, count: rows * this.D });
    return t;
  }

  async loss(batchI: Float64Array, batchT: Float64Array, inp: BankLossInput): Promise<BankLossOutput> {
    const { B, D, tau } = inp;
    const N = B + this.Q;
    const R = Math.max(1, Math.min(B, Math.floor(2 ** 22 / (4 * N))));
    const dI = new Float64Array(B * 2 * D);
    const dT = new Float64Array(B * 2 * D);
    const tot: RowLoss = { ba: 0, i2t: 0, t2i: 0 };
    const bI = this.k.tensor(batchI, [B, D]);
    const bT = this.k.tensor(batchT, [B, D]);
    const free: Tensor[] = [bI, bT];
    const chunks: { r0: number; rows: number; I: Tensor; T: Tensor }[] = [];
    for (let r0 = 0; r0 < this.Q; r0 += this.qChunk) {
      const rows = Math.min(this.qChunk, this.Q - r0);
      const I = this.queueView(this.qI, r0, rows);
      const T = this.queueView(this.qT, r0, rows);
      if (I !== this.qI) free.push(I, T);
      chunks.push({ r0, rows, I, T });
    }
    try {
      for (let i0 = 0; i0 < B; i0 += R) {
        const rows = Math.min(R, B - i0);
        const xI = this.k.tensor(inp.xI.subarray(i0 * 4 * D, (i0 + rows) * 4 * D), [rows * 4, D]);
        const xT = this.k.tensor(inp.xT.subarray(i0 * 4 * D, (i0 + rows) * 4 * D), [rows * 4, D]);
        // logits [rows*4, N]: batch columns first, then the queue chunks
        const ZI = new Float64Array(rows * 4 * N);
        const ZT = new Float64Array(rows * 4 * N);
        const fill = async (x: Tensor, bank: Tensor, Z: Float64Array, c0: number, cols: number) => {
          const z = this.k.matmul(x, bank, { transB: true });
          const v = await z.read();
          z.dispose();
          for (let r = 0; r < rows * 4; r++) for (let j = 0; j < cols; j++) Z[r * N + c0 + j] = v[r * cols + j] / tau;
        };
        await fill(xI, bI, ZI, 0, B);
        await fill(xT, bT, ZT, 0, B);
        for (const c of chunks) {
          await fill(xI, c.I, ZI, B + c.r0, c.rows);
          await fill(xT, c.T, ZT, B + c.r0, c.rows);
        }
        xI.dispose();
        xT.dispose();
        // host row op; gradient rows 0,1 of each group, scaled by 1/τ, gathered as [rows*2, N]
        const GI = new Float64Array(rows * 2 * N);
        const GT = new Float64Array(rows * 2 * N);
        for (let r = 0; r < rows; r++) {
          const zI = ZI.subarray(r * 4 * N, (r + 1) * 4 * N);
          const zT = ZT.subarray(r * 4 * N, (r + 1) * 4 * N);
          const l = debiasRowLossRef(zI, zT, N, { alpha: inp.alpha, mix: inp.mix, B });
          tot.ba += l.ba / B;
          tot.i2t += l.i2t / B;
          tot.t2i += l.t2i / B;
          for (let t = 0; t < 2 * N; t++) {
            GI[r * 2 * N + t] = zI[t] / tau;
            GT[r * 2 * N + t] = zT[t] / tau;
          }
        }
        const back = async (G: Float64Array, batch: Tensor, which: 'I' | 'T', out: Float64Array) => {
          const acc = new Float64Array(rows * 2 * D);
          const part = async (c0: number, cols: number, bank: Tensor) => {
            const g = new Float64Array(rows * 2 * cols);
            for (let r = 0; r < rows * 2; r++) for (let j = 0; j < cols; j++) g[r * cols + j] = G[r * N + c0 + j];
            const gt = this.k.tensor(g, [rows * 2, cols]);
            const d = this.k.matmul(gt, bank);
            const v = await d.read();
            gt.dispose();
            d.dispose();
            for (let t = 0; t < acc.length; t++) acc[t] += v[t];
          };
          await part(0, B, batch);
          for (const c of chunks) await part(B + c.r0, c.rows, which === 'I' ? c.I : c.T);
          out.set(acc, i0 * 2 * D);
        };
        await back(GI, bI, 'I', dI);
        await back(GT, bT, 'T', dT);
      }
    } finally {
      for (const t of free) t.dispose();
    }
    return { loss: tot, dI, dT };
  }

  enqueue(batchI: Float64Array, batchT: Float64Array, B: number): void {
    const D = this.D;
    const write = (q: Tensor, src: Float64Array) => {
      let i = 0;
      while (i < B) {
        const slot = (this.ptr + i) % this.Q;
        const n = Math.min(B - i, this.Q - slot);
        this.k.write(q, Float32Array.from(src.subarray(i * D, (i + n) * D)), slot * D);
        i += n;
      }
    };
    // a batch larger than the queue keeps only its last Q rows, as the ring writes would
    const skip = Math.max(0, B - this.Q);
    if (skip) {
      this.ptr = (this.ptr + skip) % this.Q;
      this.enqueue(batchI.subarray(skip * D), batchT.subarray(skip * D), B - skip);
      return;
    }
    write(this.qI, batchI);
    write(this.qT, batchT);
    this.ptr = (this.ptr + B) % this.Q;
  }

  dispose(): void {
    this.qI.dispose();
    this.qT.dispose();
  }
}
