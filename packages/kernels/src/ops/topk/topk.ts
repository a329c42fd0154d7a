import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';

const WG = 64;
// One invocation per row keeps a sorted top-k list directly in its output slice (any k, no private array
// limit). Descending values; ties keep the lower index first; NaN never enters the list.
const source = `
struct Params { rows: u32, cols: u32, k: u32, xBase: u32, vBase: u32, iBase: u32, segLen: u32, segs: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> I: array<u32>;
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
  for (var j = 0u; j < p.k; j++) { V[vo + j] = -3.4028234663852886e38; I[io + j] = 0xffffffffu; }
  var filled = 0u;
  for (var c = c0; c < c1; c++) {
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

export interface TopKOptions {
  /**
   * Split each row into segments of this many columns and return each segment's top-k side by side:
   * values/indices [rows, segments·k] with column indices into the whole row (unfilled slots: -FLT_MAX and
   * index 0xffffffff). Wide rows then run in parallel across segments; merge the candidates on the host.
   */
  segment?: number;
}

/** Per-row top-k of a [rows, cols] tensor: values [rows, k] (descending) and u32 indices; ties by lower index. */
export function topk(ctx: GpuContext, x: GpuTensor, k: number, opts: TopKOptions = {}): TopK {
  if (x.shape.length !== 2) throw new ShapeError(`topk: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  const [rows, cols] = x.shape;
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new ArgumentError(`topk: k must be an integer in [1, ${cols}], got ${k}`);
  const segLen = opts.segment === undefined ? cols : opts.segment;
  if (!Number.isInteger(segLen) || segLen < 1) throw new ArgumentError(`topk: segment must be a positive integer, got ${opts.segment}`);
  const segs = Math.max(1, Math.ceil(cols / Math.max(1, segLen)));
  const values = ctx.empty([rows, segs * k]);
  const indices = ctx.empty([rows, segs * k], 'u32');
  if (rows === 0) return { values, indices };
  const pipeline = ctx.pipeline('topk', () => source);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const ko = segs * k;
  for (const [r0, rc] of planRows(ctx, 'topk', rows, [cols, ko], Math.floor((MAX_WG * WG) / segs))) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const rv = bindRange(values, r0 * ko, rc * ko);
    const ri = bindRange(indices, r0 * ko, rc * ko);
    const u = ctx.uniform(uniforms([{ u: rc }, { u: cols }, { u: k }, { u: rx.base }, { u: rv.base }, { u: ri.base }, { u: segLen }, { u: segs }]));
    temps.push(u);
    ds.push({ op: 'topk', pipeline, bindings: [{ buffer: u }, rx.resource, rv.resource, ri.resource], workgroups: [ceilDiv(rc * segs, WG)] });
  }
  ctx.submit('topk', ds, temps);
  return { values, indices };
}
