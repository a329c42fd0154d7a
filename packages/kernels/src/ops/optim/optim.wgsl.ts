import { MAX_WG } from '../common.js';
import { defineKernel } from '../kernel.js';
import { isFiniteWgsl } from '../wgsl.js';

export const WG = 256;
/** elements per workgroup in the sum-of-squares pass */
export const PER_WG = WG * 16;

/** One AdamW step in place on P, M, V (the gradient optionally scaled by Scale[0] first). */
export const adamwKernel = defineKernel({
  name: 'optim:adamw',
  params: {
    n: 'u32',
    width: 'u32',
    pBase: 'u32',
    gBase: 'u32',
    mBase: 'u32',
    vBase: 'u32',
    hasScale: 'u32',
    lr: 'f32',
    beta1: 'f32',
    beta2: 'f32',
    eps: 'f32',
    decay: 'f32',
    bc1: 'f32',
    bc2: 'f32',
  },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> M: array<f32>;
@group(0) @binding(4) var<storage, read_write> V: array<f32>;
@group(0) @binding(5) var<storage, read> Scale: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.width + gid.x;
  if (i >= p.n) { return; }
  var g = G[p.gBase + i];
  if (p.hasScale != 0u) { let s = Scale[0]; g = select(g * s, 0.0, s == 0.0); }
  let m = fma(p.beta1, M[p.mBase + i], (1.0 - p.beta1) * g);
  let v = fma(p.beta2, V[p.vBase + i], (1.0 - p.beta2) * g * g);
  let w = P[p.pBase + i] * p.decay;
  P[p.pBase + i] = w - p.lr * (m / p.bc1) / (sqrt(v / p.bc2) + p.eps);
  M[p.mBase + i] = m;
  V[p.vBase + i] = v;
}
`,
});

/** Per-workgroup partial Σg² of PER_WG elements. */
export const sumSquaresKernel = defineKernel({
  name: 'optim:sumsq',
  params: { n: 'u32', base: 'u32', out: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> Part: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let blk = wg.y * ${MAX_WG}u + wg.x;
  let i0 = blk * ${PER_WG}u;
  var s = 0.0;
  for (var k = 0u; k < ${PER_WG / WG}u; k++) {
    let i = i0 + k * ${WG}u + l.x;
    if (i < p.n) { let g = G[p.base + i]; s = fma(g, g, s); }
  }
  red[l.x] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u && i0 < p.n) { Part[p.out + blk] = red[0]; }
}
`,
});

/** Folds the partials: Out = [norm, scale = min(1, maxNorm / (norm + eps)), or 0 when not finite]. */
export const normFinalKernel = defineKernel({
  name: 'optim:normfinal',
  params: { parts: 'u32', maxNorm: 'f32', eps: 'f32' },
  source: () => /* wgsl */ `
${isFiniteWgsl}
@group(0) @binding(1) var<storage, read> Part: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) l: vec3u) {
  var s = 0.0;
  for (var i = l.x; i < p.parts; i += ${WG}u) { s += Part[i]; }
  red[l.x] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u) {
    let norm = sqrt(red[0]);
    var scale = 0.0;
    if (isFinite(red[0])) { scale = min(1.0, p.maxNorm / (norm + p.eps)); }
    Out[0] = norm;
    Out[1] = scale;
  }
}
`,
});

/** G ← G · Out[1] (0 zeroes it). */
export const scaleKernel = defineKernel({
  name: 'optim:scale',
  params: { n: 'u32', width: 'u32', base: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> G: array<f32>;
@group(0) @binding(2) var<storage, read> Out: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.width + gid.x;
  if (i >= p.n) { return; }
  let s = Out[1];
  G[p.base + i] = select(G[p.base + i] * s, 0.0, s == 0.0);
}
`,
});
