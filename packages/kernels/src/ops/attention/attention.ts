import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { attentionRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import type { AttentionShape } from './reference.js';
import { ATT_BQ, ATT_MAX_KD, attentionKernel } from './attention.wgsl.js';

export type { AttentionShape } from './reference.js';

/** Options of `attention`: `batch` sequences of rows/batch tokens each; heads; causal mask; scale (default 1/√D). */
export interface AttentionOptions {
  batch: number;
  heads: number;
  causal?: boolean;
  scale?: number;
}

/** Check an attention call on packed qkv [batch·seq, 3·width]; returns the resolved shape. */
export function attentionDims(
  qkvShape: readonly number[],
  dtype: string,
  o: AttentionOptions,
): AttentionShape & { width: number; D: number; scale: number } {
  const op = 'attention';
  if (qkvShape.length !== 2)
    throw new ShapeError(`${op}: qkv must be rank 2 [batch·seq, 3·width], got ${shapeStr(qkvShape)}`);
  if (dtype !== 'f32' && dtype !== 'f16') throw new ArgumentError(`${op}: qkv must be f32 or f16, got ${dtype}`);
  const [rows, c3] = qkvShape;
  const { batch, heads } = o;
  if (!Number.isInteger(batch) || batch < 0)
    throw new ArgumentError(`${op}: batch must be an integer ≥ 0, got ${batch}`);
  if (!Number.isInteger(heads) || heads < 1)
    throw new ArgumentError(`${op}: heads must be an integer ≥ 1, got ${heads}`);
  if (c3 % 3 !== 0) throw new ShapeError(`${op}: qkv ${shapeStr(qkvShape)}: columns must be 3·width`);
  const width = c3 / 3;
  if (width % heads !== 0) throw new ShapeError(`${op}: width ${width} is not a multiple of heads ${heads}`);
  const D = width / heads;
  if (D > ATT_MAX_KD) throw new ShapeError(`${op}: head size ${D} exceeds ${ATT_MAX_KD}`);
  if (batch === 0 ? rows !== 0 : rows % batch !== 0)
    throw new ShapeError(`${op}: qkv has ${rows} rows, not a multiple of batch ${batch}`);
  const scale = o.scale ?? 1 / Math.sqrt(Math.max(D, 1));
  if (!Number.isFinite(scale)) throw new ArgumentError(`${op}: scale must be finite, got ${scale}`);
  if (heads > MAX_WG) throw new ShapeError(`${op}: ${heads} heads exceed one dispatch`);
  return attentionShapeOf(qkvShape, o);
}

// what `attentionDims` returns, without its checks: the unchecked bodies recompute it (the door checked)
function attentionShapeOf(
  qkvShape: readonly number[],
  o: AttentionOptions,
): AttentionShape & { width: number; D: number; scale: number } {
  const [rows, c3] = qkvShape;
  const { batch, heads } = o;
  const width = c3 / 3;
  const D = width / heads;
  const seq = batch === 0 ? 0 : rows / batch;
  const scale = o.scale ?? 1 / Math.sqrt(Math.max(D, 1));
  return { batch, seq, heads, causal: !!o.causal, scale, width, D };
}

/**
 * O = softmax(scale·QKᵀ [+ causal mask])·V per (sequence, head) from packed qkv [batch·seq, 3·width]
 * (row = [q | k | v], heads in column blocks); O: [batch·seq, width]. f16 storage in → f16 out, f32 maths.
 * @param ctx - the WebGPU context that owns `qkv`.
 * @param qkv - packed [batch·seq, 3·width] projections, f32 or f16 (f16 needs `shader-f16`).
 * @param o - `batch` (sequences), `heads` (width % heads = 0, head size ≤ 2048), optional `causal` and `scale`
 *   (default 1/√headSize).
 * @returns a new [batch·seq, width] tensor in qkv's dtype.
 * @throws ShapeError for shapes that do not split into batch × heads; ArgumentError for a non-finite scale.
 */
export function attention(ctx: GpuContext, qkv: GpuTensor, o: AttentionOptions): GpuTensor {
  attentionDims(qkv.shape, qkv.dtype, o);
  return attentionUnchecked(ctx, qkv, o);
}

function attentionUnchecked(ctx: GpuContext, qkv: GpuTensor, o: AttentionOptions): GpuTensor {
  const op = 'attention';
  const d = attentionShapeOf(qkv.shape, o);
  const { batch, seq: L, heads, width, D } = d;
  const half = qkv.dtype === 'f16';
  const out = ctx.empty([batch * L, width], qkv.dtype);
  if (batch === 0 || L === 0 || width === 0) return out;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const per = (e: number) => (half ? ceilDiv(e, 2) : e); // planRows counts 4-byte elements
  for (const [b0, nb] of planRows(ctx, op, batch, [per(L * 3 * width), per(L * width)], MAX_WG)) {
    const ri = bindRange(qkv, b0 * L * 3 * width, nb * L * 3 * width, { f16: half });
    const ro = bindRange(out, b0 * L * width, nb * L * width, { f16: half });
    const params = { L, heads, inBase: ri.base, outBase: ro.base, causal: d.causal ? 1 : 0, scale: d.scale };
    const workgroups: [number, number, number] = [ceilDiv(L, ATT_BQ), heads, nb];
    const bindings = { QKV: ri.resource, O: ro.resource };
    ds.push(attentionKernel.dispatch(ctx, { op, spec: { D, half }, params, bindings, workgroups, temps }));
  }
  ctx.submit(op, ds, temps);
  return out;
}

/** fused multi-head attention on packed qkv [batch·seq, 3·width] → [batch·seq, width] (optional causal mask) */
export const attentionOp: OpDeclaration<(qkv: Tensor, opts: AttentionOptions) => Tensor> = defineOp<
  (qkv: Tensor, opts: AttentionOptions) => Tensor
>({
  name: 'attention',
  check: (qkv, o) => void attentionDims(qkv.shape, qkv.dtype, o),
  webgpu: attentionUnchecked,
  cpu: (qkv, o) => {
    if (qkv.dtype !== 'f32') throw new ArgumentError(`attention: qkv must be f32, got ${qkv.dtype}`);
    const d = attentionShapeOf(qkv.shape, o);
    return cpuF32(attentionRef(qkv.data, d.width, d), [d.batch * d.seq, d.width]);
  },
});
