import { defineKernel } from '../kernel.js';

export const WG = 64;

// Forward: y = x / max(‖x‖, eps).
// Backward of that map: dx = (dy − y (y·dy)) / ‖x‖ when ‖x‖ > eps, else dy / eps.
export const normalizeKernel = defineKernel({
  name: 'normalize',
  params: { rows: 'u32', cols: 'u32', xBase: 'u32', gBase: 'u32', yBase: 'u32', backward: 'u32', eps: 'f32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= p.rows) { return; }
  let xo = p.xBase + r * p.cols;
  let go = p.gBase + r * p.cols;
  let yo = p.yBase + r * p.cols;
  // scaled two-pass norm: safe for |x| up to FLT_MAX
  var amax = 0.0;
  for (var c = 0u; c < p.cols; c++) { amax = max(amax, abs(X[xo + c])); }
  var ss = 0.0;
  if (amax > 0.0) { for (var c = 0u; c < p.cols; c++) { let t = X[xo + c] / amax; ss = fma(t, t, ss); } }
  let norm = amax * sqrt(ss);
  let d = max(norm, p.eps);
  if (p.backward == 0u) {
    for (var c = 0u; c < p.cols; c++) { Y[yo + c] = X[xo + c] / d; }
    return;
  }
  if (norm <= p.eps) {
    for (var c = 0u; c < p.cols; c++) { Y[yo + c] = G[go + c] / p.eps; }
    return;
  }
  var dot = 0.0;
  for (var c = 0u; c < p.cols; c++) { dot = fma(X[xo + c] / norm, G[go + c], dot); }
  for (var c = 0u; c < p.cols; c++) { Y[yo + c] = (G[go + c] - (X[xo + c] / norm) * dot) / norm; }
}
`,
});
