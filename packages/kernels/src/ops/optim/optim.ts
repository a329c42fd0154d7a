import type { Tensor } from '../../types.js';
import { cpuF32, storageOf } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { adamwStepRefUnchecked, clipGradNormRefUnchecked } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, shapeStr } from '../common.js';
import { adamwKernel, normFinalKernel, PER_WG, scaleKernel, sumSquaresKernel, WG } from './optim.wgsl.js';
import { adamwDefaults, adamwHyper, CLIP_NORM_EPS, type AdamWHyperParams, type AdamWOptions } from './reference.js';

export type { AdamWOptions } from './reference.js';

// AdamW over flat parameter tensors and global gradient-norm clipping, all on the device so a training
// step needs no host round trip: clipGradNorm leaves its scale in a [1] tensor that adamw can consume.
// Definitions (and float64 references) in reference.ts.

/** Element chunks [start, count) whose bindings stay within the context's limit. */
function chunks(ctx: GpuContext, n: number): [number, number][] {
  const per = Math.max(WG, Math.floor((ctx.maxBindingSize / 4 - 64) / WG) * WG);
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += per) out.push([s, Math.min(per, n - s)]);
  return out;
}

function grid2(count: number): { width: number; wg: [number, number] } {
  const x = Math.min(ceilDiv(count, WG), MAX_WG);
  return { width: x * WG, wg: [x, ceilDiv(count, x * WG)] };
}

/** The host checks of adamw (both backends); returns the hyper-parameters with their defaults. */
export function checkAdamw(
  params: Tensor,
  grads: Tensor,
  m: Tensor,
  v: Tensor,
  step: number,
  options: AdamWOptions<Tensor>,
): AdamWHyperParams {
  const op = 'adamw';
  const h = adamwHyper(options, op);
  const n = params.size;
  for (const [name, t] of Object.entries({ grads, m, v })) {
    if (t.size !== n)
      throw new ShapeError(
        `${op}: ${name} ${shapeStr(t.shape)} must have as many elements as params ${shapeStr(params.shape)}`,
      );
  }
  for (const t of [params, grads, m, v]) if (t.dtype !== 'f32') throw new ArgumentError(`${op}: tensors must be f32`);
  if (new Set([params, grads, m, v].map(storageOf)).size !== 4)
    throw new ArgumentError(`${op}: params, grads, m and v must be distinct buffers`);
  if (!(Number.isInteger(step) && step >= 1)) throw new ArgumentError(`${op}: step = ${step} must be an integer ≥ 1`);
  if (options.gradScale && options.gradScale.size < 1) throw new ShapeError(`${op}: gradScale must hold one element`);
  return h;
}

/** The host checks of clipGradNorm (both backends). */
export function checkClipGradNorm(grads: Tensor[], maxNorm: number): void {
  const op = 'clipGradNorm';
  if (!(Number.isFinite(maxNorm) && maxNorm > 0))
    throw new ArgumentError(`${op}: maxNorm = ${maxNorm} must be finite and > 0`);
  for (const g of grads) if (g.dtype !== 'f32') throw new ArgumentError(`${op}: gradients must be f32`);
  if (new Set(grads.map(storageOf)).size !== grads.length)
    throw new ArgumentError(`${op}: gradient tensors must be distinct buffers`);
}

/**
 * One AdamW step (decoupled weight decay, bias correction; PyTorch semantics), in place on `params`, `m`, `v`
 * (flat f32 tensors of equal size; `m`, `v` start at zero). `step` counts from 1.
 * @param ctx - the WebGPU context that owns the tensors.
 * @param params - parameters, updated in place.
 * @param grads - gradients (same size).
 * @param m - first moments, updated in place.
 * @param v - second moments, updated in place.
 * @param step - step number, from 1 (bias correction).
 * @param options - learning rate, betas, eps, weight decay, optional gradient scale.
 * @throws ArgumentError for bad hyper-parameters or mismatched tensors.
 */
export function adamw(
  ctx: GpuContext,
  params: GpuTensor,
  grads: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  step: number,
  options: AdamWOptions,
): void {
  checkAdamw(params, grads, m, v, step, options);
  adamwUnchecked(ctx, params, grads, m, v, step, options);
}

