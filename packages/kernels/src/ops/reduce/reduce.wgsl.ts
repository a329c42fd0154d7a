import { defineKernel } from '../kernel.js';
import { F32_MAX_WGSL } from '../wgsl.js';

export const WG = 64;
/** op codes shared by the launcher and both kernels */
export const REDUCE_OPS = { sum: 0, mean: 1, max: 2, logsumexp: 3 } as const;
const opConstants = {
  OP_SUM: REDUCE_OPS.sum,
  OP_MEAN: REDUCE_OPS.mean,
  OP_MAX: REDUCE_OPS.max,
  OP_LOGSUMEXP: REDUCE_OPS.logsumexp,
};

// One invocation per row, barrier-free (CPU drivers pay for barriers); max-subtracted logsumexp.
export const reduceRowKernel = defineKernel({
  name: 'reduce:row',
  params: { rows: 'u32', cols: 'u32', xBase: 'u32', yBase: 'u32', op: 'u32', total: 'u32' },
  constants: opConstants,
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r = g.x;
  if (r >= p.rows) { return; }
  let o = p.xBase + r * p.cols;
  // a flat array viewed as rows of cols elements may end in a short row (total elements in this chunk)
  let len = min(p.cols, p.total - r * p.cols);
  var res = 0.0;
  if (p.op == OP_SUM || p.op == OP_MEAN) {
    var s = 0.0;
    for (var c = 0u; c < len; c++) { s += X[o + c]; }
    res = select(s, s / f32(len), p.op == OP_MEAN);
  } else {
    var m = -${F32_MAX_WGSL};
    for (var c = 0u; c < len; c++) { m = max(m, X[o + c]); }
    if (p.op == OP_MAX || len == 0u) { res = select(m, -${F32_MAX_WGSL}, len == 0u); }
    else {
      var s = 0.0;
      for (var c = 0u; c < len; c++) { s += exp(X[o + c] - m); }
      res = m + log(s);
    }
  }
  Y[p.yBase + r] = res;
}
`,
});

// One invocation per column; rows arrive in chunks. State (a, b) per column carries
// sum / running max / online (max, sum-exp) across chunks; the last chunk writes the result.
export const reduceColKernel = defineKernel({
  name: 'reduce:col',
  params: { rows: 'u32', cols: 'u32', xBase: 'u32', yBase: 'u32', op: 'u32', first: 'u32', last: 'u32', total: 'u32' },
  constants: opConstants,
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> S: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let c = g.x;
  if (c >= p.cols) { return; }
  var a = 0.0; var b = 0.0;
  if (p.op >= OP_MAX) { a = -${F32_MAX_WGSL}; }
  if (p.first == 0u) { a = S[c]; b = S[p.cols + c]; }
  for (var r = 0u; r < p.rows; r++) {
    let x = X[p.xBase + r * p.cols + c];
    if (p.op <= OP_MEAN) { a += x; }
    else if (p.op == OP_MAX) { a = max(a, x); }
    else { let m = max(a, x); b = b * exp(a - m) + exp(x - m); a = m; }
  }
  if (p.last != 0u) {
    var res = a;
    if (p.op == OP_MEAN) { res = a / f32(p.total); }
    if (p.op == OP_LOGSUMEXP) { res = select(a + log(b), -${F32_MAX_WGSL}, p.total == 0u); }
    Y[p.yBase + c] = res;
  } else { S[c] = a; S[p.cols + c] = b; }
}
`,
});
