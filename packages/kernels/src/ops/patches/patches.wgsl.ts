// Transformer input kernels (definitions in reference.ts): unfold (im2col for the patch conv), class token +
// positions, token embedding + positions. One invocation per output element on a 2-D grid (`width` invocations
// a row); shapes travel in the uniform, one pipeline per kernel.
import { defineKernel } from '../kernel.js';

export const PT_WG = 256;

export const unfoldKernel = defineKernel({
  name: 'patches:unfold',
  params: { n: 'u32', C: 'u32', S: 'u32', P: 'u32', G: 'u32', xBase: 'u32', yBase: 'u32', width: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${PT_WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let e = g.y * p.width + g.x;
  if (e >= p.n) { return; }
  let pp = p.P * p.P;
  let K = p.C * pp;
  let row = e / K;
  let col = e % K;
  let gg = p.G * p.G;
  let b = row / gg;
  let pi = row % gg;
  let c = col / pp;
  let k = col % pp;
  let yy = (pi / p.G) * p.P + k / p.P;
  let xx = (pi % p.G) * p.P + k % p.P;
  Y[p.yBase + e] = X[p.xBase + ((b * p.C + c) * p.S + yy) * p.S + xx];
}
`,
});

export const classTokensKernel = defineKernel({
  name: 'patches:class-tokens',
  params: { n: 'u32', L: 'u32', W: 'u32', xBase: 'u32', yBase: 'u32', cBase: 'u32', pBase: 'u32', width: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> CLS: array<f32>;
@group(0) @binding(3) var<storage, read> POS: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${PT_WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let e = g.y * p.width + g.x;
  if (e >= p.n) { return; }
  let r = e / p.W;
  let j = e % p.W;
  let b = r / p.L;
  let t = r % p.L;
  var v = 0.0;
  if (t == 0u) { v = CLS[p.cBase + j]; } else { v = X[p.xBase + (b * (p.L - 1u) + t - 1u) * p.W + j]; }
  Y[p.yBase + e] = v + POS[p.pBase + t * p.W + j];
}
`,
});

/** One vocabulary slice [v0, v0 + vc) of the table per dispatch: the first writes pos (+ E), later ones add E. */
export const embedTokensKernel = defineKernel({
  name: 'patches:embed-tokens',
  params: {
    n: 'u32',
    L: 'u32',
    W: 'u32',
    row0: 'u32',
    v0: 'u32',
    vc: 'u32',
    first: 'u32',
    eBase: 'u32',
    iBase: 'u32',
    pBase: 'u32',
    yBase: 'u32',
    width: 'u32',
  },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> E: array<f32>;
@group(0) @binding(2) var<storage, read> I: array<u32>;
@group(0) @binding(3) var<storage, read> POS: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${PT_WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let e = g.y * p.width + g.x;
  if (e >= p.n) { return; }
  let r = e / p.W;
  let j = e % p.W;
  let id = I[p.iBase + r];
  var v = 0.0;
  if (p.first != 0u) { v = POS[p.pBase + ((p.row0 + r) % p.L) * p.W + j]; } else { v = Y[p.yBase + e]; }
  if (id >= p.v0 && id - p.v0 < p.vc) { v += E[p.eBase + (id - p.v0) * p.W + j]; }
  Y[p.yBase + e] = v;
}
`,
});
