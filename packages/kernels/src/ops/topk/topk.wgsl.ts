import { defineKernel } from '../kernel.js';
import { F32_MAX_WGSL, isNanWgsl } from '../wgsl.js';

export const WG = 64;

// One invocation per row keeps a sorted top-k list directly in its output slice (any k, no private array
// limit). Descending values; ties keep the lower index first; NaN never enters the list.
export const topkKernel = defineKernel({
  name: 'topk',
  params: { rows: 'u32', cols: 'u32', k: 'u32', xBase: 'u32', vBase: 'u32', iBase: 'u32', segLen: 'u32', segs: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> I: array<u32>;
${isNanWgsl}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  // one invocation per (row, segment); segment s covers columns [s·segLen, min((s+1)·segLen, cols))
  let task = g.x;
  if (task >= p.rows * p.segs) { return; }
  let r = task / p.segs;
  let seg = task % p.segs;
  let c0 = seg * p.segLen;
  let c1 = min(c0 + p.segLen, p.cols);
  let xo = p.xBase + r * p.cols;
  let vo = p.vBase + task * p.k;
  let io = p.iBase + task * p.k;
  // unfilled slots (a segment shorter than k) stay at -inf with index 0xffffffff
  for (var j = 0u; j < p.k; j++) { V[vo + j] = -${F32_MAX_WGSL}; I[io + j] = 0xffffffffu; }
  var filled = 0u;
  for (var c = c0; c < c1; c++) {
    let x = X[xo + c];
    if (isNan(x)) { continue; }
    if (filled == p.k && !(x > V[vo + p.k - 1u])) { continue; }
    var pos = min(filled, p.k - 1u);
    if (filled < p.k) { filled += 1u; }
    while (pos > 0u && x > V[vo + pos - 1u]) {
      V[vo + pos] = V[vo + pos - 1u];
      I[io + pos] = I[io + pos - 1u];
      pos -= 1u;
    }
    V[vo + pos] = x;
    I[io + pos] = c;
  }
}
`,
});
