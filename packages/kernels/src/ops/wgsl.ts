// WGSL helpers shared by several kernels (one copy each). WGSL lets implementations assume no Inf/NaN, so
// finiteness is tested on the bits.

/**
 * The largest finite f32 as a WGSL literal (the −FLT_MAX of empty max reductions).
 */
export const F32_MAX_WGSL = '3.4028234663852886e38';

/** `isFinite(x)` on the exponent bits. */
export const isFiniteWgsl = /* wgsl */ `
fn isFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

/** `isNan(x)` on the bits (\`x != x\` may be folded to false: lavapipe let NaN into topk that way). */
export const isNanWgsl = /* wgsl */ `
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`;
