import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { softmaxKernel, WG } from './softmax.wgsl.js';
import { reduce } from '../reduce/reduce.js';

/** Softmax of a [rows, cols] tensor along `axis` (1: each row sums to 1; 0: each column). */
export function softmax(ctx: GpuContext, x: GpuTensor, axis: 0 | 1 = 1): GpuTensor {
  if (x.shape.length !== 2) throw new ShapeError(`softmax: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`softmax: axis must be 0 or 1, got ${axis}`);
  const [rows, cols] = x.shape;
  const y = ctx.empty(x.shape);
  if (rows === 0 || cols === 0) return y;
  const lse = reduce(ctx, x, 'logsumexp', axis);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [r0, rc] of planRows(ctx, 'softmax', rows, [cols], MAX_WG * WG)) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const ry = bindRange(y, r0 * cols, rc * cols);
    const rl = axis === 1 ? bindRange(lse, r0, rc) : bindRange(lse, 0, cols);
    const params = { rows: rc, cols, xBase: rx.base, yBase: ry.base, lBase: rl.base, axis };
    const bindings = [rx.resource, rl.resource, ry.resource];
    const workgroups: [number] = [ceilDiv(rc, WG)];
    ds.push(softmaxKernel.dispatch(ctx, { op: 'softmax', spec: {}, params, bindings, workgroups, temps }));
  }
  ctx.submit('softmax', ds, temps);
  lse.dispose();
  return y;
}
