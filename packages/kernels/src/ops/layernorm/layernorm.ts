import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { layerNormRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { layerNormKernel } from './layernorm.wgsl.js';

// LayerNorm over the last axis (definition in reference.ts): rows chunked under the binding limit, one
// workgroup per row. x may be f16 storage (then y is f16 too; statistics in f32); γ and β are f32.

/** Check a layerNorm call; returns [rows, width]. */
export function layerNormDims(
  xShape: readonly number[],
  xDtype: string,
  gShape: readonly number[],
  bShape: readonly number[],
  eps: number,
): [number, number] {
  const op = 'layerNorm';
  if (xShape.length < 1) throw new ShapeError(`${op}: x must have at least one axis, got ${shapeStr(xShape)}`);
  if (xDtype !== 'f32' && xDtype !== 'f16') throw new ArgumentError(`${op}: x must be f32 or f16, got ${xDtype}`);
  const [, width] = layerNormShapeOf(xShape);
  const n = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (n(gShape) !== width || n(bShape) !== width)
    throw new ShapeError(
      `${op}: γ ${shapeStr(gShape)} and β ${shapeStr(bShape)} must have ${width} elements (the last axis of x ${shapeStr(xShape)})`,
    );
  if (!(eps >= 0 && Number.isFinite(eps)))
    throw new ArgumentError(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
  return layerNormShapeOf(xShape);
}

// [rows, width] of x, without the checks of `layerNormDims`: the unchecked bodies recompute it (the door checked)
function layerNormShapeOf(xShape: readonly number[]): [number, number] {
  return [xShape.slice(0, -1).reduce((a, b) => a * b, 1), xShape[xShape.length - 1]];
}

// the host checks of layerNorm (both backends)
function checkLayerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): void {
  layerNormDims(x.shape, x.dtype, gamma.shape, beta.shape, eps);
  if (gamma.dtype !== 'f32' || beta.dtype !== 'f32') throw new ArgumentError(`layerNorm: γ and β must be f32`);
}

/**
 * y = (x − µ)/√(σ² + eps)·γ + β over the last axis of x (f32 or f16 storage); γ, β f32.
 * @param ctx - the WebGPU context that owns the tensors.
 * @param x - [rows, width] input, f32 or f16 storage.
 * @param gamma - [width] f32 scale γ.
 * @param beta - [width] f32 shift β.
 * @param eps - variance epsilon (default 1e-5, finite, ≥ 0).
 * @returns a new tensor of x's shape and dtype.
 * @throws ShapeError / ArgumentError for mismatched shapes, dtypes or a bad eps.
 */
export function layerNorm(ctx: GpuContext, x: GpuTensor, gamma: GpuTensor, beta: GpuTensor, eps = 1e-5): GpuTensor {
  checkLayerNorm(x, gamma, beta, eps);
  return layerNormUnchecked(ctx, x, gamma, beta, eps);
}

function layerNormUnchecked(ctx: GpuContext, x: GpuTensor, gamma: GpuTensor, beta: GpuTensor, eps = 1e-5): GpuTensor {
  const op = 'layerNorm';
  const [rows, width] = layerNormShapeOf(x.shape);
  const half = x.dtype === 'f16';
  const y = ctx.empty(x.shape, x.dtype);
  if (rows === 0 || width === 0) return y;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const rg = bindRange(gamma);
  const rb = bindRange(beta);
  const rowsPerElem = half ? 2 : 1; // planRows counts 4-byte elements
  for (const [r0, rc] of planRows(ctx, op, rows, [ceilDiv(width, rowsPerElem)])) {
    const rx = bindRange(x, r0 * width, rc * width, { f16: half });
    const ry = bindRange(y, r0 * width, rc * width, { f16: half });
    const params = { rows: rc, width, xBase: rx.base, yBase: ry.base, gBase: rg.base, bBase: rb.base, eps };
    const workgroups: [number, number] = [Math.min(rc, MAX_WG), ceilDiv(rc, MAX_WG)];
    const bindings = { X: rx.resource, G: rg.resource, B: rb.resource, Y: ry.resource };
    ds.push(layerNormKernel.dispatch(ctx, { op, spec: { half }, params, bindings, workgroups, temps }));
  }
  ctx.submit(op, ds, temps);
  return y;
}

/** LayerNorm over the last axis: (x − µ)/√(σ² + eps)·γ + β (eps default 1e-5; x f32 or f16 storage, γ β f32) */
export const layerNormOp: OpDeclaration<(x: Tensor, gamma: Tensor, beta: Tensor, eps?: number) => Tensor> = defineOp<
  (x: Tensor, gamma: Tensor, beta: Tensor, eps?: number) => Tensor
>({
  name: 'layerNorm',
  check: checkLayerNorm,
  webgpu: layerNormUnchecked,
  cpu: (x, gamma, beta, eps = 1e-5) => {
    const [rows, width] = layerNormShapeOf(x.shape);
    return cpuF32(layerNormRef(x.data, rows, width, gamma.data, beta.data, eps), x.shape);
  },
});
