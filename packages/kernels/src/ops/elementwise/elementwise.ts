import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { ELEMENTWISE_OPS, elementwiseKernel, PER_ROW, WG } from './elementwise.wgsl.js';

export type ElementwiseOp = keyof typeof ELEMENTWISE_OPS;

export interface ElementwiseParams {
  alpha?: number;
  lo?: number;
  hi?: number;
  /** second operand (axpy) */
  y?: GpuTensor;
}

/** scale: αx · axpy: αx + y · clip: min(max(x, lo), hi). Returns a new tensor of x's shape. */
export function elementwise(ctx: GpuContext, op: ElementwiseOp, x: GpuTensor, prm: ElementwiseParams = {}): GpuTensor {
  if (!(op in ELEMENTWISE_OPS)) throw new ArgumentError(`elementwise: unknown op "${op}"`);
  if (op === 'axpy') {
    if (!prm.y) throw new ArgumentError('axpy: missing y');
    if (prm.y.size !== x.size || prm.y.shape.join() !== x.shape.join())
      throw new ShapeError(`axpy: x ${shapeStr(x.shape)} and y ${shapeStr(prm.y.shape)} differ`);
  }
  if (op === 'clip' && !((prm.lo ?? -Infinity) <= (prm.hi ?? Infinity)))
    throw new ArgumentError(`clip: lo (${prm.lo}) > hi (${prm.hi})`);
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
        bindings: [rx.resource, ry.resource, rz.resource],
        workgroups: [rowsNeeded > 1 ? PER_ROW / WG : ceilDiv(sc, WG), rowsNeeded],
        temps,
      }),
    );
  }
  ctx.submit(op, ds, temps);
  return z;
}
