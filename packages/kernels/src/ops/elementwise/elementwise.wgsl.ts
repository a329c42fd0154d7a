import { defineKernel } from '../kernel.js';

export const WG = 256;
/** elements per dispatch row (a 2-D grid keeps any size within the workgroup limits) */
export const PER_ROW = WG * 1024;
export const ELEMENTWISE_OPS = { scale: 0, axpy: 1, clip: 2 } as const;

/** Z = αX (scale) · αX + Y (axpy) · clamp(X, lo, hi) (clip). */
export const elementwiseKernel = defineKernel({
  name: 'elementwise',
  params: {
    n: 'u32',
    xBase: 'u32',
    yBase: 'u32',
    zBase: 'u32',
    op: 'u32',
    alpha: 'f32',
    lo: 'f32',
    hi: 'f32',
    width: 'u32',
  },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> Z: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  let x = X[p.xBase + i];
  var z = 0.0;
  switch p.op {
    case ${ELEMENTWISE_OPS.scale}u: { z = p.alpha * x; }
    case ${ELEMENTWISE_OPS.axpy}u: { z = fma(p.alpha, x, Y[p.yBase + i]); }
    default: { z = clamp(x, p.lo, p.hi); }
  }
  Z[p.zBase + i] = z;
}
`,
});
