import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { elementwise } from '../elementwise/elementwise.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { REDUCE_OPS, reduceColKernel, reduceRowKernel, WG } from './reduce.wgsl.js';

export type ReduceOp = keyof typeof REDUCE_OPS;
const OPS = Object.keys(REDUCE_OPS) as ReduceOp[];

function check(op: string, x: GpuTensor, axis: number): void {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`${op}: axis must be 0 or 1, got ${axis}`);
}

/** Reduce a [rows, cols] tensor along `axis` (1: per row → [rows]; 0: per column → [cols]). Empty max/logsumexp = -FLT_MAX. */
export function reduce(ctx: GpuContext, x: GpuTensor, op: ReduceOp, axis: 0 | 1): GpuTensor {
  if (!OPS.includes(op)) throw new ArgumentError(`reduce: unknown op "${op}"`);
  check(op, x, axis);
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
      const bindings = [rx.resource, ry.resource];
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
    const bindings = [rx.resource, { buffer: y.buffer }, { buffer: state }];
    ds.push(reduceColKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: [ceilDiv(cols, WG)], temps }));
  });
  ctx.submit(`reduce.${op}`, ds, temps);
  return y;
}

/** Reduce every element to a [1] tensor: rows of up to 1024 elements first (short last row), then their results. */
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
    const bindings = [rx.resource, ry.resource];
    ds.push(reduceRowKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: [ceilDiv(rc, WG)], temps }));
  }
  ctx.submit(`reduce.${op}`, ds, temps);
  const out = reduce(ctx, inner.view([rows, 1]), op === 'max' ? 'max' : 'sum', 0);
  inner.dispose();
  if (op !== 'mean') return out;
  const m = elementwise(ctx, 'scale', out, { alpha: 1 / n });
  out.dispose();
  return m;
}
