import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { axpyRef, clipRef, scaleRef } from './reference.js';
import { rand } from '../cases.js';
import { ELEMENTWISE_OPS, elementwiseKernel, PER_ROW, WG } from './elementwise.wgsl.js';

/** An elementwise operation on one or two tensors. */
export type ElementwiseOp = keyof typeof ELEMENTWISE_OPS;

export interface ElementwiseOptions<T extends Tensor = GpuTensor> {
  alpha?: number;
  lo?: number;
  hi?: number;
  /** second operand (axpy) */
  y?: T;
}

/** The host checks of scale / axpy / clip (both backends). */
export function checkElementwise(op: ElementwiseOp, x: Tensor, prm: ElementwiseOptions<Tensor> = {}): void {
  if (!(op in ELEMENTWISE_OPS)) throw new ArgumentError(`elementwise: unknown op "${op}"`);
  if (op === 'axpy') {
    if (!prm.y) throw new ArgumentError('axpy: missing y');
    if (prm.y.size !== x.size || prm.y.shape.join() !== x.shape.join())
      throw new ShapeError(`axpy: x ${shapeStr(x.shape)} and y ${shapeStr(prm.y.shape)} differ`);
  }
  if (op === 'clip' && !((prm.lo ?? -Infinity) <= (prm.hi ?? Infinity)))
    throw new ArgumentError(`clip: lo (${prm.lo}) > hi (${prm.hi})`);
}

/**
 * scale: αx · axpy: αx + y · clip: min(max(x, lo), hi). Returns a new tensor of x's shape.
 * @param ctx - the WebGPU context that owns `x`.
 * @param op - 'scale', 'axpy' or 'clip'.
 * @param x - an f32 tensor of any shape.
 * @param prm - `alpha` (scale/axpy), `y` (axpy, x's size), `lo`/`hi` (clip).
 * @returns a new f32 tensor of x's shape.
 * @throws ArgumentError for an unknown op or missing/ill-shaped parameters.
 */
export function elementwise(ctx: GpuContext, op: ElementwiseOp, x: GpuTensor, prm: ElementwiseOptions = {}): GpuTensor {
  checkElementwise(op, x, prm);
  return elementwiseUnchecked(ctx, op, x, prm);
}

/** `elementwise` without its host checks: the declarations' `webgpu` (the door checked) and the launchers inside. */
export function elementwiseUnchecked(
  ctx: GpuContext,
  op: ElementwiseOp,
  x: GpuTensor,
  prm: ElementwiseOptions = {},
): GpuTensor {
  const z = ctx.empty(x.shape);
  const n = x.size;
  if (n === 0) return z;
  const y = prm.y ?? x;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const clampF = (v: number) => Math.max(-3.4028234663852886e38, Math.min(3.4028234663852886e38, v));
  for (const [s0, sc] of planRows(ctx, op, n, [1], PER_ROW * MAX_WG)) {
    const rx = bindRange(x, s0, sc);
    const ry = bindRange(y, s0, sc);
    const rz = bindRange(z, s0, sc);
    const rowsNeeded = ceilDiv(sc, PER_ROW);
    ds.push(
      elementwiseKernel.dispatch(ctx, {
        op,
        spec: {},
        params: {
          n: sc,
          xBase: rx.base,
          yBase: ry.base,
          zBase: rz.base,
          op: ELEMENTWISE_OPS[op],
          alpha: prm.alpha ?? 1,
          lo: clampF(prm.lo ?? -Infinity),
          hi: clampF(prm.hi ?? Infinity),
          width: PER_ROW,
        },
        bindings: { X: rx.resource, Y: ry.resource, Z: rz.resource },
        workgroups: [rowsNeeded > 1 ? PER_ROW / WG : ceilDiv(sc, WG), rowsNeeded],
        temps,
      }),
    );
  }
  ctx.submit(op, ds, temps);
  return z;
}

const ew = { rel: 1e-5, abs: 1e-5 };
/** αx */
export const scaleOp: OpDeclaration<(x: Tensor, alpha: number) => Tensor> = defineOp<
  (x: Tensor, alpha: number) => Tensor
>({
  name: 'scale',
  webgpu: (ctx, x, alpha) => elementwiseUnchecked(ctx, 'scale', x, { alpha }),
  cpu: (x, alpha) => cpuF32(scaleRef(x.data, alpha), x.shape),
  cases: [{ name: 'n=1023', args: (k, r) => [k.tensor(rand(r, 1023), [1023]), -2.5], tol: ew }],
});
/** αx + y (same shapes) */
export const axpyOp: OpDeclaration<(alpha: number, x: Tensor, y: Tensor) => Tensor> = defineOp<
  (alpha: number, x: Tensor, y: Tensor) => Tensor
>({
  name: 'axpy',
  check: (_alpha, x, y) => checkElementwise('axpy', x, { y }),
  webgpu: (ctx, alpha, x, y) => elementwiseUnchecked(ctx, 'axpy', x, { alpha, y }),
  cpu: (alpha, x, y) => cpuF32(axpyRef(alpha, x.data, y.data), x.shape),
  cases: [
    {
      name: 'n=1023',
      args: (k, r) => [0.75, k.tensor(rand(r, 1023), [1023]), k.tensor(rand(r, 1023), [1023])],
      tol: ew,
    },
  ],
});
/** min(max(x, lo), hi) */
export const clipOp: OpDeclaration<(x: Tensor, lo: number, hi: number) => Tensor> = defineOp<
  (x: Tensor, lo: number, hi: number) => Tensor
>({
  name: 'clip',
  check: (x, lo, hi) => checkElementwise('clip', x, { lo, hi }),
  webgpu: (ctx, x, lo, hi) => elementwiseUnchecked(ctx, 'clip', x, { lo, hi }),
  cpu: (x, lo, hi) => cpuF32(clipRef(x.data, lo, hi), x.shape),
  cases: [{ name: 'n=1023', args: (k, r) => [k.tensor(rand(r, 1023), [1023]), -0.5, 0.25], tol: { rel: 0, abs: 0 } }],
});
