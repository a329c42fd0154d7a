import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { l2normalizeBackwardRef, l2normalizeRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, rank2Of, shapeStr } from '../common.js';
import { normalizeKernel, WG } from './normalize.wgsl.js';

/** The host checks of l2normalize (g null) and its backward (both backends). */
export function checkNormalize(op: string, x: Tensor, g: Tensor | null, eps: number): void {
  rank2Of(op, x);
  if (g && g.shape.join() !== x.shape.join())
    throw new ShapeError(`${op}: x ${shapeStr(x.shape)} and dy ${shapeStr(g.shape)} differ`);
  if (!(eps > 0)) throw new ArgumentError(`${op}: eps must be > 0`);
}

// the unchecked body of both launchers (the declarations' `webgpu`: the door checked)
function run(ctx: GpuContext, x: GpuTensor, g: GpuTensor | null, eps: number, op: string): GpuTensor {
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
    const bindings = { X: rx.resource, G: rg.resource, Y: ry.resource };
    ds.push(normalizeKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: [ceilDiv(rc, WG)], temps }));
  }
  ctx.submit(op, ds, temps);
  return y;
}

/**
 * Row-wise L2 normalisation y = x / max(‖x‖₂, eps).
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - [rows, cols] f32.
 * @param eps - lower bound of the norm (default 1e-12).
 * @returns a new [rows, cols] tensor.
 */
export function l2normalize(ctx: GpuContext, x: GpuTensor, eps = 1e-12): GpuTensor {
  checkNormalize('l2normalize', x, null, eps);
  return run(ctx, x, null, eps, 'l2normalize');
}

/**
 * Vector-Jacobian product of `l2normalize` at x with upstream gradient dy.
 * @param ctx - the WebGPU context that owns the tensors.
 * @param x - [rows, cols] the forward input.
 * @param dy - [rows, cols] upstream gradient.
 * @param eps - the forward's eps (default 1e-12).
 * @returns dx, a new [rows, cols] tensor.
 */
export function l2normalizeBackward(ctx: GpuContext, x: GpuTensor, dy: GpuTensor, eps = 1e-12): GpuTensor {
  checkNormalize('l2normalizeBackward', x, dy, eps);
  return run(ctx, x, dy, eps, 'l2normalizeBackward');
}

const EPS = 1e-12;
/** Row-wise y = x / max(‖x‖₂, eps) of a [rows, cols] tensor. */
export const l2normalizeOp: OpDeclaration<(x: Tensor, eps?: number) => Tensor> = defineOp<
  (x: Tensor, eps?: number) => Tensor
>({
  name: 'l2normalize',
  check: (x, eps = EPS) => checkNormalize('l2normalize', x, null, eps),
  webgpu: (ctx, x, eps = EPS) => run(ctx, x, null, eps, 'l2normalize'),
  cpu: (x, eps = EPS) => cpuF32(l2normalizeRef(x.data, x.shape[0], x.shape[1], eps), x.shape),
  cases: [
    {
      name: '67×45',
      args: (k, r) => [k.tensor(rand(r, 67 * 45), [67, 45])],
      tol: { rel: 1e-5, abs: 1e-5 },
      selfcheck: true,
    },
  ],
});
/** The vector-Jacobian product of `l2normalize` at x with upstream gradient dy. */
export const l2normalizeBackwardOp: OpDeclaration<(x: Tensor, dy: Tensor, eps?: number) => Tensor> = defineOp<
  (x: Tensor, dy: Tensor, eps?: number) => Tensor
>({
  name: 'l2normalizeBackward',
  check: (x, dy, eps = EPS) => checkNormalize('l2normalizeBackward', x, dy, eps),
  webgpu: (ctx, x, dy, eps = EPS) => run(ctx, x, dy, eps, 'l2normalizeBackward'),
  cpu: (x, dy, eps = EPS) => cpuF32(l2normalizeBackwardRef(x.data, dy.data, x.shape[0], x.shape[1], eps), x.shape),
});
