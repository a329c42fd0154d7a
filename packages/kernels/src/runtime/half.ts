// IEEE binary16 on the host: f16 tensors are uploaded and read back through these. Conversion rounds to nearest,
// ties to even, and saturates finite values at ±65504 (the largest f16), as the `cast` kernel does; NaN stays NaN.
/**
 * The largest finite binary16 value (65504); conversions saturate finite values here.
 */
export const F16_MAX = 65504;

function rne(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/**
 * binary16 bit pattern of x (round to nearest even, saturating).
 * @param x - any number (NaN → 0x7e00).
 * @returns the 16-bit pattern (0…0xffff).
 */
export function f32ToF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const s = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= F16_MAX) return s | 0x7bff;
  if (a < 2 ** -14) return s | rne(a * 2 ** 24); // subnormal (1024 rounds up into the smallest normal, 0x0400)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = rne((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return s | 0x7bff;
  return s | ((e + 15) << 10) | m;
}

/**
 * Value of a binary16 bit pattern.
 * @param h - a 16-bit pattern.
 * @returns its value (±Infinity, NaN included).
 */
export function f16BitsToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  return e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * x rounded to the nearest f16 (as a number): the float64 reference of f32 → f16 conversion.
 * @param x - any number.
 * @returns the nearest f16 value, as a number.
 */
export function roundToF16(x: number): number {
  return f16BitsToF32(f32ToF16Bits(x));
}
