// The WebGPU backend of `Kernels`: tensors and data movement here; every op comes from the registry
// (ops/registry.ts): unwrap the tensors (they must belong to this context), run the op's host checks, call its
// launcher. No maths here.
import type { CopyOptions, KernelsCore, Tensor } from './types.js';
import { isTensor } from './types.js';
import { checkRange } from './ops/common.js';
import { mapTensors, type AnyFn, type OpDeclaration } from './ops/op.js';
import { buildSurface, type OpSurface } from './ops/registry.js';
import { dtypeBytes, GpuTensor, type AdapterDescription, type DType, type GpuContext } from './runtime/context.js';
import { ArgumentError } from './runtime/errors.js';

export interface GpuKernels extends OpSurface {}
export class GpuKernels implements KernelsCore {
  readonly backend = 'webgpu' as const;
  readonly fallbackReason = null;
  /** @internal the context (advanced layer: `gpuContextOf(k)`) */
  constructor(readonly gpu: GpuContext) {
    Object.assign(
      this,
      buildSurface((decl, args) => this.call(decl, args)),
    );
  }
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
  /** a declared op: tensors unwrapped, host checks, the launcher (a failing async op rejects, never throws) */
  private call(decl: OpDeclaration<AnyFn>, args: unknown[]): unknown {
    const run = () => {
      const a = mapTensors(args, isTensor, (x) => this.t(x as Tensor, decl.name));
      decl.check?.(...a);
      return decl.webgpu(this.gpu, ...a);
    };
    if (!decl.async) return run();
    try {
      return run();
    } catch (e) {
      return Promise.reject(e);
    }
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
  sync(): Promise<void> {
    return this.gpu.sync();
  }
  destroy(): void {
    this.gpu.destroy();
  }
}

/**
 * The `GpuContext` behind a WebGPU `Kernels` (null on the CPU backend): for the advanced launchers and
 * `defineKernel` only (`@m4kit/kernels/advanced`). Application code stays on the `Kernels` surface.
 * @param k - a `Kernels` from `init()` / `initFromDevice()`.
 * @returns its `GpuContext`, or null when `k` runs on the CPU backend.
 */
export function gpuContextOf(k: KernelsCore): GpuContext | null {
  return k instanceof GpuKernels ? k.gpu : null;
}
