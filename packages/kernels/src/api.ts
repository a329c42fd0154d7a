import { GpuContext, type AdapterDescription, type DType, type GpuContextOptions, GpuTensor, type NumArray } from './runtime/context.js';
import { ArgumentError, DeviceLostError, M4kitError, NoAdapterError, ShapeError } from './runtime/errors.js';
import { isCI } from './runtime/gpu.js';
import { elementwise } from './ops/elementwise/elementwise.js';
import { axpyRef, clipRef, scaleRef } from './ops/elementwise/reference.js';
import { matmul, matmulDims, type MatmulOptions } from './ops/matmul/matmul.js';
import { matmulRef } from './ops/matmul/reference.js';
import { l2normalize, l2normalizeBackward } from './ops/normalize/normalize.js';
import { l2normalizeBackwardRef, l2normalizeRef } from './ops/normalize/reference.js';
import { reduce, reduceAll } from './ops/reduce/reduce.js';
import { reduceAllRef, reduceRef } from './ops/reduce/reference.js';
import { softmax } from './ops/softmax/softmax.js';
import { softmaxRef } from './ops/softmax/reference.js';
import { topk } from './ops/topk/topk.js';
import { topkRef } from './ops/topk/reference.js';
import { shapeStr } from './ops/common.js';

export type BackendKind = 'webgpu' | 'cpu';

export interface InitOptions extends GpuContextOptions {
  /** 'auto' (default): WebGPU, falling back to the float64 CPU backend only outside CI. */
  backend?: BackendKind | 'auto';
  /** called when 'auto' falls back to the CPU backend (without it, the fallback is reported by console.warn) */
  onFallback?: (reason: string) => void;
}

/** A tensor on either backend. GPU tensors read back as Float32Array/Uint32Array, CPU ones as Float64Array/Uint32Array. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  read(): Promise<NumArray>;
  dispose(): void;
}

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
    if (shape.reduce((a, b) => a * b, 1) !== this.size) throw new ShapeError(`view: cannot view shape ${shapeStr(this.shape)} as ${shapeStr(shape)}`);
    return new CpuTensor(this.data, shape, this.dtype);
  }
  dispose(): void {}
}

export type Axis = 0 | 1;

/** The kernel API; the same signatures on the WebGPU and the float64 CPU backend. */
export interface Kernels {
  readonly backend: BackendKind;
  /** adapter description (null on the CPU backend) */
  readonly adapter: AdapterDescription | null;
  /** the GPU context (null on the CPU backend) */
  readonly gpu: GpuContext | null;
  /** why `backend: 'auto'` runs on the CPU backend (null when it runs where asked) */
  readonly fallbackReason: string | null;
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype?: DType): Tensor;
  matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor;
  l2normalize(x: Tensor, eps?: number): Tensor;
  l2normalizeBackward(x: Tensor, dy: Tensor, eps?: number): Tensor;
  logsumexp(x: Tensor, axis: Axis): Tensor;
  softmax(x: Tensor, axis: Axis): Tensor;
  sum(x: Tensor, axis?: Axis): Tensor;
  mean(x: Tensor, axis?: Axis): Tensor;
  max(x: Tensor, axis?: Axis): Tensor;
  scale(x: Tensor, alpha: number): Tensor;
  axpy(alpha: number, x: Tensor, y: Tensor): Tensor;
  clip(x: Tensor, lo: number, hi: number): Tensor;
  topk(x: Tensor, k: number): { values: Tensor; indices: Tensor };
  /** wait for queued work; throws the first typed GPU error */
  sync(): Promise<void>;
  /** release everything; destroys the device only if init() created it */
  destroy(): void;
}

class GpuKernels implements Kernels {
  readonly backend = 'webgpu' as const;
  readonly fallbackReason = null;
  constructor(readonly gpu: GpuContext) {}
  get adapter(): AdapterDescription {
    return this.gpu.adapterInfo;
  }
  private t(x: Tensor, name: string): GpuTensor {
    if (!(x instanceof GpuTensor)) throw new ArgumentError(`${name}: expected a WebGPU tensor from this backend`);
    if (x.ctx !== this.gpu) throw new ArgumentError(`${name}: tensor belongs to another context`);
    return x;
  }
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.gpu.tensor(data, shape, dtype);
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
    return axis === undefined ? reduceAll(this.gpu, this.t(x, 'sum'), 'sum') : reduce(this.gpu, this.t(x, 'sum'), 'sum', axis);
  }
  mean(x: Tensor, axis?: Axis): Tensor {
    return axis === undefined ? reduceAll(this.gpu, this.t(x, 'mean'), 'mean') : reduce(this.gpu, this.t(x, 'mean'), 'mean', axis);
  }
  max(x: Tensor, axis?: Axis): Tensor {
    return axis === undefined ? reduceAll(this.gpu, this.t(x, 'max'), 'max') : reduce(this.gpu, this.t(x, 'max'), 'max', axis);
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
  topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
    return topk(this.gpu, this.t(x, 'topk'), k);
  }
  sync(): Promise<void> {
    return this.gpu.sync();
  }
  destroy(): void {
    this.gpu.destroy();
  }
}

