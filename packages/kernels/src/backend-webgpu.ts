// The WebGPU backend of `Kernels`: each method checks that its tensors belong to this context and calls the
// launcher in ops/ (the advanced layer). No maths here.
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
import { gpuTransformerOps } from './transformer-ops.js';
import { momentsPass } from './ops/moments/moments.js';
import { debiasLoss } from './ops/debias-loss/debias-loss.js';
import { momentsHessianPass } from './ops/moments/hessian.js';
import { cast } from './ops/cast/cast.js';
import type { CastDType } from './ops/cast/cast.wgsl.js';
import { elementwise } from './ops/elementwise/elementwise.js';
import { clipLoss, siglipLoss, type LossOptions } from './ops/losses/losses.js';
import { matmul, type MatmulOptions } from './ops/matmul/matmul.js';
import { biasAct, biasActBackward, gatherRows } from './ops/mlp/mlp.js';
import type { Activation } from './ops/mlp/reference.js';
import { l2normalize, l2normalizeBackward } from './ops/normalize/normalize.js';
import { adamw, clipGradNorm, type AdamWOptions } from './ops/optim/optim.js';
import { reduce, reduceAll } from './ops/reduce/reduce.js';
import { softmax } from './ops/softmax/softmax.js';
import { topk, type TopKOptions } from './ops/topk/topk.js';
import { transpose } from './ops/transpose/transpose.js';
import { imagePreprocess } from './ops/image-preprocess/image-preprocess.js';
import type { PreprocessImage, PreprocessOptions } from './ops/image-preprocess/reference.js';
import { checkRange } from './ops/common.js';
import { dtypeBytes, GpuTensor, type AdapterDescription, type DType, type GpuContext } from './runtime/context.js';
import { ArgumentError } from './runtime/errors.js';

/** A host array, not a tensor (weights / indices may be either). */
function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Tensor).read === 'function' &&
    typeof (x as Tensor).dispose === 'function'
  );
}

