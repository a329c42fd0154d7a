import type { Activation } from './ops/mlp/reference.js';
import type { BiasActBackwardResult } from './ops/mlp/mlp.js';
import type { CastDType } from './ops/cast/cast.wgsl.js';
import type { ClipLossResult, LossOptions, SiglipLossResult } from './ops/losses/losses.js';
import type { DebiasLossOptions } from './ops/debias-loss/debias-loss.js';
import type { MatmulOptions } from './ops/matmul/matmul.js';
import type { AdamWOptions, ClipGradNormResult } from './ops/optim/optim.js';
import type { TopKOptions } from './ops/topk/topk.js';
import type { PreprocessImage, PreprocessOptions } from './ops/image-preprocess/reference.js';
import type { AttentionOptions } from './ops/attention/attention.js';
import { CpuKernels } from './backend-cpu.js';
import { GpuKernels } from './backend-webgpu.js';
import {
  GpuContext,
  type AdapterDescription,
  type DType,
  type GpuContextOptions,
  type NumArray,
} from './runtime/context.js';
import { M4kitError, NoAdapterError } from './runtime/errors.js';
import { isCI } from './runtime/gpu.js';

export { CpuKernels, CpuTensor } from './backend-cpu.js';

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

export type Axis = 0 | 1;

/** CLIP / SigLIP losses with gradients (spec §3); see `clipLoss` / `siglipLoss` for the definitions. */
export interface LossOps {
  /**
   * CLIP loss and ∂/∂U, ∂/∂W, ∂/∂t. Zero / non-finite rows, bad weights or non-finite results:
   * ArgumentError (on WebGPU after reading the status word, unless `check: false`; the CPU backend checks on the host and
   * always throws).
   */
  clip(U: Tensor, W: Tensor, t: number | Tensor, opts?: LossOptions<Tensor>): Promise<ClipLossResult<Tensor>>;
  /** SigLIP loss and ∂/∂U, ∂/∂W, ∂/∂t′, ∂/∂b. */
  siglip(
    U: Tensor,
    W: Tensor,
    tPrime: number | Tensor,
    b: number | Tensor,
    opts?: LossOptions<Tensor>,
  ): Promise<SiglipLossResult<Tensor>>;
  /**
   * The debias module's bank loss (spec §2.4) and ∂/∂xI, ∂/∂xT (`debiasLoss`; banks as row segments). Non-finite
   * rows: ArgumentError. The WebGPU result also reports its tiling (`DebiasLossResult`).
   */
  debias(inp: DebiasInputs, opts: DebiasLossOptions): Promise<DebiasResult>;
}

/** Inputs of `k.losses.debias` (shapes as `DebiasLossInputs`). */
export interface DebiasInputs {
  /** [B·R, D]: per item [b_I, ĝ_T*, f̂_T1, (ĝ^m_T1)] */
  xI: Tensor;
  /** [B·R, D]: per item [b_T, ĝ_I, f̂_I, (ĝ^m_I)] */
  xT: Tensor;
  /** image bank as row segments [n_k, D] */
  bankI: Tensor[];
  /** text bank, segments with the same row counts */
  bankT: Tensor[];
}

export interface DebiasResult {
  /** batch means; total = α(i2t + t2i)/2 + (1 − α)·ba */
  ba: number;
  i2t: number;
  t2i: number;
  total: number;
  /** [B·2, D] */
  dI: Tensor;
  dT: Tensor;
}

/** Optimiser steps in place on device tensors: no read-back. */
export interface OptimOps {
  /** One AdamW step (PyTorch semantics) in place on params, m, v; `step` counts from 1. */
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, step: number, opts: AdamWOptions<Tensor>): void;
  /** Global gradient-norm clipping in place; norm and factor as [1] tensors. */
  clipGradNorm(grads: Tensor[], maxNorm: number): ClipGradNormResult<Tensor>;
}

/** Projection-head kernels. */
export interface MlpOps {
  /** Y = act(X + b) for X [M, N], b [N]. */
  biasAct(x: Tensor, bias: Tensor, act?: Activation): Tensor;
  /** dX = dY ⊙ act′(X + b) (null for 'none') and db = column sums. */
  biasActBackward(dy: Tensor, x: Tensor | null, bias: Tensor | null, act?: Activation): BiasActBackwardResult<Tensor>;
  /** Y[i] = X[idx[i]] (device u32 indices or a host integer array). */
  gatherRows(x: Tensor, idx: Tensor | ArrayLike<number>): Tensor;
}

/** Transformer kernels for the CLIP towers (#23); definitions in ops/layernorm, ops/attention, ops/patches. */
export interface TransformerOps {
  /** LayerNorm over the last axis: (x − µ)/√(σ² + eps)·γ + β (eps default 1e-5; x f32 or f16 storage, γ β f32) */
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps?: number): Tensor;
  /** fused multi-head attention on packed qkv [batch·seq, 3·width] → [batch·seq, width] (optional causal mask) */
  attention(qkv: Tensor, opts: AttentionOptions): Tensor;
  /** im2col for the stride-p patch conv: x [n, C, S, S] → [n·⌊S/p⌋², C·p²] */
  unfold(x: Tensor, patch: number): Tensor;
  /** ViT inputs: [cls; x rows of one image] + pos, for x [n·P, W], cls [W], pos [P + 1, W] → [n·(P + 1), W] */
  classTokens(x: Tensor, cls: Tensor, pos: Tensor): Tensor;
  /** table[ids] + pos[r mod L] for table [V, W], ids (u32 tensor or integers) of n·L tokens, pos [L, W] */
  embedTokens(table: Tensor, ids: Tensor | ArrayLike<number>, pos: Tensor): Tensor;
}

