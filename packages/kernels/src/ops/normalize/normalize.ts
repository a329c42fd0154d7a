import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { normalizeKernel, WG } from './normalize.wgsl.js';

function run(ctx: GpuContext, x: GpuTensor, g: GpuTensor | null, eps: number, op: string): GpuTensor {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  if (g && g.shape.join() !== x.shape.join())
    throw new ShapeError(`${op}: x ${shapeStr(x.shape)} and dy ${shapeStr(g.shape)} differ`);
  if (!(eps > 0)) throw new ArgumentError(`${op}: eps must be > 0`);
  const [rows, cols] = x.shape;
  const y = ctx.empty(x.shape);
  if (rows === 0 || cols === 0) return y;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const gg = g ?? x;
  for (const [r0, rc] of planRows(ctx, op, rows, [cols], MAX_WG * WG)) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const rg = bindRange(gg, r0 * cols, rc * cols);
    const ry = bindRange(y, r0 * cols, rc * cols);
    const params = { rows: rc, cols, xBase: rx.base, gBase: rg.base, yBase: ry.base, backward: g ? 1 : 0, eps };
    const bindings = [rx.resource, rg.resource, ry.resource];
    ds.push(normalizeKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: [ceilDiv(rc, WG)], temps }));
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
