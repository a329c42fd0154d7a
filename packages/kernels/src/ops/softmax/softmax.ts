import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';
import { reduce } from '../reduce/reduce.js';

const WG = 64;
// Y[r, c] = exp(X[r, c] − L[axis == 1 ? r : c]) with L a max-subtracted logsumexp: never overflows.
const source = `
struct Params { rows: u32, cols: u32, xBase: u32, yBase: u32, lBase: u32, axis: u32, p0: u32, p1: u32 };
@group(0) @binding(0) var<uniform> p: Params;
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
`;

/** Softmax of a [rows, cols] tensor along `axis` (1: each row sums to 1; 0: each column). */
export function softmax(ctx: GpuContext, x: GpuTensor, axis: 0 | 1 = 1): GpuTensor {
  if (x.shape.length !== 2) throw new ShapeError(`softmax: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`softmax: axis must be 0 or 1, got ${axis}`);
  const [rows, cols] = x.shape;
  const y = ctx.empty(x.shape);
  if (rows === 0 || cols === 0) return y;
  const lse = reduce(ctx, x, 'logsumexp', axis);
  const pipeline = ctx.pipeline('softmax:apply', () => source);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [r0, rc] of planRows(ctx, 'softmax', rows, [cols], MAX_WG * WG)) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const ry = bindRange(y, r0 * cols, rc * cols);
    const rl = axis === 1 ? bindRange(lse, r0, rc) : bindRange(lse, 0, cols);
    const u = ctx.uniform(uniforms([{ u: rc }, { u: cols }, { u: rx.base }, { u: ry.base }, { u: rl.base }, { u: axis }, { u: 0 }, { u: 0 }]));
    temps.push(u);
    ds.push({ op: 'softmax', pipeline, bindings: [{ buffer: u }, rx.resource, rl.resource, ry.resource], workgroups: [ceilDiv(rc, WG)] });
  }
  ctx.submit('softmax', ds, temps);
  lse.dispose();
  return y;
}