export class GpuKernels implements Kernels {
  readonly backend = 'webgpu' as const;
  readonly fallbackReason = null;
  constructor(readonly gpu: GpuContext) {}
  get adapter(): AdapterDescription {
    return this.gpu.adapterInfo;
  }
  get maxBindingSize(): number {
    return this.gpu.maxBindingSize;
  }
  private t(x: Tensor, name: string): GpuTensor {
    if (!(x instanceof GpuTensor)) throw new ArgumentError(`${name}: expected a WebGPU tensor from this backend`);
    if (x.ctx !== this.gpu) throw new ArgumentError(`${name}: tensor belongs to another context`);
    return x;
  }
  private scalar(x: number | Tensor, name: string): number | GpuTensor {
    return typeof x === 'number' ? x : this.t(x, name);
  }
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.gpu.tensor(data, shape, dtype);
  }
  empty(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.gpu.empty(shape, dtype);
  }
  zeros(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.gpu.zeros(shape, dtype);
  }
  /** A bit copy; the element sizes must match (f32 ↔ u32 reinterprets, e.g. a status word into a packed record). */
  copy(src: Tensor, dst: Tensor, opts: CopyOptions = {}): void {
    const S = this.t(src, 'copy');
    const D = this.t(dst, 'copy');
    const eb = dtypeBytes(S.dtype);
    if (dtypeBytes(D.dtype) !== eb)
      throw new ArgumentError(`copy: ${S.dtype} → ${D.dtype} changes the element size; cast instead`);
    const so = opts.srcOffset ?? 0;
    const dO = opts.dstOffset ?? 0;
    const count = opts.count ?? S.size - so;
    checkRange('copy', 'src', so, count, S.size);
    checkRange('copy', 'dst', dO, count, D.size);
    if ((so * eb) % 4 || (dO * eb) % 4 || (count * eb) % 4)
      throw new ArgumentError('copy: f16 offsets and counts must be even');
    if (count === 0) return;
    this.gpu.submit('copy', [], [], (enc) => enc.copyBufferToBuffer(S.buffer, so * eb, D.buffer, dO * eb, count * eb));
  }
  write(dst: Tensor, data: ArrayLike<number>, offset = 0): void {
    const D = this.t(dst, 'write');
    if (D.dtype === 'f16') throw new ArgumentError('write: f16 tensors are written as f32 and cast');
    checkRange('write', 'dst', offset, data.length, D.size);
    this.gpu.checkAlive('write');
    if (data.length === 0) return;
    const arr =
      D.dtype === 'u32' ? Uint32Array.from(data) : data instanceof Float32Array ? data : Float32Array.from(data);
    const src = arr.buffer as ArrayBuffer; // never shared here; TS >= 5.9 rejects ArrayBufferLike
    this.gpu.device.queue.writeBuffer(D.buffer, offset * 4, src, arr.byteOffset, arr.byteLength);
  }
  matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
    return matmul(this.gpu, this.t(a, 'matmul'), this.t(b, 'matmul'), opts);
  }
  l2normalize(x: Tensor, eps?: number): Tensor {
    return l2normalize(this.gpu, this.t(x, 'l2normalize'), eps);
  }
  l2normalizeBackward(x: Tensor, dy: Tensor, eps?: number): Tensor {
    return l2normalizeBackward(this.gpu, this.t(x, 'l2normalizeBackward'), this.t(dy, 'l2normalizeBackward'), eps);
  }
  logsumexp(x: Tensor, axis: Axis): Tensor {
    return reduce(this.gpu, this.t(x, 'logsumexp'), 'logsumexp', axis);
  }
  softmax(x: Tensor, axis: Axis): Tensor {
    return softmax(this.gpu, this.t(x, 'softmax'), axis);
  }
  sum(x: Tensor, axis?: Axis): Tensor {
    return axis === undefined
      ? reduceAll(this.gpu, this.t(x, 'sum'), 'sum')
      : reduce(this.gpu, this.t(x, 'sum'), 'sum', axis);
  }
  mean(x: Tensor, axis?: Axis): Tensor {
    return axis === undefined
      ? reduceAll(this.gpu, this.t(x, 'mean'), 'mean')
      : reduce(this.gpu, this.t(x, 'mean'), 'mean', axis);
  }
  max(x: Tensor, axis?: Axis): Tensor {
    return axis === undefined
      ? reduceAll(this.gpu, this.t(x, 'max'), 'max')
      : reduce(this.gpu, this.t(x, 'max'), 'max', axis);
  }
  scale(x: Tensor, alpha: number): Tensor {
    return elementwise(this.gpu, 'scale', this.t(x, 'scale'), { alpha });
  }
  axpy(alpha: number, x: Tensor, y: Tensor): Tensor {
    return elementwise(this.gpu, 'axpy', this.t(x, 'axpy'), { alpha, y: this.t(y, 'axpy') });
  }
  clip(x: Tensor, lo: number, hi: number): Tensor {
    return elementwise(this.gpu, 'clip', this.t(x, 'clip'), { lo, hi });
  }
  topk(x: Tensor, k: number, opts?: TopKOptions): { values: Tensor; indices: Tensor } {
    return topk(this.gpu, this.t(x, 'topk'), k, opts);
  }
  cast(x: Tensor, to: CastDType): Tensor {
    return cast(this.gpu, this.t(x, 'cast'), to);
  }
  transpose(x: Tensor): Tensor {
    return transpose(this.gpu, this.t(x, 'transpose'));
  }
  imagePreprocess(images: readonly PreprocessImage[], opts: PreprocessOptions): Tensor {
    return imagePreprocess(this.gpu, images, opts);
  }

  private lossOpts(opts: LossOptions<Tensor>, op: string): LossOptions {
    const w = opts.weights;
    return { ...opts, weights: w === undefined ? undefined : isTensor(w) ? this.t(w, op) : w };
  }
  readonly losses: LossOps = {
    debias: (inp, opts) =>
      debiasLoss(
        this.gpu,
        {
          xI: this.t(inp.xI, 'debiasLoss'),
          xT: this.t(inp.xT, 'debiasLoss'),
          bankI: inp.bankI.map((b) => this.t(b, 'debiasLoss')),
          bankT: inp.bankT.map((b) => this.t(b, 'debiasLoss')),
        },
        opts,
      ),
    clip: (U, W, t, opts = {}) =>
      clipLoss(
        this.gpu,
        this.t(U, 'clipLoss'),
        this.t(W, 'clipLoss'),
        this.scalar(t, 'clipLoss'),
        this.lossOpts(opts, 'clipLoss'),
      ),
    siglip: (U, W, tPrime, b, opts = {}) =>
      siglipLoss(
        this.gpu,
        this.t(U, 'siglipLoss'),
        this.t(W, 'siglipLoss'),
        this.scalar(tPrime, 'siglipLoss'),
        this.scalar(b, 'siglipLoss'),
        this.lossOpts(opts, 'siglipLoss'),
      ),
  };
  readonly optim: OptimOps = {
    adamw: (params, grads, m, v, step, opts: AdamWOptions<Tensor>) => {
      const { gradScale, ...hp } = opts;
      const o: AdamWOptions = gradScale === undefined ? hp : { ...hp, gradScale: this.t(gradScale, 'adamw') };
      adamw(this.gpu, this.t(params, 'adamw'), this.t(grads, 'adamw'), this.t(m, 'adamw'), this.t(v, 'adamw'), step, o);
    },
    clipGradNorm: (grads, maxNorm) =>
      clipGradNorm(
        this.gpu,
        grads.map((g) => this.t(g, 'clipGradNorm')),
        maxNorm,
      ),
  };
  readonly mlp: MlpOps = {
    biasAct: (x, bias, act?: Activation) => biasAct(this.gpu, this.t(x, 'biasAct'), this.t(bias, 'biasAct'), act),
    biasActBackward: (dy, x, bias, act?: Activation) =>
      biasActBackward(
        this.gpu,
        this.t(dy, 'biasActBackward'),
        x && this.t(x, 'biasActBackward'),
        bias && this.t(bias, 'biasActBackward'),
        act,
      ),
    gatherRows: (x, idx) =>
      gatherRows(this.gpu, this.t(x, 'gatherRows'), isTensor(idx) ? this.t(idx, 'gatherRows') : idx),
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
    pass: (ch, { qOut, ...o }) =>
      momentsPass(this.gpu, this.chunk(ch, 'moments'), { ...o, qOut: qOut && this.t(qOut, 'moments') }),
    hessian: (ch, o) => momentsHessianPass(this.gpu, this.chunk(ch, 'moments.hessian'), o),
  };
  private transformerOps: TransformerOps | null = null;
  get transformer(): TransformerOps {
    return (this.transformerOps ??= gpuTransformerOps(this.gpu, (x, op) => this.t(x, op)));
  }
  sync(): Promise<void> {
    return this.gpu.sync();
  }
  destroy(): void {
    this.gpu.destroy();
  }
}
