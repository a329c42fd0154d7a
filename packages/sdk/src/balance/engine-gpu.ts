// The balance MomentsEngine on the `Kernels` surface (the one door): the rows live in chunks of backend tensors
// (each within the binding limit and one dispatch), and every pass, q and Hessian is one `k.moments` call over
// the chunk list, folded in float64. On WebGPU that is the WGSL moments kernels; on the CPU backend the float64
// loops (so the CPU engine, engine-cpu.ts, is this engine over `new CpuKernels()`). Rows travel compact when they
// can (encoding 'auto'): a one-hot S as u8 group indices, 0/1 labels as bits (@m4kit/kernels ops/moments/encode.ts).
import {
  ArgumentError,
  type SEncoding,
  type YEncoding,
  ShapeError,
  type Kernels,
  type MomentsChunkTensors,
} from '@m4kit/kernels';
import {
  FUSED_MAX_R,
  groupWords,
  isBinary,
  isOneHot,
  labelWords,
  packGroups,
  packLabels,
  HESSIAN_MAX_K,
} from '@m4kit/kernels/advanced';
import { validatePi } from './pi.js';
import type { BalanceData, MomentsEngine, MomentsSums } from './types.js';

/** How the engine holds the rows. */
export interface GpuRowEncoding {
  /** 'u8' / 'u16': group index per row (one-hot S); 'f32': dense [rows, m] */
  s: SEncoding;
  /** 'bits': 0/1 labels bit-packed; 'f32': dense [rows, c] */
  y: YEncoding;
  /** bytes of S and Y per row on the device */
  bytesPerRow: number;
  /** why a column stayed f32 under 'auto' (absent when both are compact) */
  note?: string;
}

class KernelsMomentsEngine implements MomentsEngine {
  readonly n: number;
  readonly m: number;
  readonly c: number;
  readonly pi: Float64Array;
  private frob: number | null = null;
  private disposed = false;
  constructor(
    private readonly k: Kernels,
    private readonly chunks: MomentsChunkTensors[],
    private readonly data: BalanceData,
    pi: Float64Array,
    readonly encoding: GpuRowEncoding,
  ) {
    this.n = data.n;
    this.m = data.m;
    this.c = data.c;
    this.pi = pi;
  }

  private check(W: Float64Array): void {
    if (this.disposed) throw new ArgumentError('engine: used after dispose()');
    const P = this.m * (this.c + 1);
    if (!W || W.length !== P) throw new ShapeError(`W: length ${W ? W.length : 'undefined'} ≠ m*(c+1) = ${P}`);
  }

  async pass(W: Float64Array, mu: number, eta: number, fixedQ?: number): Promise<MomentsSums> {
    this.check(W);
    return this.k.moments.pass(this.chunks, { W, pi: this.pi, mu, eta, fixedQ });
  }

  async q(W: Float64Array, mu: number, eta: number): Promise<Float64Array> {
    this.check(W);
    return this.k.moments.q(this.chunks, { W, pi: this.pi, mu, eta });
  }

  /** Σ w (2‖d‖² + 1), ‖d‖² = ‖s − π‖² (1 + ‖y‖²), on the host from the data (once). */
  async frobenius(): Promise<number> {
    if (this.disposed) throw new ArgumentError('engine: used after dispose()');
    if (this.frob !== null) return this.frob;
    const { n, m, c, S, Y, w } = this.data;
    const pi = this.pi;
    let f = 0;
    if (this.k.backend === 'cpu') {
      for (let i = 0; i < n; i++) {
        const wi = w ? w[i] : 1;
        let ss = 0;
        for (let k = 0; k < m; k++) {
          const s = S[i * m + k] - pi[k];
          ss += s * s;
        }
        let yy = 1;
        for (let r = 0; r < c; r++) yy += Y[i * c + r] * Y[i * c + r];
        f += wi * (2 * ss * yy + 1);
      }
    } else {
      // (the GPU engine's original arithmetic, kept so its results stay byte-identical)
      for (let i = 0; i < n; i++) {
        let ds = 0;
        for (let k = 0; k < m; k++) ds += (S[i * m + k] - pi[k]) ** 2;
        let yy = 1;
        for (let r = 0; r < c; r++) yy += Y[i * c + r] ** 2;
        f += (w ? w[i] : 1) * (2 * ds * yy + 1);
      }
    }
    return (this.frob = f);
  }

  /** The generalised Hessian (`k.moments.hessian`), each chunk strided from its own first row. */
  async hessian(W: Float64Array, mu: number, eta: number, stride = 1): Promise<Float64Array> {
    this.check(W);
    if (!Number.isInteger(stride) || stride < 1) {
      throw new ArgumentError(`hessian: stride must be an integer ≥ 1, got ${stride}`);
    }
    const K = this.m * (this.c + 1) + 1;
    if (this.k.backend === 'webgpu' && K > HESSIAN_MAX_K) {
      throw new ArgumentError(`hessian: K = m(c+1)+1 = ${K} > ${HESSIAN_MAX_K}; use the first-order solver`);
    }
    return this.k.moments.hessian(this.chunks, { W, pi: this.pi, mu, eta, stride });
  }