function adamwUnchecked(
  ctx: GpuContext,
  params: GpuTensor,
  grads: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  step: number,
  options: AdamWOptions,
): void {
  const op = 'adamw';
  const h = adamwDefaults(options);
  const n = params.size;
  if (n === 0) return;
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const scaleRes = options.gradScale ? bindRange(options.gradScale, 0, 1).resource : bindRange(grads, 0, 1).resource;
  for (const [s0, cnt] of chunks(ctx, n)) {
    const rp = bindRange(params, s0, cnt);
    const rg = bindRange(grads, s0, cnt);
    const rm = bindRange(m, s0, cnt);
    const rv = bindRange(v, s0, cnt);
    const g = grid2(cnt);
    const u = {
      n: cnt,
      width: g.width,
      pBase: rp.base,
      gBase: rg.base,
      mBase: rm.base,
      vBase: rv.base,
      hasScale: options.gradScale ? 1 : 0,
      lr: h.lr,
      beta1: h.beta1,
      beta2: h.beta2,
      eps: h.eps,
      decay: 1 - h.lr * h.weightDecay,
      bc1,
      bc2,
    };
    const bindings = { P: rp.resource, G: rg.resource, M: rm.resource, V: rv.resource, Scale: scaleRes };
    ds.push(adamwKernel.dispatch(ctx, { op, spec: {}, params: u, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
}

/** The global gradient norm before clipping and the scale applied (on the device). */
export interface ClipGradNormResult<T = GpuTensor> {
  /** [1] global L2 norm before clipping */
  norm: T;
  /** [1] the factor applied: min(1, maxNorm / (norm + 1e-6)); 0 when the norm is not finite */
  scale: T;
}

/**
 * Global gradient-norm clipping over a set of f32 tensors (PyTorch `clip_grad_norm_`): scales every tensor in
 * place and returns the norm and the factor as device tensors (no read-back).
 * @param ctx - the WebGPU context that owns the gradients.
 * @param grads - distinct f32 tensors, scaled in place.
 * @param maxNorm - the global L2 norm bound (finite, > 0).
 * @returns the norm before clipping and the factor applied, as one-element device tensors.
 * @throws ArgumentError for a bad maxNorm, non-f32 or repeated tensors.
 */
export function clipGradNorm(ctx: GpuContext, grads: GpuTensor[], maxNorm: number): ClipGradNormResult {
  checkClipGradNorm(grads, maxNorm);
  return clipGradNormUnchecked(ctx, grads, maxNorm);
}

function clipGradNormUnchecked(ctx: GpuContext, grads: GpuTensor[], maxNorm: number): ClipGradNormResult {
  const op = 'clipGradNorm';
  const plan: { g: GpuTensor; s0: number; cnt: number; out: number; blocks: number }[] = [];
  let parts = 0;
  for (const g of grads) {
    for (const [s0, cnt] of chunks(ctx, g.size)) {
      const blocks = ceilDiv(cnt, PER_WG);
      plan.push({ g, s0, cnt, out: parts, blocks });
      parts += blocks;
    }
  }
  const part = ctx.zeros([Math.max(1, parts)]);
  const res = ctx.empty([2]);
  const temps: GPUBuffer[] = [];
  const ds: DispatchSpec[] = [];
  for (const c of plan) {
    const r = bindRange(c.g, c.s0, c.cnt);
    const workgroups: [number, number] = [Math.min(c.blocks, MAX_WG), ceilDiv(c.blocks, MAX_WG)];
    const params = { n: c.cnt, base: r.base, out: c.out };
    const bindings = { G: r.resource, Part: bindRange(part).resource };
    ds.push(sumSquaresKernel.dispatch(ctx, { op: `${op}.sumsq`, spec: {}, params, bindings, workgroups, temps }));
  }
  const finalParams = { parts, maxNorm, eps: CLIP_NORM_EPS };
  const finalBindings = { Part: bindRange(part).resource, Out: bindRange(res).resource };
  const final = {
    op: `${op}.final`,
    spec: {},
    params: finalParams,
    bindings: finalBindings,
    workgroups: [1] as [number],
    temps,
  };
  ds.push(normFinalKernel.dispatch(ctx, final));
  for (const c of plan) {
    const r = bindRange(c.g, c.s0, c.cnt);
    const g = grid2(c.cnt);
    const params = { n: c.cnt, width: g.width, base: r.base };
    const bindings = { G: r.resource, Out: bindRange(res).resource };
    ds.push(scaleKernel.dispatch(ctx, { op: `${op}.scale`, spec: {}, params, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
  part.dispose();
  const norm = ctx.empty([1]);
  const scale = ctx.empty([1]);
  ctx.submit(`${op}.outputs`, [], [], (enc) => {
    enc.copyBufferToBuffer(res.buffer, 0, norm.buffer, 0, 4);
    enc.copyBufferToBuffer(res.buffer, 4, scale.buffer, 0, 4);
  });
  res.dispose();
  return { norm, scale };
}

/** One AdamW step (PyTorch semantics) in place on params, m, v; `step` counts from 1. */
export const adamwOp: OpDeclaration<
  (params: Tensor, grads: Tensor, m: Tensor, v: Tensor, step: number, opts: AdamWOptions<Tensor>) => void
> = defineOp<(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, step: number, opts: AdamWOptions<Tensor>) => void>({
  name: 'adamw',
  check: checkAdamw,
  webgpu: adamwUnchecked,
  cpu: (P, G, M, V, step, { gradScale, ...h }) => {
    // the door checked: the float64 reference's unchecked body, on float64 copies (as adamwRef)
    const [p, m, v] = [P.data, M.data, V.data].map((d) => Float64Array.from(d));
    adamwStepRefUnchecked(p, G.data, m, v, step, { ...h, gradScale: gradScale?.data[0] });
    P.data.set(p);
    M.data.set(m);
    V.data.set(v);
  },
  cases: [
    {
      name: 'n=45',
      args: (k, r) => [
        k.tensor(rand(r, 45), [45]),
        k.tensor(rand(r, 45), [45]),
        k.zeros([45]),
        k.zeros([45]),
        1,
        { lr: 0.01, weightDecay: 0.1 },
      ],
      out: (_res, args) => args[0],
      tol: { rel: 1e-5, abs: 1e-5 },
      selfcheck: true,
    },
  ],
});

/** Global gradient-norm clipping in place; norm and factor as [1] tensors. */
export const clipGradNormOp: OpDeclaration<(grads: Tensor[], maxNorm: number) => ClipGradNormResult<Tensor>> = defineOp<
  (grads: Tensor[], maxNorm: number) => ClipGradNormResult<Tensor>
>({
  name: 'clipGradNorm',
  check: checkClipGradNorm,
  webgpu: clipGradNormUnchecked,
  cpu: (grads, maxNorm) => {
    const r = clipGradNormRefUnchecked(
      grads.map((g) => g.data),
      maxNorm,
    );
    grads.forEach((g, k) => g.data.set(r.grads[k]));
    return { norm: cpuF32(Float64Array.of(r.norm), [1]), scale: cpuF32(Float64Array.of(r.scale), [1]) };
  },
});
