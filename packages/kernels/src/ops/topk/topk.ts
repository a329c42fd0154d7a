import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';

const WG = 64;
// One invocation per row keeps a sorted top-k list directly in its output slice (any k, no private array
// limit). Descending values; ties keep the lower index first; NaN never enters the list.
const source = `
struct Params { rows: u32, cols: u32, k: u32, xBase: u32, vBase: u32, iBase: u32, p0: u32, p1: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> I: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r = g.x;
  if (r >= p.rows) { return; }
  let xo = p.xBase + r * p.cols;
  let vo = p.vBase + r * p.k;
  let io = p.iBase + r * p.k;
  var filled = 0u;
  for (var c = 0u; c < p.cols; c++) {
    let x = X[xo + c];
    if (x != x) { continue; }
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
`;

export interface TopK {
  values: GpuTensor;
  indices: GpuTensor;
}

/** Per-row top-k of a [rows, cols] tensor: values [rows, k] (descending) and u32 indices; ties by lower index. */
export function topk(ctx: GpuContext, x: GpuTensor, k: number): TopK {
  if (x.shape.length !== 2) throw new ShapeError(`topk: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  const [rows, cols] = x.shape;
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new ArgumentError(`topk: k must be an integer in [1, ${cols}], got ${k}`);
  const values = ctx.empty([rows, k]);
  const indices = ctx.empty([rows, k], 'u32');
  if (rows === 0) return { values, indices };
  const pipeline = ctx.pipeline('topk', () => source);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [r0, rc] of planRows(ctx, 'topk', rows, [cols, k], MAX_WG * WG)) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const rv = bindRange(values, r0 * k, rc * k);
    const ri = bindRange(indices, r0 * k, rc * k);
    const u = ctx.uniform(uniforms([{ u: rc }, { u: cols }, { u: k }, { u: rx.base }, { u: rv.base }, { u: ri.base }, { u: 0 }, { u: 0 }]));
    temps.push(u);
    ds.push({ op: 'topk', pipeline, bindings: [{ buffer: u }, rx.resource, rv.resource, ri.resource], workgroups: [ceilDiv(rc, WG)] });
  }
  ctx.submit('topk', ds, temps);
  return { values, indices };
}
