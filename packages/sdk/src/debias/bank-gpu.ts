// Bank on the GPU: the queues live on the device (written in place at the ring pointer); the loss and its
// input gradients run in `k.losses.debias` (logits tiled over [batch; queue], online logsumexp, softmax / KL /
// soft cross-entropy and ∂L/∂z fused in WGSL). Only the per-row sums come back (folded in float64) and the
// B×2×D input gradients. Through the `Kernels` surface only.
import { ArgumentError, type Kernels, type Tensor } from '@m4kit/kernels';
import type { Bank, BankLossInput, BankLossOutput } from './bank.js';

/**
 * The BA bank (batch + FIFO queue) on the device: queues live in GPU buffers and the loss runs through
 * `k.losses.debias`.
 * @param k - the `Kernels` that own the queues.
 * @param D - embedding dimension.
 * @param Q - queue rows.
 * @param qI - initial image queue (Q·D values).
 * @param qT - initial text queue (Q·D values).
 * @returns a `Bank`; call `dispose()` to free the queues.
 */
export async function createGpuBank(
  k: Kernels,
  D: number,
  Q: number,
  qI: Float64Array,
  qT: Float64Array,
): Promise<Bank> {
  if (k.backend !== 'webgpu') throw new ArgumentError('createGpuBank needs WebGPU kernels');
  return new GpuBank(k, D, Q, qI, qT);
}

class GpuBank implements Bank {
  ptr = 0;
  private readonly qI: Tensor;
  private readonly qT: Tensor;
  constructor(
    private readonly k: Kernels,
    readonly D: number,
    readonly Q: number,
    qI: Float64Array,
    qT: Float64Array,
  ) {
    this.qI = k.tensor(qI, [Q, D]);
    this.qT = k.tensor(qT, [Q, D]);
  }

  /** peak GPU bytes the last `loss` call allocated (the loss kernels' buffers; the queues are extra) */
  lastPeakBytes = 0;

  async loss(batchI: Float64Array, batchT: Float64Array, inp: BankLossInput): Promise<BankLossOutput> {
    const { B, D, tau, alpha, mix } = inp;
    // the momentum rows (3 of each item) enter only when mix > 0: leave them out of the logits otherwise
    const R = mix > 0 ? 4 : 3;
    const pack = (x: Float64Array) => {
      if (R === 4) return Float32Array.from(x);
      const out = new Float32Array(B * R * D);
      for (let i = 0; i < B; i++) out.set(x.subarray(i * 4 * D, (i * 4 + R) * D), i * R * D);
      return out;
    };
    const k = this.k;
    const xI = k.tensor(pack(inp.xI), [B * R, D]);
    const xT = k.tensor(pack(inp.xT), [B * R, D]);
    const bI = k.tensor(Float32Array.from(batchI), [B, D]);
    const bT = k.tensor(Float32Array.from(batchT), [B, D]);
    try {
      const inputs = { xI, xT, bankI: [bI, this.qI], bankT: [bT, this.qT] };
      const r = await k.losses.debias(inputs, { tau, alpha, mix, rowsPerItem: R });
      this.lastPeakBytes = r.peakBytes ?? 0;
      const dI = Float64Array.from(await r.dI.read());
      const dT = Float64Array.from(await r.dT.read());
      r.dI.dispose();
      r.dT.dispose();
      return { loss: { ba: r.ba, i2t: r.i2t, t2i: r.t2i }, dI, dT };
    } finally {
      for (const t of [xI, xT, bI, bT]) t.dispose();
    }
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
