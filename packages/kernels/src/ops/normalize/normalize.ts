import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';

const WG = 64;
// Forward: y = x / max(‖x‖, eps). Backward of that map: dx = (dy − y (y·dy)) / ‖x‖ when ‖x‖ > eps, else dy / eps.
const source = `
struct Params { rows: u32, cols: u32, xBase: u32, gBase: u32, yBase: u32, backward: u32, eps: f32, p0: u32 };
@group(0) @binding(0) var<uniform> p: Params;
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
`;

function run(ctx: GpuContext, x: GpuTensor, g: GpuTensor | null, eps: number, op: string): GpuTensor {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  if (g && g.shape.join() !== x.shape.join()) throw new ShapeError(`${op}: x ${shapeStr(x.shape)} and dy ${shapeStr(g.shape)} differ`);
  if (!(eps > 0)) throw new ArgumentError(`${op}: eps must be > 0`);
  const [rows, cols] = x.shape;
  const y = ctx.empty(x.shape);
  if (rows === 0 || cols === 0) return y;
  const pipeline = ctx.pipeline('normalize', () => source);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const gg = g ?? x;
  for (const [r0, rc] of planRows(ctx, op, rows, [cols], MAX_WG * WG)) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const rg = bindRange(gg, r0 * cols, rc * cols);
    const ry = bindRange(y, r0 * cols, rc * cols);
    const u = ctx.uniform(uniforms([{ u: rc }, { u: cols }, { u: rx.base }, { u: rg.base }, { u: ry.base }, { u: g ? 1 : 0 }, { f: eps }, { u: 0 }]));
    temps.push(u);
    ds.push({ op, pipeline, bindings: [{ buffer: u }, rx.resource, rg.resource, ry.resource], workgroups: [ceilDiv(rc, WG)] });
  }
  ctx.submit(op, ds, temps);
  return y;
}

/** Row-wise L2 normalisation y = x / max(‖x‖₂, eps). */
export function l2normalize(ctx: GpuContext, x: GpuTensor, eps = 1e-12): GpuTensor {
  return run(ctx, x, null, eps, 'l2normalize');
}

/** Vector-Jacobian product of `l2normalize` at x with upstream gradient dy. */
export function l2normalizeBackward(ctx: GpuContext, x: GpuTensor, dy: GpuTensor, eps = 1e-12): GpuTensor {
  return run(ctx, x, dy, eps, 'l2normalizeBackward');
}
