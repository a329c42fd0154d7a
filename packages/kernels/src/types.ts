// The backend-neutral surface types: what an op's signature is written in. No imports from the backends, so the
// op declarations, `api.ts` and both backends can share them without an import cycle.
import type { AdapterDescription } from './runtime/context.js';
import type { DType, NumArray } from './runtime/tensor.js';

/** Where a `Kernels` runs: 'webgpu' or the float64 'cpu' reference backend. */
export type BackendKind = 'webgpu' | 'cpu';

/** A tensor on either backend. GPU tensors read back as Float32Array/Uint32Array, CPU ones as Float64Array/Uint32Array. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  read(): Promise<NumArray>;
  dispose(): void;
}

/** A 2-D tensor axis: 0 (rows) or 1 (columns). */
export type Axis = 0 | 1;

/** Options of `copy` (in elements). */
export interface CopyOptions {
  srcOffset?: number;
  dstOffset?: number;
  /** default: the rest of src */
  count?: number;
}

/** Whether x is a tensor of either backend (not a host array). */
export function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Tensor).read === 'function' &&
    typeof (x as Tensor).dispose === 'function'
  );
}

/**
 * What every backend provides besides the declared ops (ops/registry.ts): tensors, data movement, lifetime.
 * `Kernels` (api.ts) is this plus the ops.
 */
export interface KernelsCore {
  readonly backend: BackendKind;
  /** adapter description (null on the CPU backend) */
  readonly adapter: AdapterDescription | null;
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
  /** wait for queued work; throws the first typed GPU error */
  sync(): Promise<void>;
  /** release everything; destroys the device only if init() created it */
  destroy(): void;
}
