import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { topkKernel, WG } from './topk.wgsl.js';

export interface TopK<T = GpuTensor> {
  values: T;
  indices: T;
}

export interface TopKOptions {
  /**
   * Split each row into segments of this many columns and return each segment's top-k side by side:
   * values/indices [rows, segments·k] with column indices into the whole row (unfilled slots: -FLT_MAX and
   * index 0xffffffff). Wide rows then run in parallel across segments; merge the candidates on the host.
   */
  segment?: number;
}

/** Per-row top-k of a [rows, cols] tensor: values [rows, k] (descending) and u32 indices; ties by lower index. */
export function topk(ctx: GpuContext, x: GpuTensor, k: number, opts: TopKOptions = {}): TopK {
  if (x.shape.length !== 2) throw new ShapeError(`topk: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  const [rows, cols] = x.shape;
  if (!Number.isInteger(k) || k < 1 || k > cols)
    throw new ArgumentError(`topk: k must be an integer in [1, ${cols}], got ${k}`);
  const segLen = opts.segment === undefined ? cols : opts.segment;
  if (!Number.isInteger(segLen) || segLen < 1)
    throw new ArgumentError(`topk: segment must be a positive integer, got ${opts.segment}`);
  const segs = Math.max(1, Math.ceil(cols / Math.max(1, segLen)));
  const values = ctx.empty([rows, segs * k]);
  const indices = ctx.empty([rows, segs * k], 'u32');
  if (rows === 0) return { values, indices };
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const ko = segs * k;
  for (const [r0, rc] of planRows(ctx, 'topk', rows, [cols, ko], Math.floor((MAX_WG * WG) / segs))) {
    const rx = bindRange(x, r0 * cols, rc * cols);
    const rv = bindRange(values, r0 * ko, rc * ko);
    const ri = bindRange(indices, r0 * ko, rc * ko);
    const params = { rows: rc, cols, k, xBase: rx.base, vBase: rv.base, iBase: ri.base, segLen, segs };
    const bindings = [rx.resource, rv.resource, ri.resource];
    const workgroups: [number] = [ceilDiv(rc * segs, WG)];
    ds.push(topkKernel.dispatch(ctx, { op: 'topk', spec: {}, params, bindings, workgroups, temps }));
  }
  ctx.submit('topk', ds, temps);
  return { values, indices };
}
