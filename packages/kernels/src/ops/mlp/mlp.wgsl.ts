import { defineKernel } from '../kernel.js';
import { GELU_A, GELU_C, type Activation } from './reference.js';

export const WG = 256;
/** columns per workgroup and rows per block in the fused backward */
export const CW = 64;
export const RB = 32;
export const PER_ROW = WG * 1024;
/** activation codes shared by the launchers and the kernels */
export const ACTIVATIONS: Record<Activation, number> = { none: 0, gelu: 1 };
const actConstants = { ACT_GELU: ACTIVATIONS.gelu };

const gelu = /* wgsl */ `
const GELU_C: f32 = ${GELU_C};
const GELU_A: f32 = ${GELU_A};
// gelu(z) = ½z(1 + tanh u) = z·σ(2u); σ from e = exp(−2|u|) ∈ (0, 1] so neither tail cancels or overflows
fn sig2(u: f32) -> vec2f {
  let e = exp(-2.0 * abs(u));
  let r = 1.0 / (1.0 + e);
  return select(vec2f(e * r, r), vec2f(r, e * r), u >= 0.0); // (σ(2u), 1 − σ(2u))
}
fn geluU(z: f32) -> f32 { return GELU_C * (z + GELU_A * z * z * z); }
fn gelu(z: f32) -> f32 { return z * sig2(geluU(z)).x; }
fn geluGrad(z: f32) -> f32 {
  let s = sig2(geluU(z));
  // the tail term vanishes when 1 − σ underflows (also keeps 0·∞ out for |z| near f32 max)
  let tail = select(z * s.x * s.y * 2.0 * GELU_C * (1.0 + 3.0 * GELU_A * z * z), 0.0, s.y == 0.0 || s.x == 0.0);
  return s.x + tail;
}
`;

/** Y = act(X + b), b broadcast over rows. */
export const biasActKernel = defineKernel({
  name: 'mlp:biasact',
  params: { n: 'u32', cols: 'u32', xBase: 'u32', yBase: 'u32', bBase: 'u32', act: 'u32', width: 'u32' },
  constants: actConstants,
  source: () => /* wgsl */ `
${gelu}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  let z = X[p.xBase + i] + B[p.bBase + i % p.cols];
  Y[p.yBase + i] = select(z, gelu(z), p.act == ACT_GELU);
}
`,
});

/** dZ = dY ⊙ act′(X + b) and one partial column sum per row block of RB rows. */
export const biasActBackwardKernel = defineKernel({
  name: 'mlp:biasact-bwd',
  params: {
    rows: 'u32',
    cols: 'u32',
    dyBase: 'u32',
    xBase: 'u32',
    dxBase: 'u32',
    bBase: 'u32',
    act: 'u32',
    writeDx: 'u32',
    blk0: 'u32',
  },
  constants: actConstants,
  source: () => /* wgsl */ `
${gelu}
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
@group(0) @binding(5) var<storage, read_write> Part: array<f32>;
@compute @workgroup_size(${CW})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let j = wg.x * ${CW}u + l.x;
  if (j >= p.cols) { return; }
  let r0 = wg.y * ${RB}u;
  let r1 = min(r0 + ${RB}u, p.rows);
  var s = 0.0;
  var bj = 0.0;
  if (p.act == ACT_GELU) { bj = B[p.bBase + j]; }
  for (var r = r0; r < r1; r++) {
    let k = r * p.cols + j;
    var gv = DY[p.dyBase + k];
    if (p.act == ACT_GELU) { gv = gv * geluGrad(X[p.xBase + k] + bj); }
    if (p.writeDx != 0u) { DX[p.dxBase + k] = gv; }
    s += gv;
  }
  Part[(p.blk0 + wg.y) * p.cols + j] = s;
}
`,
});

/** DB[j] = Σ_blocks Part[b, j], in block order (deterministic). */
export const colFoldKernel = defineKernel({
  name: 'mlp:colfold',
  params: { blocks: 'u32', cols: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> Part: array<f32>;
@group(0) @binding(2) var<storage, read_write> DB: array<f32>;
@compute @workgroup_size(${CW})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x;
  if (j >= p.cols) { return; }
  var s = 0.0;
  for (var b = 0u; b < p.blocks; b++) { s += Part[b * p.cols + j]; }
  DB[j] = s;
}
`,
});

/** Y[i] = X[I[i]] (a zero row for an index ≥ rows). */
export const gatherKernel = defineKernel({
  name: 'mlp:gather',
  params: { n: 'u32', d: 'u32', rows: 'u32', yBase: 'u32', iBase: 'u32', width: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> I: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  let row = i / p.d;
  let src = I[p.iBase + row];
  var v = 0.0;
  if (src < p.rows) { v = X[src * p.d + i % p.d]; }
  Y[p.yBase + i] = v;
}
`,
});