/** A chunk of balance rows for `k.moments`: S [rows, m], Y [rows, c], optional u and w [rows]. */
export interface MomentsChunkTensors {
  S: Tensor;
  Y: Tensor;
  u?: Tensor;
  w?: Tensor;
}

/** The dual point of a moments pass (W = v⁺ − v⁻, m×(c+1) row-major; π [m]; µ; η). */
export interface MomentsPassOptions {
  W: ArrayLike<number>;
  pi: ArrayLike<number>;
  mu: number;
  eta: number;
  /** when set, q_i ≡ fixedQ (raw-data statistics) */
  fixedQ?: number;
  /** store q_i here ([rows]) */
  qOut?: Tensor;
}

export interface MomentsHessianOptions {
  W: ArrayLike<number>;
  pi: ArrayLike<number>;
  mu: number;
  eta: number;
  /** use only rows 0, stride, 2·stride, … (default 1) */
  stride?: number;
}

/**
 * The balance moments kernels (spec §1.5). Both return block partial sums to fold in float64 on the host:
 * [blocks, R] for `foldMomentsPartials`, [blocks, T] for `foldHessianPartials` (one block on the CPU backend).
 */
export interface MomentsOps {
  /** fused M4 pass: q, Σq(s−π)⊗[1,y], Σw, objective (`momentsPass`) */
  pass(chunk: MomentsChunkTensors, opts: MomentsPassOptions): Tensor;
  /** generalised Hessian Σ_{0<q̂<1} w z zᵀ, packed upper triangle (`momentsHessianPass`) */
  hessian(chunk: MomentsChunkTensors, opts: MomentsHessianOptions): Tensor;
}

/** Options of `copy` (in elements). */
export interface CopyOptions {
  srcOffset?: number;
  dstOffset?: number;
  /** default: the rest of src */
  count?: number;
}

/**
 * The kernel API; the same signatures on the WebGPU and the float64 CPU backend. Fused families are grouped
 * (`k.losses`, `k.optim`, `k.mlp`, `k.moments`); the free launchers on a `GpuContext` are the advanced,
 * WebGPU-only layer (`@m4kit/kernels/advanced`).
 */
export interface Kernels {
  readonly backend: BackendKind;
  /** adapter description (null on the CPU backend) */
  readonly adapter: AdapterDescription | null;
  /** the GPU context (null on the CPU backend): for the advanced launchers only */
  readonly gpu: GpuContext | null;
  /** bytes one storage binding may hold (Infinity on the CPU backend): inputs above it are processed in chunks */
  readonly maxBindingSize: number;
  /** why `backend: 'auto'` runs on the CPU backend (null when it runs where asked) */
  readonly fallbackReason: string | null;
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype?: DType): Tensor;
  /** uninitialised tensor, for outputs overwritten completely (zeros on the CPU backend) */
  empty(shape: readonly number[], dtype?: DType): Tensor;
  zeros(shape: readonly number[], dtype?: DType): Tensor;
  /** dst[dstOffset + i] = src[srcOffset + i] for i < count (same dtype, queued in order with the kernels) */
  copy(src: Tensor, dst: Tensor, opts?: CopyOptions): void;
  /** dst[offset + i] = data[i] (host upload into part of a tensor) */
  write(dst: Tensor, data: ArrayLike<number>, offset?: number): void;
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
  topk(x: Tensor, k: number, opts?: TopKOptions): { values: Tensor; indices: Tensor };
  /** f32 ↔ f16 (WebGPU: needs shader-f16; CPU: values rounded to binary16) */
  cast(x: Tensor, to: CastDType): Tensor;
  /** [rows, cols] → [cols, rows] */
  transpose(x: Tensor): Tensor;
  /**
   * open_clip's eval preprocessing of 8-bit RGBA host images (any sizes; alpha dropped): PIL bicubic/bilinear resize
   * (antialiased when shrinking) per `resizeMode`, centre crop or pad, /255, (x − mean)/std → [n, 3, S, S] f32,
   * byte-exact with PIL before the normalisation (`imagePreprocessRef`).
   */
  imagePreprocess(images: readonly PreprocessImage[], opts: PreprocessOptions): Tensor;
  readonly losses: LossOps;
  readonly optim: OptimOps;
  readonly mlp: MlpOps;
  readonly moments: MomentsOps;
  readonly transformer: TransformerOps;
  /** wait for queued work; throws the first typed GPU error */
  sync(): Promise<void>;
  /** release everything; destroys the device only if init() created it */
  destroy(): void;
}

/**
 * Create a kernel backend that owns its device (TypeGPU's `init()`): WebGPU where there is an adapter
 * (`navigator.gpu`, or Dawn once `@m4kit/kernels/node` is imported), else — with `backend: 'auto'` and outside CI
 * only — the float64 CPU backend, announced on stderr (or through `onFallback`) and in `fallbackReason`.
 *
 * @param opts - `backend` ('auto' default, 'webgpu' or 'cpu'), `onFallback`, and the device options
 *   (`powerPreference`, binding-size cap)
 * @returns the `Kernels` surface; call `destroy()` when done
 * @throws NoAdapterError when WebGPU is asked for (or under CI) and no adapter is found
 *
 * @example
 * ```js
 * import { init } from '@m4kit/kernels/node';
 * const k = await init();
 * const c = await k.matmul(k.tensor([1, 2, 3, 4], [2, 2]), k.tensor([1, 0, 0, 1], [2, 2])).read();
 * console.log(k.backend, Array.from(c)); // webgpu [ 1, 2, 3, 4 ]
 * k.destroy();
 * ```
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
