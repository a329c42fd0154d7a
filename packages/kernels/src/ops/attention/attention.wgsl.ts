// Fused multi-head attention, flash style: a workgroup owns BQ queries of one (head, sequence); each invocation
// keeps its query row and its output accumulator in registers; keys and values stream through workgroup
// memory BK at a time; softmax is online (running max m and sum l, the accumulator rescaled by exp(m − m′) once
// per tile). The seq × seq scores never exist. Causal: a block stops at its last query's key. The source depends
// on the head size D (register arrays) and the storage type only; shapes travel in the uniform.
import { defineKernel } from '../kernel.js';
import { F32_MAX_WGSL } from '../wgsl.js';

export const ATT_BQ = 32;
/** Ks and Vs share the 16 KiB of workgroup memory WebGPU guarantees */
export const ATT_MAX_KD = 2048;
export const attBlockKeys = (D: number): number => Math.max(1, Math.min(64, Math.floor(ATT_MAX_KD / D)));

export interface AttentionSpec {
  [k: string]: number | boolean;
  D: number;
  half: boolean;
}

export const attentionKernel = defineKernel({
  name: 'attention',
  params: { L: 'u32', heads: 'u32', inBase: 'u32', outBase: 'u32', causal: 'u32', scale: 'f32' },
  enables: ({ half }: AttentionSpec) => (half ? ['f16'] : []),
  source: ({ D, half }: AttentionSpec) => {
    const T = half ? 'f16' : 'f32';
    const BK = attBlockKeys(D);
    return /* wgsl */ `
const D: u32 = ${D}u;
const BK: u32 = ${BK}u;
const BQ: u32 = ${ATT_BQ}u;
@group(0) @binding(1) var<storage, read> QKV: array<${T}>;
@group(0) @binding(2) var<storage, read_write> O: array<${T}>;
var<workgroup> Ks: array<f32, ${BK * D}>;
var<workgroup> Vs: array<f32, ${BK * D}>;
@compute @workgroup_size(${ATT_BQ})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let l = lid.x;
  let b = wg.z;
  let h = wg.y;
  let i = wg.x * BQ + l;
  let W = p.heads * D;
  let W3 = 3u * W;
  let base = p.inBase + b * p.L * W3 + h * D;
  let live = i < p.L;
  var q: array<f32, ${D}>;
  var acc: array<f32, ${D}>;
  var s: array<f32, ${BK}>;
  if (live) {
    for (var d = 0u; d < D; d++) { q[d] = f32(QKV[base + i * W3 + d]) * p.scale; acc[d] = 0.0; }
  }
  var m = -${F32_MAX_WGSL};
  var lsum = 0.0;
  // keys this block needs (uniform across the workgroup)
  let kEnd = select(p.L, min(p.L, wg.x * BQ + BQ), p.causal != 0u);
  for (var k0 = 0u; k0 < kEnd; k0 += BK) {
    let kc = min(BK, kEnd - k0);
    for (var e = l; e < kc * D; e += BQ) {
      let r = base + (k0 + e / D) * W3 + e % D;
      Ks[e] = f32(QKV[r + W]);
      Vs[e] = f32(QKV[r + 2u * W]);
    }
    workgroupBarrier();
    var jEnd = kc;
    if (p.causal != 0u) { jEnd = select(0u, min(kc, i + 1u - k0), i >= k0); }
    if (live && jEnd > 0u) {
      var tmax = m;
      for (var j = 0u; j < jEnd; j++) {
        var dot = 0.0;
        for (var d = 0u; d < D; d++) { dot = fma(q[d], Ks[j * D + d], dot); }
        s[j] = dot;
        tmax = max(tmax, dot);
      }
      let c = exp(m - tmax);
      lsum = lsum * c;
      for (var d = 0u; d < D; d++) { acc[d] = acc[d] * c; }
      for (var j = 0u; j < jEnd; j++) {
        let e = exp(s[j] - tmax);
        lsum += e;
        for (var d = 0u; d < D; d++) { acc[d] = fma(e, Vs[j * D + d], acc[d]); }
      }
      m = tmax;
    }
    workgroupBarrier();
  }
  if (live) {
    let ob = p.outBase + (b * p.L + i) * W + h * D;
    let inv = 1.0 / lsum;
    for (var d = 0u; d < D; d++) { O[ob + d] = ${T}(acc[d] * inv); }
  }
}
`;
  },
});