function rank2(op: string, x: CpuTensor): [number, number] {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  return [x.shape[0], x.shape[1]];
}
function axisOk(op: string, axis: number): void {
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`${op}: axis must be 0 or 1, got ${axis}`);
}

/** The float64 CPU backend: the references behind the same API (explicit `backend: 'cpu'`). */
export class CpuKernels implements Kernels {
  readonly backend = 'cpu' as const;
  readonly adapter = null;
  readonly gpu = null;
  private destroyed = false;
  /** @param fallbackReason why `init({ backend: 'auto' })` chose this backend (null when asked for explicitly) */
  constructor(readonly fallbackReason: string | null = null) {}
  private t(x: Tensor, name: string): CpuTensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', `${name} called after destroy()`);
    if (!(x instanceof CpuTensor)) throw new ArgumentError(`${name}: expected a CPU tensor from this backend`);
    return x;
  }
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'tensor called after destroy()');
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape ${shapeStr(shape)}`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new ShapeError(`tensor: data has ${data.length} elements, shape ${shapeStr(shape)} needs ${n}`);
    return new CpuTensor(dtype === 'u32' ? Uint32Array.from(data) : Float64Array.from(data), [...shape], dtype);
  }
  private f(data: Float64Array, shape: readonly number[]): CpuTensor {
    return new CpuTensor(data, [...shape], 'f32');
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
    if (G.shape.join() !== X.shape.join()) throw new ShapeError(`l2normalizeBackward: x ${shapeStr(X.shape)} and dy ${shapeStr(G.shape)} differ`);
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
    if (X.shape.join() !== Y.shape.join()) throw new ShapeError(`axpy: x ${shapeStr(X.shape)} and y ${shapeStr(Y.shape)} differ`);
    return this.f(axpyRef(alpha, X.data, Y.data), X.shape);
  }
  clip(x: Tensor, lo: number, hi: number): Tensor {
    const X = this.t(x, 'clip');
    if (!(lo <= hi)) throw new ArgumentError(`clip: lo (${lo}) > hi (${hi})`);
    return this.f(clipRef(X.data, lo, hi), X.shape);
  }
  topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
    const X = this.t(x, 'topk');
    const [r, c] = rank2('topk', X);
    if (!Number.isInteger(k) || k < 1 || k > c) throw new ArgumentError(`topk: k must be an integer in [1, ${c}], got ${k}`);
    const { values, indices } = topkRef(X.data, r, c, k);
    return { values: this.f(values, [r, k]), indices: new CpuTensor(indices, [r, k], 'u32') };
  }
  async sync(): Promise<void> {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'sync called after destroy()');
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/**
 * Create a kernel backend that owns its device (TypeGPU's `init()`):
 *   const k = await init();            // WebGPU; CPU fallback outside CI only
 *   const k = await init({ backend: 'cpu' });
 */
export async function init(opts: InitOptions = {}): Promise<Kernels> {
  const backend = opts.backend ?? 'auto';
  if (backend === 'cpu') return new CpuKernels();
  try {
    return new GpuKernels(await GpuContext.create(opts));
  } catch (e) {
    if (backend === 'auto' && e instanceof NoAdapterError && !isCI()) {
      const reason = `no WebGPU adapter, using the float64 CPU backend: ${e.message}`;
      if (opts.onFallback) opts.onFallback(e.message);
      else console.warn(`[m4kit] ${reason} (pass backend: 'cpu' to choose it, or onFallback to handle this)`);
      return new CpuKernels(reason);
    }
    if (e instanceof M4kitError) throw e;
    throw new NoAdapterError(`WebGPU device creation failed: ${(e as Error)?.message ?? e}`);
  }
}

/** Wrap a device the caller owns (TypeGPU's `initFromDevice()`); `destroy()` never destroys it. */
export function initFromDevice(device: GPUDevice, opts: GpuContextOptions = {}): Kernels {
  return new GpuKernels(GpuContext.fromDevice(device, opts));
}
