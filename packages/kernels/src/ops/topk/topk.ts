import type { Tensor } from '../../types.js';
import { cpuF32, cpuU32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { topkSegmentsRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, rank2Of } from '../common.js';
import { topkKernel, WG } from './topk.wgsl.js';

/** The k largest values per row (or segment) and their column indices (ties: the lower index first). */
export interface TopK<T = GpuTensor> {
  values: T;
  indices: T;
}

/** Options of `topk`: rows split into segments of this many columns (top-k per segment). */
export interface TopKOptions {
  /**
   * Split each row into segments of this many columns and return each segment's top-k side by side:
   * values/indices [rows, segments·k] with column indices into the whole row (unfilled slots: -FLT_MAX and
   * index 0xffffffff). Wide rows then run in parallel across segments; merge the candidates on the host.
   */
  segment?: number;
}

/** The host checks of topk (both backends). */
export function checkTopk(x: Tensor, k: number, opts: TopKOptions = {}): void {
  const [, cols] = rank2Of('topk', x);
  if (!Number.isInteger(k) || k < 1 || k > cols)
    throw new ArgumentError(`topk: k must be an integer in [1, ${cols}], got ${k}`);
  const segLen = opts.segment === undefined ? cols : opts.segment;
  if (!Number.isInteger(segLen) || segLen < 1)
    throw new ArgumentError(`topk: segment must be a positive integer, got ${opts.segment}`);
}

/**
 * Per-row top-k of a [rows, cols] tensor: values [rows, k] (descending) and u32 indices; ties by lower index.
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - [rows, cols] f32.
 * @param k - how many per row (1 ≤ k ≤ cols, or per segment).
 * @param opts - `segment`: top-k within column segments of this length.
 * @returns `values` and `indices` tensors ([rows, k], or [rows, segments·k]).
 * @throws ArgumentError for a bad k or segment.
 */
export function topk(ctx: GpuContext, x: GpuTensor, k: number, opts: TopKOptions = {}): TopK {
  checkTopk(x, k, opts);
  return topkUnchecked(ctx, x, k, opts);
}

function topkUnchecked(ctx: GpuContext, x: GpuTensor, k: number, opts: TopKOptions = {}): TopK {
  const [rows, cols] = x.shape;
  const segLen = opts.segment === undefined ? cols : opts.segment;
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
    const bindings = { X: rx.resource, V: rv.resource, I: ri.resource };
    const workgroups: [number] = [ceilDiv(rc * segs, WG)];
    ds.push(topkKernel.dispatch(ctx, { op: 'topk', spec: {}, params, bindings, workgroups, temps }));
  }
  ctx.submit('topk', ds, temps);
  return { values, indices };
}

/** Per-row top-k (values descending, u32 indices; ties by lower index); with `segment`, each segment's top-k. */
export const topkOp: OpDeclaration<(x: Tensor, k: number, opts?: TopKOptions) => TopK<Tensor>> = defineOp<
  (x: Tensor, k: number, opts?: TopKOptions) => TopK<Tensor>
>({
  name: 'topk',
  check: (x, k, opts) => checkTopk(x, k, opts),
  webgpu: (ctx, x, k, opts) => topkUnchecked(ctx, x, k, opts),
  cpu: (x, k, opts = {}) => {
    const r = topkSegmentsRef(x.data, x.shape[0], x.shape[1], k, opts.segment);
    return { values: cpuF32(r.values, r.shape), indices: cpuU32(r.indices, r.shape) };
  },
  cases: [
    {
      name: '67×45 k=5',
      args: (k, r) => [k.tensor(rand(r, 67 * 45), [67, 45]), 5],
      out: (res) => res.indices,
      tol: { rel: 0, abs: 0 },
      selfcheck: true,
    },
  ],
});
