import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { transposeRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, rank2Of, shapeStr } from '../common.js';
import { ACC_WG, accumulateKernel, TR, transposeKernel } from './transpose.wgsl.js';

// Layout helpers the fused launchers share: a tiled transpose (so the fastest, untransposed matmul variants
// apply) and an in-place accumulate (D += A). Definitions in reference.ts.

/** The host checks of transpose (both backends). */
export function checkTranspose(x: Tensor, op = 'transpose'): void {
  rank2Of(op, x);
  if (x.dtype !== 'f32') throw new ArgumentError(`${op}: x must be f32`);
}

/**
 * Yᵀ of a rank-2 f32 tensor [rows, cols] → [cols, rows]; both bound whole (one binding each).
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - [rows, cols] f32 within one binding.
 * @param op - op name for error messages (default 'transpose').
 * @returns a new [cols, rows] tensor.
 * @throws ShapeError when x exceeds the binding limit or one dispatch.
 */
export function transpose(ctx: GpuContext, x: GpuTensor, op = 'transpose'): GpuTensor {
  checkTranspose(x, op);
  return transposeUnchecked(ctx, x, op);
}

function transposeUnchecked(ctx: GpuContext, x: GpuTensor, op = 'transpose'): GpuTensor {
  const [rows, cols] = x.shape;
  const out = ctx.empty([cols, rows]);
  if (rows === 0 || cols === 0) return out;
  if (x.size * 4 > ctx.maxBindingSize - 256)
    throw new ShapeError(`${op}: x ${shapeStr(x.shape)} exceeds the binding limit (${ctx.maxBindingSize} B)`);
  const workgroups: [number, number] = [ceilDiv(cols, TR), ceilDiv(rows, TR)];
  if (workgroups[0] > MAX_WG || workgroups[1] > MAX_WG)
    throw new ShapeError(`${op}: ${shapeStr(x.shape)} too large for one dispatch`);
  const temps: GPUBuffer[] = [];
  const params = { rows, cols, inBase: 0, outBase: 0 };
  const bindings = { In: bindRange(x, 0, rows * cols).resource, Out: bindRange(out).resource };
  ctx.submit(
    `${op}.transpose`,
    [transposeKernel.dispatch(ctx, { op: `${op}.transpose`, spec: {}, params, bindings, workgroups, temps })],
    temps,
  );
  return out;
}

/**
 * acc += part, in place (f32 tensors of equal size), in chunks within the binding limit.
 * @param ctx - the WebGPU context that owns the tensors.
 * @param acc - f32 accumulator, updated in place.
 * @param part - f32 tensor of acc's size (a distinct buffer).
 * @param op - op name for error messages (default 'accumulate').
 * @throws ShapeError / ArgumentError for different sizes, dtypes or the same buffer.
 */
export function accumulate(ctx: GpuContext, acc: GpuTensor, part: GpuTensor, op = 'accumulate'): void {
  if (acc.size !== part.size)
    throw new ShapeError(`${op}: acc ${shapeStr(acc.shape)} and part ${shapeStr(part.shape)} differ in size`);
  if (acc.dtype !== 'f32' || part.dtype !== 'f32') throw new ArgumentError(`${op}: tensors must be f32`);
  if (acc.buffer === part.buffer) throw new ArgumentError(`${op}: acc and part must be distinct buffers`);
  const n = acc.size;
  const per = Math.max(ACC_WG, Math.floor((ctx.maxBindingSize / 4 - 64) / ACC_WG) * ACC_WG);
  for (let s0 = 0; s0 < n; s0 += per) {
    const cnt = Math.min(per, n - s0);
    const ra = bindRange(part, s0, cnt);
    const rd = bindRange(acc, s0, cnt);
    const width = ACC_WG * Math.min(ceilDiv(cnt, ACC_WG), MAX_WG);
    const temps: GPUBuffer[] = [];
    const params = { n: cnt, aBase: ra.base, dBase: rd.base, width };
    const ds: DispatchSpec = accumulateKernel.dispatch(ctx, {
      op: `${op}.accumulate`,
      spec: {},
      params,
      bindings: { A: ra.resource, D: rd.resource },
      workgroups: [width / ACC_WG, ceilDiv(cnt, width)],
      temps,
    });
    ctx.submit(`${op}.accumulate`, [ds], temps);
  }
}

/** [rows, cols] → [cols, rows] */
export const transposeOp: OpDeclaration<(x: Tensor) => Tensor> = defineOp<(x: Tensor) => Tensor>({
  name: 'transpose',
  check: (x) => checkTranspose(x),
  webgpu: (ctx, x) => transposeUnchecked(ctx, x),
  cpu: (x) => cpuF32(transposeRef(x.data, x.shape[0], x.shape[1]), [x.shape[1], x.shape[0]]),
});
