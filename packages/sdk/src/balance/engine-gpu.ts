// MomentsEngine on the GPU: rows live on the device in chunks (each within the binding limit and one
// dispatch); a pass runs the fused WGSL moments kernel per chunk and folds the block partials in float64.
// Rows travel compact when they can (encoding 'auto'): a one-hot S as u8 group indices, 0/1 labels as bits
// (@m4kit/kernels ops/moments/encode.ts), so a pass reads ~1 + 4⌈c/32⌉ bytes of S and Y per row instead of 4(m+c).
import {
  ArgumentError,
  FUSED_MAX_R,
  groupWords,
  isBinary,
  isOneHot,
  labelWords,
  packGroups,
  packLabels,
  type SEncoding,
  type YEncoding,
  foldHessianGroupPartials,
  foldHessianPartials,
  foldMomentsPartials,
  hessianLayout,
  HESSIAN_MAX_K,
  momentsHessianPass,
  momentsOutputs,
  momentsPass,
  planRows,
  ShapeError,
  type GpuContext,
  type GpuTensor,
} from '@m4kit/kernels';
import { validatePi } from './pi.js';
import type { BalanceData, MomentsEngine, MomentsSums } from './types.js';

interface Chunk {
  rows: number;
  start: number;
  S: GpuTensor;
  Y: GpuTensor;
  u?: GpuTensor;
  w?: GpuTensor;
  sEnc: SEncoding;
  yEnc: YEncoding;
  m: number;
  c: number;
}

/** How the engine holds the rows on the device. */
export interface GpuRowEncoding {
  /** 'u8': group index per row (one-hot S); 'f32': dense [rows, m] */
  s: SEncoding;
  /** 'bits': 0/1 labels bit-packed; 'f32': dense [rows, c] */
  y: YEncoding;
  /** bytes of S and Y per row on the device */
  bytesPerRow: number;
  /** why a column stayed f32 under 'auto' (absent when both are compact) */
  note?: string;
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
    readonly encoding: GpuRowEncoding,
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

