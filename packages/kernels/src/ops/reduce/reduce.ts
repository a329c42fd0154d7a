import type { Axis, Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { reduceAllRef, reduceRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { elementwiseUnchecked } from '../elementwise/elementwise.js';
import { bindRange, ceilDiv, checkAxis, MAX_WG, planRows, rank2Of } from '../common.js';
import { REDUCE_OPS, reduceColKernel, reduceRowKernel, WG } from './reduce.wgsl.js';

/** A row reduction: 'sum', 'mean', 'max' or 'logsumexp'. */
export type ReduceOp = keyof typeof REDUCE_OPS;
const OPS = Object.keys(REDUCE_OPS) as ReduceOp[];

/** The host checks of a reduction along an axis (both backends). */
export function checkReduce(op: string, x: Tensor, axis: number): void {
  rank2Of(op, x);
  checkAxis(op, axis);
}

/**
 * Reduce a [rows, cols] tensor along `axis` (1: per row → [rows]; 0: per column → [cols]). Empty max/logsumexp = -FLT_MAX.
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - [rows, cols] f32.
 * @param op - 'sum', 'mean', 'max' or 'logsumexp'.
 * @param axis - 1 per row, 0 per column.
 * @returns a new rank-1 tensor.
 * @throws ArgumentError for an unknown op or axis; ShapeError for a rank other than 2.
 */
export function reduce(ctx: GpuContext, x: GpuTensor, op: ReduceOp, axis: 0 | 1): GpuTensor {
  if (!OPS.includes(op)) throw new ArgumentError(`reduce: unknown op "${op}"`);
  checkReduce(op, x, axis);
  return reduceUnchecked(ctx, x, op, axis);
}

/** `reduce` without its host checks: the declarations' `webgpu` (the door checked) and the launchers inside. */
export function reduceUnchecked(ctx: GpuContext, x: GpuTensor, op: ReduceOp, axis: 0 | 1): GpuTensor {
  const [rows, cols] = x.shape;
  const code = REDUCE_OPS[op];
  if (axis === 1) {
    const y = ctx.empty([rows]);
    if (rows === 0) return y;
    const temps: GPUBuffer[] = [];
    const ds: DispatchSpec[] = [];
    for (const [r0, rc] of planRows(ctx, op, rows, [cols], MAX_WG * WG)) {
      const rx = bindRange(x, r0 * cols, rc * cols);
      const ry = bindRange(y, r0, rc);
      const params = { rows: rc, cols, xBase: rx.base, yBase: ry.base, op: code, total: rc * cols };
      const bindings = { X: rx.resource, Y: ry.resource };
      ds.push(reduceRowKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: [ceilDiv(rc, WG)], temps }));
    }
    ctx.submit(`reduce.${op}`, ds, temps);
    return y;
  }
  const y = ctx.empty([cols]);
  if (cols === 0) return y;
  if (ceilDiv(cols, WG) > MAX_WG) throw new ShapeError(`${op}: too many columns (${cols})`);
  const state = ctx.acquire(Math.max(8, cols * 8));
  const temps: GPUBuffer[] = [state];
  const ds: DispatchSpec[] = [];
  const chunks = rows === 0 ? [[0, 0] as [number, number]] : planRows(ctx, op, rows, [cols]);
  chunks.forEach(([r0, rc], i) => {
    const rx = bindRange(x, r0 * cols, Math.max(1, rc * cols));
    const [first, last] = [i === 0 ? 1 : 0, i === chunks.length - 1 ? 1 : 0];
    const params = { rows: rc, cols, xBase: rx.base, yBase: 0, op: code, first, last, total: rows };
    const bindings = { X: rx.resource, Y: { buffer: y.buffer }, S: { buffer: state } };
    ds.push(reduceColKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: [ceilDiv(cols, WG)], temps }));
  });
  ctx.submit(`reduce.${op}`, ds, temps);
  return y;
}

/**
 * Reduce every element to a [1] tensor: rows of up to 1024 elements first (short last row), then their results.
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - an f32 tensor of any shape.
 * @param op - 'sum', 'mean' or 'max'.
 * @returns a new [1] tensor (empty x: 0, or −FLT_MAX for max).
 */
