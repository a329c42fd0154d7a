// The float64 CPU backend of `Kernels`: the references in ops/*/reference.ts behind the same signatures
// (explicit `backend: 'cpu'`). Host-side checks throw the same typed errors as the launchers.
import type {
  Axis,
  CopyOptions,
  Kernels,
  LossOps,
  MlpOps,
  MomentsChunkTensors,
  MomentsOps,
  OptimOps,
  Tensor,
  TransformerOps,
} from './api.js';
import { cpuTransformerOps } from './transformer-ops.js';
import { checkMomentsPass } from './ops/moments/moments.js';
import { checkDebiasInputs } from './ops/debias-loss/debias-loss.js';
import { checkDebiasHyper, debiasLossRef } from './ops/debias-loss/reference.js';
import { checkHessianPass, packHessian } from './ops/moments/hessian.js';
import { hessianRef, momentsRef } from './ops/moments/reference.js';
import { castRef } from './ops/cast/reference.js';
import type { CastDType } from './ops/cast/cast.wgsl.js';
import { checkRange, shapeStr } from './ops/common.js';
import { axpyRef, clipRef, scaleRef } from './ops/elementwise/reference.js';
import { lossStatusError, LOSS_VARIANTS, type LossOptions, type SiglipLossResult } from './ops/losses/losses.js';
import { STATUS } from './ops/losses/losses.wgsl.js';
import { clipLossRef, siglipLossRef } from './ops/losses/reference.js';
import { matmulDims, type MatmulOptions } from './ops/matmul/matmul.js';
import { matmulRef } from './ops/matmul/reference.js';
import { ACTIVATIONS } from './ops/mlp/mlp.wgsl.js';
import { biasActBackwardRef, biasActRef, gatherRowsRef, type Activation } from './ops/mlp/reference.js';
import { l2normalizeBackwardRef, l2normalizeRef } from './ops/normalize/reference.js';
import type { AdamWOptions } from './ops/optim/optim.js';
import { adamwRef, clipGradNormRef } from './ops/optim/reference.js';
import { reduceAllRef, reduceRef } from './ops/reduce/reference.js';
import { softmaxRef } from './ops/softmax/reference.js';
import { topkRef } from './ops/topk/reference.js';
import type { TopKOptions } from './ops/topk/topk.js';
import { transposeRef } from './ops/transpose/reference.js';
import { checkImagePreprocess } from './ops/image-preprocess/image-preprocess.js';
import { imagePreprocessRef, type PreprocessImage, type PreprocessOptions } from './ops/image-preprocess/reference.js';
import type { DType, NumArray } from './runtime/context.js';
import { ArgumentError, DeviceLostError, ShapeError } from './runtime/errors.js';

const F32_MAX = 3.4028234663852886e38;

export class CpuTensor implements Tensor {
  readonly kind = 'cpu' as const;
  constructor(
    readonly data: Float64Array | Uint32Array,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}
  get size(): number {
    return this.data.length;
  }
  async read(): Promise<NumArray> {
    return this.data.slice();
  }
  view(shape: readonly number[]): CpuTensor {
    if (shape.reduce((a, b) => a * b, 1) !== this.size)
      throw new ShapeError(`view: cannot view shape ${shapeStr(this.shape)} as ${shapeStr(shape)}`);
    return new CpuTensor(this.data, shape, this.dtype);
  }
  dispose(): void {}
}

function rank2(op: string, x: CpuTensor): [number, number] {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  return [x.shape[0], x.shape[1]];
}
function axisOk(op: string, axis: number): void {
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`${op}: axis must be 0 or 1, got ${axis}`);
}
function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Tensor).read === 'function' &&
    typeof (x as Tensor).dispose === 'function'
  );
}

