// MomentsEngine on the GPU: rows live on the device in chunks (each within the binding limit and one
// dispatch); a pass runs the fused WGSL moments kernel per chunk and folds the block partials in float64.
import {
  ArgumentError,
  foldHessianPartials,
  foldMomentsPartials,
  HESSIAN_MAX_K,
  momentsHessianPass,
  momentsOutputs,
  momentsPass,
  planRows,
  ShapeError,
  type GpuContext,
  type GpuTensor,
} from '@m4kit/kernels';
import { validatePi } from './engine-cpu.js';
import type { BalanceData, MomentsEngine, MomentsSums } from './types.js';

interface Chunk {
  rows: number;
  start: number;
  S: GpuTensor;
  Y: GpuTensor;
  u?: GpuTensor;
  w?: GpuTensor;
}

class GpuMomentsEngine implements MomentsEngine {
  readonly n: number;
  readonly m: number;
  readonly c: number;
  readonly pi: Float64Array;
  private frob: number;
  constructor(
    private readonly ctx: GpuContext,
    private readonly chunks: Chunk[],
    data: BalanceData,
    pi: Float64Array,
  ) {
    this.n = data.n;
    this.m = data.m;
    this.c = data.c;
    this.pi = pi;
    // Σ w (2‖d‖² + 1), ‖d‖² = ‖s − π‖² (1 + ‖y‖²): computed once on the host while the data is at hand
    let f = 0;
    for (let i = 0; i < data.n; i++) {
      let ds = 0;
      for (let k = 0; k < data.m; k++) ds += (data.S[i * data.m + k] - pi[k]) ** 2;
      let yy = 1;
      for (let r = 0; r < data.c; r++) yy += data.Y[i * data.c + r] ** 2;
      f += (data.w ? data.w[i] : 1) * (2 * ds * yy + 1);
    }
    this.frob = f;
  }

  async pass(W: Float64Array, mu: number, eta: number, fixedQ?: number): Promise<MomentsSums> {
    const parts = this.chunks.map((ch) => momentsPass(this.ctx, ch, { W, pi: this.pi, mu, eta, fixedQ }));
    const acc = new Float64Array(momentsOutputs(this.m, this.c));
    for (const p of parts) {
      foldMomentsPartials(await p.read(), this.m, this.c, acc);
      p.dispose();
    }
    return unpack(acc, this.m, this.c, this.pi);
  }

  async q(W: Float64Array, mu: number, eta: number): Promise<Float64Array> {
    const out = new Float64Array(this.n);
    const pending = this.chunks.map((ch) => {
      const qOut = this.ctx.empty([ch.rows]);
      const part = momentsPass(this.ctx, ch, { W, pi: this.pi, mu, eta, qOut });
      return { ch, qOut, part };
    });
    for (const { ch, qOut, part } of pending) {
      out.set(await qOut.read(), ch.start);
      qOut.dispose();
      part.dispose();
    }
    return out;
  }

  async frobenius(): Promise<number> {
    return this.frob;
  }

  /** The generalised Hessian (ops/moments/hessian.ts), each chunk strided from its own first row. */
  async hessian(W: Float64Array, mu: number, eta: number, stride = 1): Promise<Float64Array> {
    const K = this.m * (this.c + 1) + 1;
    if (K > HESSIAN_MAX_K) {
      throw new ArgumentError(`hessian: K = m(c+1)+1 = ${K} > ${HESSIAN_MAX_K}; use the first-order solver`);
    }
    const parts = this.chunks.map((ch) => momentsHessianPass(this.ctx, ch, { W, pi: this.pi, mu, eta, stride }));
    const H = new Float64Array(K * K);
    for (const p of parts) {
      foldHessianPartials(await p.read(), this.m, this.c, H);
      p.dispose();
    }
    return H;
  }

  dispose(): void {
    for (const ch of this.chunks) for (const t of [ch.S, ch.Y, ch.u, ch.w]) t?.dispose();
  }
}

/** Unpack [P (m×(c+1)), g (c+1), Σw, Σo] into MomentsSums with D = P − π gᵀ. */
export function unpack(acc: Float64Array, m: number, c: number, pi: ArrayLike<number>): MomentsSums {
  const c1 = c + 1;
  const D = new Float64Array(m * c1);
  for (let k = 0; k < m; k++) for (let r = 0; r < c1; r++) D[k * c1 + r] = acc[k * c1 + r] - pi[k] * acc[m * c1 + r];
  return {
    sumW: acc[(m + 1) * c1],
    sumQ: acc[m * c1],
    D,
    qy: acc.slice(m * c1 + 1, m * c1 + c1),
    obj: acc[(m + 1) * c1 + 1],
  };
}

export interface GpuEngineOptions {
  /** rows per chunk (default: as many as the binding limit and one dispatch allow) */
  chunkRows?: number;
}

/** Upload the data in row chunks and return a GPU MomentsEngine. */
export function createGpuEngine(
  ctx: GpuContext,
  data: BalanceData,
  pi: ArrayLike<number>,
  opts: GpuEngineOptions = {},
): MomentsEngine {
  const { n, m, c } = data;
  if (data.S.length !== n * m) throw new ShapeError(`S has ${data.S.length} entries, expected n×m = ${n * m}`);
  if (data.Y.length !== n * c) throw new ShapeError(`Y has ${data.Y.length} entries, expected n×c = ${n * c}`);
  if (data.u && data.u.length !== n) throw new ShapeError(`u has ${data.u.length} entries, expected n = ${n}`);
  if (data.w && data.w.length !== n) throw new ShapeError(`w has ${data.w.length} entries, expected n = ${n}`);
  validatePi(pi, m);
  const maxRows = opts.chunkRows ?? 65535 * 64;
  const plan = n === 0 ? [[0, 0] as [number, number]] : planRows(ctx, 'balance', n, [m, Math.max(1, c)], maxRows);
  const chunks: Chunk[] = plan.map(([start, rows]) => ({
    start,
    rows,
    S: ctx.tensor(f32(data.S, start * m, rows * m), [rows, m]),
    Y: ctx.tensor(f32(data.Y, start * c, rows * c), [rows, c]),
    u: data.u ? ctx.tensor(f32(data.u, start, rows), [rows]) : undefined,
    w: data.w ? ctx.tensor(f32(data.w, start, rows), [rows]) : undefined,
  }));
  return new GpuMomentsEngine(ctx, chunks, data, Float64Array.from(pi));
}

function f32(
  a: ArrayLike<number> & { subarray?: (s: number, e: number) => ArrayLike<number> },
  start: number,
  count: number,
): Float32Array {
  const src = (a as Float64Array).subarray
    ? (a as Float64Array).subarray(start, start + count)
    : Array.prototype.slice.call(a, start, start + count);
  return Float32Array.from(src as ArrayLike<number>);
}
