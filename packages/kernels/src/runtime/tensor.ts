import type { GpuContext } from './context.js';
import { ShapeError } from './errors.js';

/** Element type. `f16` needs the adapter's `shader-f16` feature (`ctx.features.f16`); it is storage for
 * mixed precision: convert with `cast()` before f32 kernels. */
export type DType = 'f32' | 'u32' | 'f16';

/**
 * Bytes per element.
 * @param dtype - 'f32', 'u32' or 'f16'.
 * @returns 4, 4 or 2.
 */
export function dtypeBytes(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}
/** The typed arrays a tensor reads back as (f32 and f16 tensors: Float32Array; u32: Uint32Array). */
export type NumArray = Float32Array | Float64Array | Uint32Array | Int32Array;

/** A GPU tensor: a storage buffer plus shape. `unwrap()` hands out the raw GPUBuffer. */
export class GpuTensor {
  readonly kind = 'gpu' as const;
  private disposed = false;
  constructor(
    readonly ctx: GpuContext,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    private readonly owned: boolean,
  ) {}
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get rows(): number {
    return this.shape.length === 0 ? 1 : this.shape[0];
  }
  get cols(): number {
    return this.shape.length <= 1 ? 1 : this.shape.slice(1).reduce((a, b) => a * b, 1);
  }
  unwrap(): GPUBuffer {
    return this.buffer;
  }
  /** Reshape view sharing the buffer (no copy). */
  view(shape: readonly number[]): GpuTensor {
    if (shape.reduce((a, b) => a * b, 1) !== this.size)
      throw new ShapeError(`view: cannot view shape [${this.shape}] as [${shape}]`);
    return new GpuTensor(this.ctx, this.buffer, shape, this.dtype, false);
  }
  async read(): Promise<NumArray> {
    return this.ctx.read(this);
  }
  dispose(): void {
    if (this.disposed || !this.owned) return;
    this.disposed = true;
    this.ctx.release(this.buffer);
  }
}
