// The float64 CPU backend of `Kernels` (explicit `backend: 'cpu'`): tensors and data movement here; every op
// comes from the registry (ops/registry.ts): unwrap the tensors, run the op's host checks (the same code and
// typed errors as on WebGPU), call its float64 reference.
import type { CopyOptions, KernelsCore, Tensor } from './types.js';
import { isTensor } from './types.js';
import { checkRange, shapeStr } from './ops/common.js';
import { mapTensors, type AnyFn, type OpDeclaration } from './ops/op.js';
import { buildSurface, type OpSurface } from './ops/registry.js';
import { CpuTensor } from './runtime/cpu-tensor.js';
import type { DType } from './runtime/tensor.js';
import { ArgumentError, DeviceLostError, ShapeError } from './runtime/errors.js';

export { CpuTensor } from './runtime/cpu-tensor.js';

/** The float64 CPU backend: the references behind the same API (explicit `backend: 'cpu'`). */
export interface CpuKernels extends OpSurface {}
export class CpuKernels implements KernelsCore {
  readonly backend = 'cpu' as const;
  readonly adapter = null;
  readonly maxBindingSize = Infinity;
  private destroyed = false;
  /** @param fallbackReason why `init({ backend: 'auto' })` chose this backend (null when asked for explicitly) */
  constructor(readonly fallbackReason: string | null = null) {
    Object.assign(
      this,
      buildSurface((decl, args) => this.call(decl, args)),
    );
  }
  private t(x: Tensor, name: string): CpuTensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', `${name} called after destroy()`);
    if (!(x instanceof CpuTensor)) throw new ArgumentError(`${name}: expected a CPU tensor from this backend`);
    return x;
  }
  /** a declared op: tensors unwrapped, host checks, the float64 reference (a failing async op rejects) */
  private call(decl: OpDeclaration<AnyFn>, args: unknown[]): unknown {
    const run = () => {
      if (this.destroyed) throw new DeviceLostError('destroyed', `${decl.name} called after destroy()`);
      const a = mapTensors(args, isTensor, (x) => this.t(x as Tensor, decl.name));
      decl.check?.(...a);
      return decl.cpu(...a);
    };
    if (!decl.async) return run();
    try {
      return run();
    } catch (e) {
      return Promise.reject(e);
    }
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
  async sync(): Promise<void> {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'sync called after destroy()');
  }
  destroy(): void {
    this.destroyed = true;
  }
}
