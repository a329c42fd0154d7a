import type { Tensor } from '../../types.js';
import { CpuTensor } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { castRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows } from '../common.js';
import { castKernel, PER_ROW, WG, type CastDType } from './cast.wgsl.js';

/** The host checks of cast (both backends). */
export function checkCast(x: Tensor, to: CastDType): void {
  if (to !== 'f16' && to !== 'f32') throw new ArgumentError(`cast: unknown dtype "${to}" (f16 or f32)`);
  if (x.dtype !== 'f16' && x.dtype !== 'f32') throw new ArgumentError(`cast: cannot cast a ${x.dtype} tensor`);
}

/**
 * Convert a tensor between f32 and f16 (round to nearest; f32 → f16 saturates finite values at ±65504).
 * Needs the adapter's shader-f16 feature. Returns a new tensor; casting to the tensor's own dtype copies it.
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - an f32 or f16 tensor (u32 is refused).
 * @param to - the target dtype, 'f16' or 'f32'.
 * @returns a new tensor of x's shape in dtype `to`.
 * @throws ArgumentError when the adapter lacks `shader-f16` or the dtypes are not f32/f16.
 */
export function cast(ctx: GpuContext, x: GpuTensor, to: CastDType): GpuTensor {
  checkCast(x, to);
  return castUnchecked(ctx, x, to);
}

function castUnchecked(ctx: GpuContext, x: GpuTensor, to: CastDType): GpuTensor {
  if (!ctx.features.f16)
    throw new ArgumentError(`cast: f16 needs the adapter's shader-f16 feature, which this adapter lacks`);
  const z = ctx.empty(x.shape, to);
  const n = x.size;
  if (n === 0) return z;
  if (x.dtype === to) {
    ctx.submit('cast', [], [], (enc) =>
      enc.copyBufferToBuffer(x.buffer, 0, z.buffer, 0, Math.min(x.buffer.size, z.buffer.size)),
    );
    return z;
  }
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [s0, sc] of planRows(ctx, 'cast', n, [1], PER_ROW * MAX_WG)) {
    const rx = bindRange(x, s0, sc, { f16: true });
    const rz = bindRange(z, s0, sc, { f16: true });
    // f32 → f16 runs one invocation per output word (covering zBase + sc halves)
    const inv = to === 'f16' ? ceilDiv(rz.base + sc, 2) : sc;
    const rows = ceilDiv(inv, PER_ROW);
    const params = { n: sc, xBase: rx.base, zBase: rz.base, width: PER_ROW };
    const workgroups: [number, number] = [rows > 1 ? PER_ROW / WG : ceilDiv(inv, WG), rows];
    const bindings = { X: rx.resource, Z: rz.resource };
    ds.push(castKernel.dispatch(ctx, { op: 'cast', spec: { to }, params, bindings, workgroups, temps }));
  }
  ctx.submit('cast', ds, temps);
  return z;
}

/** f32 ↔ f16 (WebGPU: needs shader-f16; CPU: values rounded to binary16). */
export const castOp: OpDeclaration<(x: Tensor, to: CastDType) => Tensor> = defineOp<
  (x: Tensor, to: CastDType) => Tensor
>({
  name: 'cast',
  check: checkCast,
  webgpu: castUnchecked,
  cpu: (x, to) => new CpuTensor(castRef(x.data, to), [...x.shape], to),
});
