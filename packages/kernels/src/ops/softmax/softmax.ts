import type { Axis, Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { softmaxRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { bindRange, ceilDiv, MAX_WG, planRows } from '../common.js';
import { softmaxKernel, WG } from './softmax.wgsl.js';
import { checkReduce, reduceUnchecked } from '../reduce/reduce.js';

/**
 * Softmax of a [rows, cols] tensor along `axis` (1: each row sums to 1; 0: each column).
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - [rows, cols] f32.
 * @param axis - 1 (default) or 0.
 * @returns a new [rows, cols] tensor.
 * @throws ArgumentError for a bad axis; ShapeError for a rank other than 2.
 */
export function softmax(ctx: GpuContext, x: GpuTensor, axis: 0 | 1 = 1): GpuTensor {
  checkReduce('softmax', x, axis);
  return softmaxUnchecked(ctx, x, axis);
}

function softmaxUnchecked(ctx: GpuContext, x: GpuTensor, axis: 0 | 1 = 1): GpuTensor {
  const [rows, cols] = x.shape;
  const y = ctx.empty(x.shape);
  if (rows === 0 || cols === 0) return y;
  const lse = reduceUnchecked(ctx, x, 'logsumexp', axis);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [r0, rc] of planRows(ctx, 'softmax', rows, [cols], MAX_WG * WG)) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const ry = bindRange(y, r0 * cols, rc * cols);
    const rl = axis === 1 ? bindRange(lse, r0, rc) : bindRange(lse, 0, cols);
    const params = { rows: rc, cols, xBase: rx.base, yBase: ry.base, lBase: rl.base, axis };
    const bindings = { X: rx.resource, L: rl.resource, Y: ry.resource };
    const workgroups: [number] = [ceilDiv(rc, WG)];
    ds.push(softmaxKernel.dispatch(ctx, { op: 'softmax', spec: {}, params, bindings, workgroups, temps }));
  }
  ctx.submit('softmax', ds, temps);
  lse.dispose();
  return y;
}

/** Softmax of a [rows, cols] tensor along `axis` (1: each row sums to 1; 0: each column). */
export const softmaxOp: OpDeclaration<(x: Tensor, axis: Axis) => Tensor> = defineOp<(x: Tensor, axis: Axis) => Tensor>({
  name: 'softmax',
  check: (x, axis) => checkReduce('softmax', x, axis),
  webgpu: (ctx, x, axis) => softmaxUnchecked(ctx, x, axis),
  cpu: (x, axis) => cpuF32(softmaxRef(x.data, x.shape[0], x.shape[1], axis), x.shape),
  cases: [
    {
      name: '67×45',
      args: (k, r) => [k.tensor(rand(r, 67 * 45), [67, 45]), 1],
      tol: { rel: 1e-5, abs: 1e-5 },
      selfcheck: true,
    },
  ],
});
