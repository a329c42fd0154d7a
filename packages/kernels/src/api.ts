// `init()` / `initFromDevice()` → `Kernels`: the one surface, the same on WebGPU and on the float64 CPU backend.
// Its ops are built from the op registry (ops/registry.ts); the rest (tensors, copies, lifetime) is `KernelsCore`.
import { CpuKernels } from './backend-cpu.js';
import { GpuKernels } from './backend-webgpu.js';
import type { OpSurface } from './ops/registry.js';
import type { MomentsChunk } from './ops/moments/moments.js';
import { GpuContext, type GpuContextOptions } from './runtime/context.js';
import { M4kitError, NoAdapterError } from './runtime/errors.js';
import { isCI } from './runtime/gpu.js';
import type { BackendKind, KernelsCore, Tensor } from './types.js';

export { CpuKernels, CpuTensor } from './backend-cpu.js';
export type { Axis, BackendKind, CopyOptions, KernelsCore, Tensor } from './types.js';
export type { DebiasInputs, DebiasResult } from './ops/debias-loss/debias-loss.js';
export type { MomentsChunks, MomentsDual, MomentsHessianOptions, MomentsPassOptions } from './ops/moments/op.js';
export type { MomentsSums } from './ops/moments/cpu.js';

/** Options of `init()`: the backend to use and what to do when WebGPU is missing (plus the device options). */
export interface InitOptions extends GpuContextOptions {
  /** 'auto' (default): WebGPU, falling back to the float64 CPU backend only outside CI. */
  backend?: BackendKind | 'auto';
  /** called when 'auto' falls back to the CPU backend (without it, the fallback is reported by console.warn) */
  onFallback?: (reason: string) => void;
}

/**
 * The kernel API; the same signatures on the WebGPU and the float64 CPU backend. The ops come from the registry
 * (ops/registry.ts; fused families grouped: `k.losses`, `k.optim`, `k.mlp`, `k.moments`); the free launchers on
 * a `GpuContext` are the advanced, WebGPU-only layer (`@m4kit/kernels/advanced`).
 */
export interface Kernels extends KernelsCore, OpSurface {}

/** CLIP / SigLIP / debias losses with gradients. */
export type LossOps = OpSurface['losses'];
/** Optimiser steps in place on device tensors. */
export type OptimOps = OpSurface['optim'];
/** Projection-head kernels. */
export type MlpOps = OpSurface['mlp'];
/** The balance moments kernels. */
export type MomentsOps = OpSurface['moments'];
/** Transformer kernels for the CLIP towers (#23). */
export type TransformerOps = OpSurface['transformer'];
/** A chunk of balance rows for `k.moments`: S [rows, m] / Y [rows, c] (or compact), optional u and w [rows]. */
export type MomentsChunkTensors = MomentsChunk<Tensor>;

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

/**
 * Wrap a device the caller owns (TypeGPU's `initFromDevice()`); `destroy()` never destroys it.
 * @param device - a `GPUDevice` the caller created (and keeps owning: `k.destroy()` leaves it alive).
 * @param opts - context options (binding-size cap, forced kernel variants); `gpu` and `powerPreference` are ignored
 *   because the device already exists.
 * @returns a WebGPU `Kernels` whose tensors live on `device`.
 */
export function initFromDevice(device: GPUDevice, opts: GpuContextOptions = {}): Kernels {
  return new GpuKernels(GpuContext.fromDevice(device, opts));
}
