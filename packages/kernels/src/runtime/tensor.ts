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