/** The float64 CPU backend: the references behind the same API (explicit `backend: 'cpu'`). */
export class CpuKernels implements Kernels {
  readonly backend = 'cpu' as const;
  readonly adapter = null;
  readonly gpu = null;
  readonly maxBindingSize = Infinity;
  private destroyed = false;
  /** @param fallbackReason why `init({ backend: 'auto' })` chose this backend (null when asked for explicitly) */
  constructor(readonly fallbackReason: string | null = null) {}
  private t(x: Tensor, name: string): CpuTensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', `${name} called after destroy()`);
    if (!(x instanceof CpuTensor)) throw new ArgumentError(`${name}: expected a CPU tensor from this backend`);
    return x;
  }
  private f(data: Float64Array, shape: readonly number[]): CpuTensor {
    return new CpuTensor(data, [...shape], 'f32');
  }
  private scalar(x: number | Tensor, op: string, name: string): number {
    if (typeof x === 'number') return x;
    const T = this.t(x, op);
    if (T.size !== 1 || T.dtype !== 'f32')
      throw new ShapeError(`${op}: ${name} must be a number or an f32 tensor of one element, got ${shapeStr(T.shape)}`);
    return T.data[0];
  }
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'tensor called after destroy()');
    for (const d of shape)
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape ${shapeStr(shape)}`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n)
      throw new ShapeError(`tensor: data has ${data.length} elements, shape ${shapeStr(shape)} needs ${n}`);
    return new CpuTensor(dtype === 'u32' ? Uint32Array.from(data) : Float64Array.from(data), [...shape], dtype);
  }
  empty(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.zeros(shape, dtype);
  }
  zeros(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape, dtype);
  }
  /** Element copy; the CPU backend copies values, so src and dst must have the same dtype. */
  copy(src: Tensor, dst: Tensor, opts: CopyOptions = {}): void {
    const S = this.t(src, 'copy');
    const D = this.t(dst, 'copy');
    if (S.dtype !== D.dtype)
      throw new ArgumentError(`copy: ${S.dtype} → ${D.dtype}: the CPU backend copies values of one dtype only`);
    const so = opts.srcOffset ?? 0;
    const dO = opts.dstOffset ?? 0;
    const count = opts.count ?? S.size - so;
    checkRange('copy', 'src', so, count, S.size);
    checkRange('copy', 'dst', dO, count, D.size);
    D.data.set(S.data.subarray(so, so + count), dO);
  }
  write(dst: Tensor, data: ArrayLike<number>, offset = 0): void {
    const D = this.t(dst, 'write');
    if (D.dtype === 'f16') throw new ArgumentError('write: f16 tensors are written as f32 and cast');
    checkRange('write', 'dst', offset, data.length, D.size);
    D.data.set(data, offset);
  }
  matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
    const A = this.t(a, 'matmul');
    const B = this.t(b, 'matmul');
    const d = matmulDims(A.shape, B.shape, opts.transA, opts.transB);
    return this.f(matmulRef(A.data, B.data, { ...d, transA: opts.transA, transB: opts.transB }), d.outShape);
  }
  l2normalize(x: Tensor, eps = 1e-12): Tensor {
    const X = this.t(x, 'l2normalize');
    const [r, c] = rank2('l2normalize', X);
    return this.f(l2normalizeRef(X.data, r, c, eps), X.shape);
  }
  l2normalizeBackward(x: Tensor, dy: Tensor, eps = 1e-12): Tensor {
    const X = this.t(x, 'l2normalizeBackward');
    const G = this.t(dy, 'l2normalizeBackward');
    const [r, c] = rank2('l2normalizeBackward', X);
    if (G.shape.join() !== X.shape.join())
      throw new ShapeError(`l2normalizeBackward: x ${shapeStr(X.shape)} and dy ${shapeStr(G.shape)} differ`);
    return this.f(l2normalizeBackwardRef(X.data, G.data, r, c, eps), X.shape);
  }
  private red(x: Tensor, op: 'sum' | 'mean' | 'max' | 'logsumexp', axis?: Axis): Tensor {
    const X = this.t(x, op);
    if (axis === undefined && op !== 'logsumexp') return this.f(Float64Array.of(reduceAllRef(X.data, op)), [1]);
    axisOk(op, axis as number);
    const [r, c] = rank2(op, X);
    return this.f(reduceRef(X.data, r, c, op, axis as Axis), [axis === 1 ? r : c]);
  }
  logsumexp(x: Tensor, axis: Axis): Tensor {
    return this.red(x, 'logsumexp', axis);
  }
  softmax(x: Tensor, axis: Axis): Tensor {
    const X = this.t(x, 'softmax');
    const [r, c] = rank2('softmax', X);
    axisOk('softmax', axis);
    return this.f(softmaxRef(X.data, r, c, axis), X.shape);
  }
  sum(x: Tensor, axis?: Axis): Tensor {
    return this.red(x, 'sum', axis);
  }
  mean(x: Tensor, axis?: Axis): Tensor {
    return this.red(x, 'mean', axis);
  }
  max(x: Tensor, axis?: Axis): Tensor {
    return this.red(x, 'max', axis);
  }
  scale(x: Tensor, alpha: number): Tensor {
    const X = this.t(x, 'scale');
    return this.f(scaleRef(X.data, alpha), X.shape);
  }
  axpy(alpha: number, x: Tensor, y: Tensor): Tensor {
    const X = this.t(x, 'axpy');
    const Y = this.t(y, 'axpy');
    if (X.shape.join() !== Y.shape.join())
      throw new ShapeError(`axpy: x ${shapeStr(X.shape)} and y ${shapeStr(Y.shape)} differ`);
    return this.f(axpyRef(alpha, X.data, Y.data), X.shape);
  }
  clip(x: Tensor, lo: number, hi: number): Tensor {
    const X = this.t(x, 'clip');
    if (!(lo <= hi)) throw new ArgumentError(`clip: lo (${lo}) > hi (${hi})`);
    return this.f(clipRef(X.data, lo, hi), X.shape);
  }
  /** Per-row top-k; with `segment`, each segment's top-k side by side (unfilled: -FLT_MAX, index 0xffffffff). */
  topk(x: Tensor, k: number, opts: TopKOptions = {}): { values: Tensor; indices: Tensor } {
    const X = this.t(x, 'topk');
    const [r, c] = rank2('topk', X);
    if (!Number.isInteger(k) || k < 1 || k > c)
      throw new ArgumentError(`topk: k must be an integer in [1, ${c}], got ${k}`);
    if (opts.segment === undefined) {
      const { values, indices } = topkRef(X.data, r, c, k);
      return { values: this.f(values, [r, k]), indices: new CpuTensor(indices, [r, k], 'u32') };
    }
    const segLen = opts.segment;
    if (!Number.isInteger(segLen) || segLen < 1)
      throw new ArgumentError(`topk: segment must be a positive integer, got ${opts.segment}`);
    const segs = Math.max(1, Math.ceil(c / segLen));
    const ko = segs * k;
    const values = new Float64Array(r * ko).fill(-F32_MAX);
    const indices = new Uint32Array(r * ko).fill(0xffffffff);
    for (let row = 0; row < r; row++) {
      for (let s = 0; s < segs; s++) {
        const c0 = s * segLen;
        const len = Math.min(segLen, c - c0);
        const seg = X.data.subarray(row * c + c0, row * c + c0 + len);
        const kk = Math.min(k, len);
        const top = topkRef(seg, 1, len, kk);
        const filled = Array.from(seg).filter((v) => !Number.isNaN(v)).length;
        for (let j = 0; j < Math.min(kk, filled); j++) {
          values[row * ko + s * k + j] = top.values[j];
          indices[row * ko + s * k + j] = c0 + top.indices[j];
        }
      }
    }
    return { values: this.f(values, [r, ko]), indices: new CpuTensor(indices, [r, ko], 'u32') };
  }
  cast(x: Tensor, to: CastDType): Tensor {
    const X = this.t(x, 'cast');
    if (to !== 'f16' && to !== 'f32') throw new ArgumentError(`cast: unknown dtype "${to}" (f16 or f32)`);
    if (X.dtype !== 'f16' && X.dtype !== 'f32') throw new ArgumentError(`cast: cannot cast a ${X.dtype} tensor`);
    return new CpuTensor(castRef(X.data, to), [...X.shape], to);
  }
  transpose(x: Tensor): Tensor {
    const X = this.t(x, 'transpose');
    const [r, c] = rank2('transpose', X);
    return this.f(transposeRef(X.data, r, c), [c, r]);
  }
  imagePreprocess(images: readonly PreprocessImage[], opts: PreprocessOptions): Tensor {
    const o = checkImagePreprocess(images, opts);
    return this.f(imagePreprocessRef(images, o), [images.length, 3, o.size, o.size]);
  }

  private async contrastive(
    kind: 'clip' | 'siglip',
    u: Tensor,
    w: Tensor,
    t: number | Tensor,
    b: number | Tensor,
    opts: LossOptions<Tensor>,
  ): Promise<SiglipLossResult<Tensor>> {
    const op = kind === 'clip' ? 'clipLoss' : 'siglipLoss';
    const U = this.t(u, op);
    const W = this.t(w, op);
    if (U.shape.length !== 2 || W.shape.length !== 2 || U.shape.join() !== W.shape.join()) {
      throw new ShapeError(`${op}: U ${shapeStr(U.shape)} and W ${shapeStr(W.shape)} must both be [N, d]`);
    }
    const [N, d] = U.shape;
    if (N < 1 || d < 1) throw new ShapeError(`${op}: need N ≥ 1 and d ≥ 1, got ${shapeStr(U.shape)}`);
    if (opts.variant !== undefined && !LOSS_VARIANTS.includes(opts.variant))
      throw new ArgumentError(`${op}: unknown variant "${opts.variant}"`);
    const tv = this.scalar(t, op, kind === 'clip' ? 't' : "t'");
    const bv = this.scalar(b, op, 'b');
    const ww = opts.weights;
    const weights = ww === undefined ? undefined : isTensor(ww) ? this.t(ww, op).data : ww;
    const ro = { weights, maxLogScale: opts.maxLogScale };
    const r =
      kind === 'clip'
        ? { ...clipLossRef(U.data, W.data, N, d, tv, ro), db: 0 }
        : siglipLossRef(U.data, W.data, N, d, tv, bv, ro);
    let flags = 0;
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.dt) || !Number.isFinite(r.db)) flags |= STATUS.NONFINITE;
    if (!r.dU.every(Number.isFinite) || !r.dW.every(Number.isFinite)) flags |= STATUS.GRAD;
    const st = Uint32Array.of(flags, 0xffffffff, 0xffffffff, 0);
    if (opts.check !== false) {
      const err = lossStatusError(op, st);
      if (err) throw err;
    }
    return {
      loss: this.f(Float64Array.of(r.loss), [1]),
      dU: this.f(r.dU, U.shape),
      dW: this.f(r.dW, W.shape),
      dt: this.f(Float64Array.of(r.dt), [1]),
      db: this.f(Float64Array.of(r.db), [1]),
      status: new CpuTensor(st, [4], 'u32'),
      variant: opts.variant ?? 'materialized',
      blockRows: N,
      peakBytes: 0,
    };
  }
  readonly losses: LossOps = {
    debias: async (inp, opts) => {
      const op = 'debiasLoss';
      const R = opts.rowsPerItem ?? 4;
      checkDebiasHyper(op, opts, R);
      const xI = this.t(inp.xI, op);
      const xT = this.t(inp.xT, op);
      const bankI = inp.bankI.map((b) => this.t(b, op));
      const bankT = inp.bankT.map((b) => this.t(b, op));
      for (const [name, t] of [
        ['xI', xI],
        ['xT', xT],
        ...bankI.map((b, k) => [`bankI[${k}]`, b]),
        ...bankT.map((b, k) => [`bankT[${k}]`, b]),
      ] as [string, CpuTensor][]) {
        if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32, got ${t.dtype}`);
        if (t.shape.length !== 2) throw new ShapeError(`${op}: ${name} must be rank 2, got ${shapeStr(t.shape)}`);
      }
      const { B, D, N } = checkDebiasInputs(op, { xI, xT, bankI, bankT }, R);
      const cat = (segs: CpuTensor[]) => {
        const out = new Float64Array(N * D);
        let o = 0;
        for (const g of segs) {
          out.set(g.data, o);
          o += g.size;
        }
        return out;
      };
      const r = debiasLossRef(xI.data, xT.data, cat(bankI), cat(bankT), B, R, N, D, opts);
      for (let i = 0; i < B; i++) {
        if (!Number.isFinite(r.rowKl[i]) || !Number.isFinite(r.rowI2t[i]) || !Number.isFinite(r.rowT2i[i])) {
          const why = `non-finite inputs, or logits out of range for τ = ${opts.tau}`;
          throw new ArgumentError(`${op}: batch row ${i}: the loss is not finite (${why})`);
        }
      }
      const { ba, i2t, t2i, total } = r;
      return { ba, i2t, t2i, total, dI: this.f(r.dI, [B * 2, D]), dT: this.f(r.dT, [B * 2, D]) };
    },
    clip: async (U, W, t, opts = {}) => {
      const { db: _db, ...r } = await this.contrastive('clip', U, W, t, 0, opts);
      return r;
    },
    siglip: (U, W, tPrime, b, opts = {}) => this.contrastive('siglip', U, W, tPrime, b, opts),
  };
  readonly optim: OptimOps = {
    adamw: (params, grads, m, v, step, opts: AdamWOptions<Tensor>) => {
      const [P, G, M, V] = [params, grads, m, v].map((x) => this.t(x, 'adamw'));
      if (new Set([P.data, G.data, M.data, V.data]).size !== 4)
        throw new ArgumentError('adamw: params, grads, m and v must be distinct buffers');
      for (const [name, x] of Object.entries({ grads: G, m: M, v: V })) {
        if (x.size !== P.size)
          throw new ShapeError(
            `adamw: ${name} ${shapeStr(x.shape)} must have as many elements as params ${shapeStr(P.shape)}`,
          );
      }
      const { gradScale, ...hp } = opts;
      const s = gradScale === undefined ? undefined : this.t(gradScale, 'adamw').data[0];
      const r = adamwRef(P.data, G.data, M.data, V.data, step, { ...hp, gradScale: s });
      P.data.set(r.params);
      M.data.set(r.m);
      V.data.set(r.v);
    },
    clipGradNorm: (grads, maxNorm) => {
      const Gs = grads.map((g) => this.t(g, 'clipGradNorm'));
      if (!(Number.isFinite(maxNorm) && maxNorm > 0))
        throw new ArgumentError(`clipGradNorm: maxNorm = ${maxNorm} must be finite and > 0`);
      if (new Set(Gs.map((g) => g.data)).size !== Gs.length)
        throw new ArgumentError('clipGradNorm: gradient tensors must be distinct buffers');
      const r = clipGradNormRef(
        Gs.map((g) => g.data),
        maxNorm,
      );
      Gs.forEach((g, k) => g.data.set(r.grads[k]));
      return { norm: this.f(Float64Array.of(r.norm), [1]), scale: this.f(Float64Array.of(r.scale), [1]) };
    },
  };
  readonly mlp: MlpOps = {
    biasAct: (x, bias, act: Activation = 'none') => {
      const X = this.t(x, 'biasAct');
      const B = this.t(bias, 'biasAct');
      const [M, N] = rank2('biasAct', X);
      if (!(act in ACTIVATIONS)) throw new ArgumentError(`biasAct: unknown activation "${act}" (use 'none' or 'gelu')`);
      if (B.size !== N)
        throw new ShapeError(`biasAct: bias ${shapeStr(B.shape)} must be f32 with ${N} elements (one per column)`);
      return this.f(biasActRef(X.data, M, N, B.data, act), [M, N]);
    },
    biasActBackward: (dy, x, bias, act: Activation = 'none') => {
      const op = 'biasActBackward';
      const DY = this.t(dy, op);
      const [M, N] = rank2(op, DY);
      if (!(act in ACTIVATIONS)) throw new ArgumentError(`${op}: unknown activation "${act}" (use 'none' or 'gelu')`);
      let X: CpuTensor | null = null;
      let B: CpuTensor | null = null;
      if (act === 'gelu') {
        if (!x || !bias) throw new ArgumentError(`${op}: act 'gelu' needs the forward input x and the bias`);
        X = this.t(x, op);
        B = this.t(bias, op);
        if (X.shape.join() !== DY.shape.join())
          throw new ShapeError(`${op}: x ${shapeStr(X.shape)} and dy ${shapeStr(DY.shape)} differ`);
        if (B.size !== N)
          throw new ShapeError(`${op}: bias ${shapeStr(B.shape)} must be f32 with ${N} elements (one per column)`);
      }
      const r = biasActBackwardRef(DY.data, X?.data ?? null, M, N, B?.data ?? null, act);
      return { dx: act === 'gelu' ? this.f(r.dx, [M, N]) : null, dbias: this.f(r.dbias, [N]) };
    },
    gatherRows: (x, idx) => {
      const X = this.t(x, 'gatherRows');
      const [n, d] = rank2('gatherRows', X);
      if (!isTensor(idx)) {
        for (let i = 0; i < idx.length; i++) {
          if (!(Number.isInteger(idx[i]) && idx[i] >= 0 && idx[i] < n))
            throw new ArgumentError(`gatherRows: idx[${i}] = ${idx[i]} is outside [0, ${n})`);
        }
        return this.f(gatherRowsRef(X.data, n, d, idx), [idx.length, d]);
      }
      // device-style indices: an index ≥ n gives a zero row (as on WebGPU)
      const I = this.t(idx, 'gatherRows');
      if (I.dtype !== 'u32') throw new ArgumentError('gatherRows: idx must be a u32 tensor');
      const y = new Float64Array(I.size * d);
      I.data.forEach((r, i) => {
        if (r < n) y.set(X.data.subarray(r * d, (r + 1) * d), i * d);
      });
      return this.f(y, [I.size, d]);
    },
  };
  private chunk(ch: MomentsChunkTensors, op: string) {
    return {
      S: this.t(ch.S, op),
      Y: this.t(ch.Y, op),
      u: ch.u && this.t(ch.u, op),
      w: ch.w && this.t(ch.w, op),
    };
  }
  readonly moments: MomentsOps = {
    pass: (ch, o) => {
      const C = this.chunk(ch, 'moments');
      const Q = o.qOut && this.t(o.qOut, 'moments');
      const [n, m, c] = checkMomentsPass(C, { W: o.W, pi: o.pi, qOut: Q });
      const d = { n, m, c, S: C.S.data, Y: C.Y.data, u: C.u?.data, w: C.w?.data };
      const r = momentsRef(d, { W: o.W, pi: o.pi, mu: o.mu, eta: o.eta, fixedQ: o.fixedQ });
      Q?.data.set(r.q);
      return this.f(r.sums, [1, r.sums.length]);
    },
    hessian: (ch, o) => {
      const C = this.chunk(ch, 'moments.hessian');
      const [n, m, c, stride] = checkHessianPass(C, o);
      const d = { n, m, c, S: C.S.data, Y: C.Y.data, u: C.u?.data, w: C.w?.data };
      const K = m * (c + 1) + 1;
      const T = packHessian(hessianRef(d, { W: o.W, pi: o.pi, mu: o.mu, eta: o.eta, stride }), K);
      return this.f(T, [1, T.length]);
    },
  };
  readonly transformer: TransformerOps = cpuTransformerOps(
    (x, op) => this.t(x, op),
    (d, s) => this.f(d, s),
  );
  async sync(): Promise<void> {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'sync called after destroy()');
  }
  destroy(): void {
    this.destroyed = true;
  }
}
