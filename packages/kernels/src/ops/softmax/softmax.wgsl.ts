import { defineKernel } from '../kernel.js';

export const WG = 64;

// Y[r, c] = exp(X[r, c] − L[axis == 1 ? r : c]) with L a max-subtracted logsumexp: never overflows.
export const softmaxKernel = defineKernel({
  name: 'softmax:apply',
  params: { rows: 'u32', cols: 'u32', xBase: 'u32', yBase: 'u32', lBase: 'u32', axis: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> L: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r = g.x;
  if (r >= p.rows) { return; }
  for (var c = 0u; c < p.cols; c++) {
    let l = select(L[p.lBase + c], L[p.lBase + r], p.axis == 1u);
    Y[p.yBase + r * p.cols + c] = exp(X[p.xBase + r * p.cols + c] - l);
  }
}
`,
});
