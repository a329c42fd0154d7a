import { roundToF16 } from '../../runtime/half.js';

/**
 * Float64 reference of `cast`: to 'f16' each value is rounded to the nearest binary16 (ties to even, finite values
 * saturating at ±65504, NaN kept); to 'f32' the (f16-representable) values are exact, so they are copied.
 */
export function castRef(x: ArrayLike<number>, to: 'f16' | 'f32'): Float64Array {
  return to === 'f16' ? Float64Array.from(x, roundToF16) : Float64Array.from(x);
}
