// The two passes of open_clip's image preprocessing (definitions in reference.ts), in PIL's fixed point: i32
// weights with PRECISION_BITS fractional bits, sums started at ½ (round half up) and clipped to 0..255, so every
// value equals PIL's byte. Pixels are one u32 each (R | G << 8 | B << 16, alpha ignored). Coefficients of one
// axis: start[S], taps[S], then S rows of `k` weights (i32 bit patterns in a u32 array).
import { defineKernel } from '../kernel.js';
import { PRECISION_BITS } from './reference.js';

export const WG = 16;

const clip8 = /* wgsl */ `
fn clip8(ss: i32) -> u32 {
  if (ss >= (255 << PREC)) { return 255u; }
  if (ss <= 0) { return 0u; }
  return u32(ss >> PREC);
}
`;

/** Horizontal pass: rows y0 .. y0 + rows − 1 of the input, S output columns (0 where a column is padding). */
export const horizontalKernel = defineKernel({
  name: 'imagePreprocess:h',
  params: { w: 'u32', s: 'u32', rows: 'u32', y0: 'u32', pxBase: 'u32', cBase: 'u32', k: 'u32', tBase: 'u32' },
  constants: { PREC: PRECISION_BITS },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> PX: array<u32>;
@group(0) @binding(2) var<storage, read> C: array<u32>;
@group(0) @binding(3) var<storage, read_write> T: array<u32>;
${clip8}
@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x;
  let r = g.y;
  if (j >= p.s || r >= p.rows) { return; }
  let start = C[p.cBase + j];
  let taps = C[p.cBase + p.s + j];
  let wBase = p.cBase + 2u * p.s + j * p.k;
  let row = p.pxBase + (p.y0 + r) * p.w + start;
  var s0 = 1 << (PREC - 1u);
  var s1 = s0;
  var s2 = s0;
  for (var t = 0u; t < taps; t++) {
    let px = PX[row + t];
    let kk = bitcast<i32>(C[wBase + t]);
    s0 += i32(px & 255u) * kk;
    s1 += i32((px >> 8u) & 255u) * kk;
    s2 += i32((px >> 16u) & 255u) * kk;
  }
  var v = 0u;
  if (taps > 0u) { v = clip8(s0) | (clip8(s1) << 8u) | (clip8(s2) << 16u); }
  T[p.tBase + r * p.s + j] = v;
}
`,
});

/** Vertical pass + /255 + (x − mean)/std: S × S outputs, channel-major, from the horizontal pass's rows. */
export const verticalKernel = defineKernel({
  name: 'imagePreprocess:v',
  params: {
    s: 'u32',
    y0: 'u32',
    hBase: 'u32',
    vBase: 'u32',
    k: 'u32',
    tBase: 'u32',
    oBase: 'u32',
    m0: 'f32',
    m1: 'f32',
    m2: 'f32',
    d0: 'f32',
    d1: 'f32',
    d2: 'f32',
  },
  constants: { PREC: PRECISION_BITS },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> C: array<u32>;
@group(0) @binding(2) var<storage, read> T: array<u32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
${clip8}
@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x;
  let i = g.y;
  if (j >= p.s || i >= p.s) { return; }
  let start = C[p.vBase + i];
  let taps = C[p.vBase + p.s + i];
  let wBase = p.vBase + 2u * p.s + i * p.k;
  var s0 = 1 << (PREC - 1u);
  var s1 = s0;
  var s2 = s0;
  for (var t = 0u; t < taps; t++) {
    let px = T[p.tBase + (start - p.y0 + t) * p.s + j];
    let kk = bitcast<i32>(C[wBase + t]);
    s0 += i32(px & 255u) * kk;
    s1 += i32((px >> 8u) & 255u) * kk;
    s2 += i32((px >> 16u) & 255u) * kk;
  }
  var v = vec3f(0.0);
  // padding (no taps on either axis) is fill 0 before normalisation
  if (taps > 0u && C[p.hBase + p.s + j] > 0u) { v = vec3f(f32(clip8(s0)), f32(clip8(s1)), f32(clip8(s2))); }
  let x = v / 255.0;
  let q = p.oBase + i * p.s + j;
  let ss = p.s * p.s;
  O[q] = (x.x - p.m0) / p.d0;
  O[q + ss] = (x.y - p.m1) / p.d1;
  O[q + 2u * ss] = (x.z - p.m2) / p.d2;
}
`,
});
