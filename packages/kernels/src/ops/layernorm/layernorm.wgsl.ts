// LayerNorm over rows: one workgroup per row, three sweeps of the row (max |x|, mean of x/m, variance of
// x/m − µ), all in f32 in registers + a workgroup tree reduction. Scaling by m = max |x| keeps the squares finite
// for any finite input; the eps term becomes eps/m² (exact rewrite). `half`: X and Y are f16 storage.
import { defineKernel } from '../kernel.js';

export const LN_WG = 128;

export interface LayerNormSpec {
  [k: string]: boolean;
  half: boolean;
}

export const layerNormKernel = defineKernel({
  name: 'layernorm',
  params: { rows: 'u32', width: 'u32', xBase: 'u32', yBase: 'u32', gBase: 'u32', bBase: 'u32', eps: 'f32' },
  enables: ({ half }: LayerNormSpec) => (half ? ['f16'] : []),
  source: ({ half }: LayerNormSpec) => {
    const T = half ? 'f16' : 'f32';
    return /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<${T}>;
var<workgroup> red: array<f32, ${LN_WG}>;
fn reduceSum(l: u32, v: f32) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = ${LN_WG / 2}u; s > 0u; s = s >> 1u) {
    if (l < s) { red[l] = red[l] + red[l + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduceMax(l: u32, v: f32) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = ${LN_WG / 2}u; s > 0u; s = s >> 1u) {
    if (l < s) { red[l] = max(red[l], red[l + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
@compute @workgroup_size(${LN_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let l = lid.x;
  let r = wg.y * 65535u + wg.x;
  if (r >= p.rows) { return; } // uniform per workgroup
  let o = p.xBase + r * p.width;
  let w = p.width;
  var m = 0.0;
  for (var j = l; j < w; j += ${LN_WG}u) { m = max(m, abs(f32(X[o + j]))); }
  m = reduceMax(l, m);
  let s = select(1.0, m, m > 0.0);
  let inv_s = 1.0 / s;
  var acc = 0.0;
  for (var j = l; j < w; j += ${LN_WG}u) { acc += f32(X[o + j]) * inv_s; }
  let mu = reduceSum(l, acc) / f32(w);
  var acc2 = 0.0;
  for (var j = l; j < w; j += ${LN_WG}u) { let d = f32(X[o + j]) * inv_s - mu; acc2 += d * d; }
  let v = reduceSum(l, acc2) / f32(w);
  // eps / s² may underflow to 0 for huge rows: then eps is negligible anyway
  let inv = inverseSqrt(v + (p.eps * inv_s) * inv_s);
  let oy = p.yBase + r * p.width;
  for (var j = l; j < w; j += ${LN_WG}u) {
    let d = f32(X[o + j]) * inv_s - mu;
    Y[oy + j] = ${T}(d * inv * G[p.gBase + j] + B[p.bBase + j]);
  }
}
`;
  },
});