  dispose(): void {
    this.disposed = true;
    for (const ch of this.chunks) for (const t of [ch.S, ch.Y, ch.u, ch.w]) t?.dispose();
  }
}

/**
 * Options of `createGpuEngine`: chunk size and the row encoding on the device.
 */
export interface GpuEngineOptions {
  /** rows per chunk (default: as many as the binding limit and one dispatch allow) */
  chunkRows?: number;
  /**
   * Rows on the device: 'auto' (default) packs a one-hot S as u8 group indices and 0/1 labels as bits, each when
   * the data allows it and (m+1)(c+1)+2 ≤ FUSED_MAX_R (the fused pass), else keeps that column f32 and says why in
   * `engine.encoding.note`; 'compact' requires both (ArgumentError naming the first row and column that is not
   * one-hot / not 0/1); 'f32' keeps both dense; 'categorical' (the CPU engine's choice) packs both when both
   * allow it (any m, c), else neither.
   */
  encoding?: 'auto' | 'compact' | 'f32' | 'categorical';
}

/** A MomentsEngine on `Kernels`, with the row encoding it chose. */
export type GpuMomentsEngineHandle = MomentsEngine & { readonly encoding: GpuRowEncoding };

function chooseEncoding(data: BalanceData, mode: NonNullable<GpuEngineOptions['encoding']>): GpuRowEncoding {
  const { n, m, c } = data;
  if (mode === 'categorical') {
    const cat = isOneHot(data.S, n, m) && isBinary(data.Y, n * c);
    const s: SEncoding = !cat ? 'f32' : m <= 256 ? 'u8' : 'u16';
    const y: YEncoding = cat ? 'bits' : 'f32';
    return {
      s,
      y,
      bytesPerRow: (s === 'f32' ? 4 * m : s === 'u8' ? 1 : 2) + (y === 'bits' ? 4 * labelWords(c) : 4 * c),
    };
  }
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

/** Rows per chunk within the binding limit and one dispatch (the launchers' planRows, on the surface). */
function planChunks(k: Kernels, n: number, widest: number, maxRows: number): [number, number][] {
  if (n === 0) return [[0, 0]];
  const byBinding = Math.floor((k.maxBindingSize / 4 - 64) / Math.max(1, widest));
  if (byBinding < 1) throw new ShapeError(`balance: one row of ${widest} elements exceeds the binding limit`);
  const per = Math.max(1, Math.min(byBinding, maxRows));
  const out: [number, number][] = [];
  for (let r = 0; r < n; r += per) out.push([r, Math.min(per, n - r)]);
  return out;
}

/**
 * Upload the data in row chunks (compact when it can, see GpuEngineOptions.encoding); a MomentsEngine on `k`.
 * @param k - a `Kernels` (WebGPU or CPU backend) that owns the uploaded rows.
 * @param data - the rows (validated by `validateBalanceData`).
 * @param pi - the m target shares.
 * @param opts - chunk rows and encoding.
 * @returns the engine and the encoding it chose; call `dispose()` to free the device buffers.
 * @throws ArgumentError for invalid data or π.
 */
export function createGpuEngine(
  k: Kernels,
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
  // the CPU backend keeps float64 rows; WebGPU f32
  const vals = k.backend === 'cpu' ? (a: ArrayLike<number>, s: number, l: number) => sub(a, s, l) : f32;
  const gBits = enc.s === 'u16' ? 16 : 8;
  const chunks = planChunks(k, n, Math.max(m, Math.max(1, c)), maxRows).map(([start, rows]) => {
    const where = (row: number, col: number) => `row ${start + row}, column ${col}`;
    const S =
      enc.s !== 'f32'
        ? k.tensor(
            packGroups(sub(data.S, start * m, rows * m), rows, m, gBits, where),
            [groupWords(rows, gBits)],
            'u32',
          )
        : k.tensor(vals(data.S, start * m, rows * m), [rows, m]);
    const Y =
      enc.y === 'bits'
        ? k.tensor(packLabels(sub(data.Y, start * c, rows * c), rows, c, where), [rows, labelWords(c)], 'u32')
        : k.tensor(vals(data.Y, start * c, rows * c), [rows, c]);
    return {
      S,
      Y,
      u: data.u ? k.tensor(vals(data.u, start, rows), [rows]) : undefined,
      w: data.w ? k.tensor(vals(data.w, start, rows), [rows]) : undefined,
      sEnc: enc.s,
      yEnc: enc.y,
      m,
      c,
    };
  });
  return new KernelsMomentsEngine(k, chunks, data, Float64Array.from(pi), enc);
}

function sub(a: ArrayLike<number>, start: number, count: number): ArrayLike<number> {
  const t = a as Float64Array;
  return typeof t.subarray === 'function'
    ? t.subarray(start, start + count)
    : Array.prototype.slice.call(a, start, start + count);
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