  /**
   * The generalised Hessian (ops/moments/hessian.ts), each chunk strided from its own first row; compact chunks on
   * the per-group kernel.
   */
  async hessian(W: Float64Array, mu: number, eta: number, stride = 1): Promise<Float64Array> {
    const K = this.m * (this.c + 1) + 1;
    if (K > HESSIAN_MAX_K) {
      throw new ArgumentError(`hessian: K = m(c+1)+1 = ${K} > ${HESSIAN_MAX_K}; use the first-order solver`);
    }
    const parts = this.chunks.map((ch) => ({
      layout: hessianLayout(this.ctx, ch),
      part: momentsHessianPass(this.ctx, ch, { W, pi: this.pi, mu, eta, stride }),
    }));
    const H = new Float64Array(K * K);
    for (const { layout, part } of parts) {
      const p = await part.read();
      if (layout === 'groups') foldHessianGroupPartials(p, this.m, this.c, this.pi, H);
      else foldHessianPartials(p, this.m, this.c, H);
      part.dispose();
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
  /**
   * Rows on the device: 'auto' (default) packs a one-hot S as u8 group indices and 0/1 labels as bits, each when
   * the data allows it and (m+1)(c+1)+2 ≤ FUSED_MAX_R (the fused pass), else keeps that column f32 and says why in
   * `engine.encoding.note`; 'compact' requires both (ArgumentError naming the first row and column that is not
   * one-hot / not 0/1); 'f32' keeps both dense.
   */
  encoding?: 'auto' | 'compact' | 'f32';
}

/** A GPU MomentsEngine, with the row encoding it chose. */
export type GpuMomentsEngineHandle = MomentsEngine & { readonly encoding: GpuRowEncoding };

function chooseEncoding(data: BalanceData, mode: 'auto' | 'compact' | 'f32'): GpuRowEncoding {
  const { n, m, c } = data;
  if (mode !== 'auto' && mode !== 'compact' && mode !== 'f32')
    throw new ArgumentError(`encoding must be 'auto', 'compact' or 'f32', got '${mode}'`);
  const R = (m + 1) * (c + 1) + 2;
  const fits = R <= FUSED_MAX_R;
  if (mode === 'compact' && !fits)
    throw new ArgumentError(`compact rows need (m+1)(c+1)+2 ≤ ${FUSED_MAX_R}, got ${R} (m = ${m}, c = ${c})`);
  let s: SEncoding = 'f32';
  let y: YEncoding = 'f32';
  const why: string[] = [];
  if (mode === 'compact') [s, y] = ['u8', 'bits'];
  else if (mode === 'auto') {
    if (!fits) why.push(`(m+1)(c+1)+2 = ${R} > ${FUSED_MAX_R}: rows + reduce pass on f32 rows`);
    else {
      if (m <= 256 && isOneHot(data.S, n, m)) s = 'u8';
      else why.push('S is not one-hot (probabilities): f32');
      if (isBinary(data.Y, n * c)) y = 'bits';
      else why.push('Y is not 0/1: f32');
    }
  }
  const bytesPerRow = (s === 'u8' ? 1 : 4 * m) + (y === 'bits' ? 4 * labelWords(c) : 4 * c);
  return { s, y, bytesPerRow, ...(mode === 'auto' && why.length ? { note: why.join('; ') } : {}) };
}

/** Upload the data in row chunks (compact when it can, see GpuEngineOptions.encoding); a GPU MomentsEngine. */
export function createGpuEngine(
  ctx: GpuContext,
  data: BalanceData,
  pi: ArrayLike<number>,
  opts: GpuEngineOptions = {},
): GpuMomentsEngineHandle {
  const { n, m, c } = data;
  if (data.S.length !== n * m) throw new ShapeError(`S has ${data.S.length} entries, expected n×m = ${n * m}`);
  if (data.Y.length !== n * c) throw new ShapeError(`Y has ${data.Y.length} entries, expected n×c = ${n * c}`);
  if (data.u && data.u.length !== n) throw new ShapeError(`u has ${data.u.length} entries, expected n = ${n}`);
  if (data.w && data.w.length !== n) throw new ShapeError(`w has ${data.w.length} entries, expected n = ${n}`);
  validatePi(pi, m);
  const enc = chooseEncoding(data, opts.encoding ?? 'auto');
  const maxRows = opts.chunkRows ?? 65535 * 64;
  const plan = n === 0 ? [[0, 0] as [number, number]] : planRows(ctx, 'balance', n, [m, Math.max(1, c)], maxRows);
  const chunks: Chunk[] = plan.map(([start, rows]) => {
    const where = (row: number, col: number) => `row ${start + row}, column ${col}`;
    const S =
      enc.s === 'u8'
        ? ctx.tensor(packGroups(sub(data.S, start * m, rows * m), rows, m, 8, where), [groupWords(rows, 8)], 'u32')
        : ctx.tensor(f32(data.S, start * m, rows * m), [rows, m]);
    const Y =
      enc.y === 'bits'
        ? ctx.tensor(packLabels(sub(data.Y, start * c, rows * c), rows, c, where), [rows, labelWords(c)], 'u32')
        : ctx.tensor(f32(data.Y, start * c, rows * c), [rows, c]);
    return {
      start,
      rows,
      S,
      Y,
      u: data.u ? ctx.tensor(f32(data.u, start, rows), [rows]) : undefined,
      w: data.w ? ctx.tensor(f32(data.w, start, rows), [rows]) : undefined,
      sEnc: enc.s,
      yEnc: enc.y,
      m,
      c,
    };
  });
  return new GpuMomentsEngine(ctx, chunks, data, Float64Array.from(pi), enc);
}

function sub(a: Float64Array | Float32Array, start: number, count: number): Float64Array | Float32Array {
  return a.subarray(start, start + count);
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
