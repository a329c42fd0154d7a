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