export function reduceAll(ctx: GpuContext, x: GpuTensor, op: 'sum' | 'mean' | 'max'): GpuTensor {
  const n = x.size;
  if (n === 0) return ctx.tensor([op === 'max' ? -3.4028234663852886e38 : 0], [1]);
  const W = Math.max(1, Math.min(1024, n, Math.floor(ctx.maxBindingSize / 4 / 2)));
  const rows = Math.ceil(n / W);
  const inner = ctx.empty([rows]);
  const code = op === 'max' ? REDUCE_OPS.max : REDUCE_OPS.sum;
  const temps: GPUBuffer[] = [];
  const ds: DispatchSpec[] = [];
  for (const [r0, rc] of planRows(ctx, op, rows, [W], MAX_WG * WG)) {
    const count = Math.min(rc * W, n - r0 * W);
    const rx = bindRange(x, r0 * W, count);
    const ry = bindRange(inner, r0, rc);
    const params = { rows: rc, cols: W, xBase: rx.base, yBase: ry.base, op: code, total: count };
    const bindings = { X: rx.resource, Y: ry.resource };
    ds.push(reduceRowKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: [ceilDiv(rc, WG)], temps }));
  }
  ctx.submit(`reduce.${op}`, ds, temps);
  const out = reduceUnchecked(ctx, inner.view([rows, 1]), op === 'max' ? 'max' : 'sum', 0);
  inner.dispose();
  if (op !== 'mean') return out;
  const m = elementwiseUnchecked(ctx, 'scale', out, { alpha: 1 / n });
  out.dispose();
  return m;
}

type ReduceSig = (x: Tensor, axis?: Axis) => Tensor;
function reduceOp(op: 'sum' | 'mean' | 'max'): OpDeclaration<ReduceSig> {
  return defineOp<ReduceSig>({
    name: op,
    check: (x, axis) => {
      if (axis !== undefined) checkReduce(op, x, axis);
    },
    webgpu: (ctx, x, axis) => (axis === undefined ? reduceAll(ctx, x, op) : reduceUnchecked(ctx, x, op, axis)),
    cpu: (x, axis) =>
      axis === undefined
        ? cpuF32(Float64Array.of(reduceAllRef(x.data, op)), [1])
        : cpuF32(reduceRef(x.data, x.shape[0], x.shape[1], op, axis), [axis === 1 ? x.shape[0] : x.shape[1]]),
    cases:
      op === 'sum'
        ? [
            {
              name: 'all 67×45',
              args: (k, r) => [k.tensor(rand(r, 67 * 45), [67, 45])],
              tol: { rel: 1e-4, abs: 1e-4 },
              selfcheck: true,
            },
          ]
        : [],
  });
}
/** Σ of every element ([1]), or along an axis of a [rows, cols] tensor (1: per row, 0: per column). */
export const sumOp: OpDeclaration<ReduceSig> = reduceOp('sum');
/** The mean of every element, or along an axis. */
export const meanOp: OpDeclaration<ReduceSig> = reduceOp('mean');
/** The maximum of every element, or along an axis (empty: −FLT_MAX). */
export const maxOp: OpDeclaration<ReduceSig> = reduceOp('max');
/** log Σ exp along an axis of a [rows, cols] tensor. */
export const logsumexpOp: OpDeclaration<(x: Tensor, axis: Axis) => Tensor> = defineOp<
  (x: Tensor, axis: Axis) => Tensor
>({
  name: 'logsumexp',
  check: (x, axis) => checkReduce('logsumexp', x, axis),
  webgpu: (ctx, x, axis) => reduceUnchecked(ctx, x, 'logsumexp', axis),
  cpu: (x, axis) =>
    cpuF32(reduceRef(x.data, x.shape[0], x.shape[1], 'logsumexp', axis), [axis === 1 ? x.shape[0] : x.shape[1]]),
  cases: [
    {
      name: '67×45 axis 0',
      args: (k, r) => [k.tensor(rand(r, 67 * 45), [67, 45]), 0],
      tol: { rel: 1e-5, abs: 1e-5 },
      selfcheck: true,
    },
  ],
});
