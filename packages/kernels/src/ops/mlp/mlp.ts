import { isTensor, type Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { biasActBackwardRef, biasActRef, gatherRowsRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import type { Activation } from './reference.js';
import {
  ACTIVATIONS,
  biasActBackwardKernel,
  biasActKernel,
  colFoldKernel,
  CW,
  gatherKernel,
  PER_ROW,
  RB,
  WG,
} from './mlp.wgsl.js';

// Projection-head kernels for training (definitions and float64 references in reference.ts):
//  - biasAct: Y = act(X + b) (bias broadcast over rows; act none | gelu, tanh form)
//  - biasActBackward: dZ = dY ⊙ act′(X + b) and the bias gradient db = Σ_rows dZ, fused: each workgroup owns
//    64 columns × RB rows (consecutive threads read consecutive columns), writes dZ and one partial column
//    sum per row block; a second pass folds the partials in a fixed order (deterministic, no atomics).
//  - gatherRows: Y[i] = X[idx[i]] (a minibatch from device-resident features).
// Shapes travel in uniforms; one pipeline per kernel whatever the shapes.

function actCode(op: string, act: string): number {
  if (!(act in ACTIVATIONS)) throw new ArgumentError(`${op}: unknown activation "${act}" (use 'none' or 'gelu')`);
  return ACTIVATIONS[act as Activation];
}

function grid2(count: number): { width: number; wg: [number, number] } {
  const x = Math.min(ceilDiv(count, WG), MAX_WG);
  return { width: x * WG, wg: [x, ceilDiv(count, x * WG)] };
}

function rank2(op: string, name: string, t: Tensor): [number, number] {
  if (t.shape.length !== 2)
    throw new ShapeError(`${op}: ${name} must be rank 2 [rows, cols], got ${shapeStr(t.shape)}`);
  if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32`);
  return [t.shape[0], t.shape[1]];
}

function checkBias(op: string, bias: Tensor, N: number): void {
  if (bias.size !== N || bias.dtype !== 'f32')
    throw new ShapeError(`${op}: bias ${shapeStr(bias.shape)} must be f32 with ${N} elements (one per column)`);
}

/** Y = act(X + b) for X: [M, N], b: [N] (act 'none' | 'gelu', tanh form). */
/** The host checks of biasAct (both backends). */
export function checkBiasAct(x: Tensor, bias: Tensor, act: Activation = 'none'): void {
  actCode('biasAct', act);
  checkBias('biasAct', bias, rank2('biasAct', 'x', x)[1]);
}

/**
 * Y = act(X + b) with the bias broadcast over rows; act is 'none' or 'gelu' (the tanh form, computed as z·σ(2u)).
 * @param ctx - the WebGPU context that owns the tensors.
 * @param x - [M, N] f32 input.
 * @param bias - [N] f32 bias.
 * @param act - activation (default 'none').
 * @returns a new [M, N] tensor.
 * @throws ShapeError / ArgumentError for mismatched shapes or an unknown activation.
 */
export function biasAct(ctx: GpuContext, x: GpuTensor, bias: GpuTensor, act: Activation = 'none'): GpuTensor {
  checkBiasAct(x, bias, act);
  return biasActUnchecked(ctx, x, bias, act);
}

function biasActUnchecked(ctx: GpuContext, x: GpuTensor, bias: GpuTensor, act: Activation = 'none'): GpuTensor {
  const op = 'biasAct';
  const code = actCode(op, act);
  const [M, N] = x.shape;
  const y = ctx.empty([M, N]);
  if (M === 0 || N === 0) return y;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const rb = bindRange(bias);
  for (const [r0, rc] of planRows(ctx, op, M, [N], Math.floor((PER_ROW * MAX_WG) / N))) {
    const cnt = rc * N;
    const rx = bindRange(x, r0 * N, cnt);
    const ry = bindRange(y, r0 * N, cnt);
    const g = grid2(cnt);
    const params = { n: cnt, cols: N, xBase: rx.base, yBase: ry.base, bBase: rb.base, act: code, width: g.width };
    const bindings = { X: rx.resource, B: rb.resource, Y: ry.resource };
    ds.push(biasActKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
  return y;
}

/** Backward of bias + activation: the input gradient and the bias gradient (column sums). */
export interface BiasActBackwardResult<T = GpuTensor> {
  /** [M, N] ∂L/∂X = dY ⊙ act′(X + b); null when act = 'none' (it equals dY) */
  dx: T | null;
  /** [N] ∂L/∂b = Σ_rows ∂L/∂X */
  dbias: T;
}

/** The host checks of biasActBackward (both backends). */
export function checkBiasActBackward(
  dy: Tensor,
  x: Tensor | null,
  bias: Tensor | null,
  act: Activation = 'none',
): void {
  const op = 'biasActBackward';
  const code = actCode(op, act);
  const [M, N] = rank2(op, 'dy', dy);
  if (code === 1) {
    if (!x || !bias) throw new ArgumentError(`${op}: act 'gelu' needs the forward input x and the bias`);
    const [mx, nx] = rank2(op, 'x', x);
    if (mx !== M || nx !== N) throw new ShapeError(`${op}: x ${shapeStr(x.shape)} and dy ${shapeStr(dy.shape)} differ`);
    checkBias(op, bias, N);
  }
}

/**
 * Backward of `biasAct`: dX = dY ⊙ act′(X + b) and db = column sums of dX, fused in one sweep plus a fold of
 * per-row-block partials (fixed order: deterministic). With act 'none', X and b are not read (pass null).
 * @param ctx - the WebGPU context that owns the tensors.
 * @param dy - [M, N] upstream gradient.
 * @param x - [M, N] the forward input (null when act is 'none').
 * @param bias - [N] the forward bias (null when act is 'none').
 * @param act - the forward activation (default 'none').
 * @returns dX ([M, N]) and db ([N]) as new tensors.
 * @throws ShapeError / ArgumentError for mismatched shapes or an unknown activation.
 */
export function biasActBackward(
  ctx: GpuContext,
  dy: GpuTensor,
  x: GpuTensor | null,
  bias: GpuTensor | null,
  act: Activation = 'none',
): BiasActBackwardResult {
  checkBiasActBackward(dy, x, bias, act);
  return biasActBackwardUnchecked(ctx, dy, x, bias, act);
}

function biasActBackwardUnchecked(
  ctx: GpuContext,
  dy: GpuTensor,
  x: GpuTensor | null,
  bias: GpuTensor | null,
  act: Activation = 'none',
): BiasActBackwardResult {
  const op = 'biasActBackward';
  const code = actCode(op, act);
  const [M, N] = dy.shape;
  const dbias = ctx.empty([N]);
  const dx = code === 1 ? ctx.empty([M, N]) : null;
  if (N === 0) return { dx, dbias };
  if (ceilDiv(N, CW) > MAX_WG) throw new ShapeError(`${op}: too many columns (${N})`);
  if (M === 0) {
    ctx.submit(op, [], [], (enc) => enc.clearBuffer(dbias.buffer));
    return { dx, dbias };
  }
  const blocks = ceilDiv(M, RB);
  if (blocks * N * 4 > ctx.maxBindingSize - 256)
    throw new ShapeError(`${op}: ${blocks}×${N} partial sums exceed the binding limit`);
  const part = ctx.empty([blocks, N]);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const rbias = bindRange(bias ?? dy, 0, code === 1 ? N : 1);
  const byBinding = planRows(ctx, op, M, [N])[0][1];
  const per = Math.max(RB, Math.floor(Math.min(byBinding, RB * MAX_WG) / RB) * RB);
  for (let r0 = 0; r0 < M; r0 += per) {
    const rc = Math.min(per, M - r0);
    const cnt = rc * N;
    const rdy = bindRange(dy, r0 * N, cnt);
    const rx = code === 1 ? bindRange(x!, r0 * N, cnt) : rdy;
    const rdx = dx ? bindRange(dx, r0 * N, cnt) : bindRange(part, 0, 1);
    const params = {
      rows: rc,
      cols: N,
      dyBase: rdy.base,
      xBase: rx.base,
      dxBase: rdx.base,
      bBase: rbias.base,
      act: code,
      writeDx: dx ? 1 : 0,
      blk0: r0 / RB,
    };
    // DX aliases nothing it reads: when act = none a tiny scratch binding stands in (never written)
    const dxRes = dx ? rdx.resource : bindRange(dbias, 0, 1).resource;
    const bindings = { DY: rdy.resource, X: rx.resource, B: rbias.resource, DX: dxRes, Part: bindRange(part).resource };
    const workgroups: [number, number] = [ceilDiv(N, CW), ceilDiv(rc, RB)];
    ds.push(biasActBackwardKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups, temps }));
  }
  const foldBindings = { Part: bindRange(part).resource, DB: bindRange(dbias).resource };
  const foldParams = { blocks, cols: N };
  const foldWg: [number] = [ceilDiv(N, CW)];
  const fold = { op: `${op}.fold`, spec: {}, params: foldParams, bindings: foldBindings, workgroups: foldWg, temps };
  ds.push(colFoldKernel.dispatch(ctx, fold));
  ctx.submit(op, ds, temps);
  part.dispose();
  return { dx, dbias };
}

/** The host checks of gatherRows (both backends): host indices must lie in [0, n). */
export function checkGatherRows(x: Tensor, idx: Tensor | ArrayLike<number>): void {
  const op = 'gatherRows';
  const [n] = rank2(op, 'x', x);
  if (isTensor(idx)) {
    if (idx.dtype !== 'u32') throw new ArgumentError(`${op}: idx must be a u32 tensor`);
    return;
  }
  for (let i = 0; i < idx.length; i++) {
    if (!(Number.isInteger(idx[i]) && idx[i] >= 0 && idx[i] < n))
      throw new ArgumentError(`${op}: idx[${i}] = ${idx[i]} is outside [0, ${n})`);
  }
}

/**
 * Y[i, :] = X[idx[i], :] for X: [n, d] (bound whole) and idx (u32 tensor or integer array) of length B.
 * Array indices are validated on the host; a device index ≥ n yields a zero row.
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - [n, d] f32 source rows.
 * @param idx - B row indices: a u32 tensor or integers in [0, n).
 * @returns a new [B, d] tensor.
 * @throws ArgumentError for an array index outside [0, n).
 */
export function gatherRows(ctx: GpuContext, x: GpuTensor, idx: GpuTensor | ArrayLike<number>): GpuTensor {
  checkGatherRows(x, idx);
  return gatherRowsUnchecked(ctx, x, idx);
}

function gatherRowsUnchecked(ctx: GpuContext, x: GpuTensor, idx: GpuTensor | ArrayLike<number>): GpuTensor {
  const op = 'gatherRows';
  const [n, d] = x.shape;
  let it: GpuTensor;
  let owned = false;
  if (isTensor(idx)) it = idx as GpuTensor;
  else {
    it = ctx.tensor(idx, [idx.length], 'u32');
    owned = true;
  }
  const B = it.size;
  const y = ctx.empty([B, d]);
  if (B === 0 || d === 0) {
    if (owned) it.dispose();
    return y;
  }
  if (x.size * 4 > ctx.maxBindingSize - 256)
    throw new ShapeError(
      `${op}: x ${shapeStr(x.shape)} exceeds the binding limit (${ctx.maxBindingSize} B); gather on the host`,
    );
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [r0, rc] of planRows(ctx, op, B, [d], Math.floor((PER_ROW * MAX_WG) / d))) {
    const cnt = rc * d;
    const ry = bindRange(y, r0 * d, cnt);
    const ri = bindRange(it, r0, rc);
    const g = grid2(cnt);
    const params = { n: cnt, d, rows: n, yBase: ry.base, iBase: ri.base, width: g.width };
    const bindings = { X: bindRange(x).resource, I: ri.resource, Y: ry.resource };
    ds.push(gatherKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
  if (owned) it.dispose();
  return y;
}

/** Y = act(X + b) for X [M, N], b [N]. */
export const biasActOp: OpDeclaration<(x: Tensor, bias: Tensor, act?: Activation) => Tensor> = defineOp<
  (x: Tensor, bias: Tensor, act?: Activation) => Tensor
>({
  name: 'biasAct',
  check: checkBiasAct,
  webgpu: biasActUnchecked,
  cpu: (x, bias, act = 'none') => cpuF32(biasActRef(x.data, x.shape[0], x.shape[1], bias.data, act), x.shape),
  cases: [
    {
      name: '67×45 gelu',
      args: (k, r) => [k.tensor(rand(r, 67 * 45), [67, 45]), k.tensor(rand(r, 45), [45]), 'gelu'],
      tol: { rel: 1e-5, abs: 1e-5 },
      selfcheck: true,
    },
  ],
});

/** dX = dY ⊙ act′(X + b) (null for 'none') and db = column sums. */
export const biasActBackwardOp: OpDeclaration<
  (dy: Tensor, x: Tensor | null, bias: Tensor | null, act?: Activation) => BiasActBackwardResult<Tensor>
> = defineOp<(dy: Tensor, x: Tensor | null, bias: Tensor | null, act?: Activation) => BiasActBackwardResult<Tensor>>({
  name: 'biasActBackward',
  check: checkBiasActBackward,
  webgpu: biasActBackwardUnchecked,
  cpu: (dy, x, bias, act = 'none') => {
    const [M, N] = dy.shape;
    const gelu = act === 'gelu';
    const r = biasActBackwardRef(dy.data, gelu ? x!.data : null, M, N, gelu ? bias!.data : null, act);
    return { dx: gelu ? cpuF32(r.dx, [M, N]) : null, dbias: cpuF32(r.dbias, [N]) };
  },
});

/** Y[i] = X[idx[i]] (device u32 indices or a host integer array; a device index ≥ n gives a zero row). */
export const gatherRowsOp: OpDeclaration<(x: Tensor, idx: Tensor | ArrayLike<number>) => Tensor> = defineOp<
  (x: Tensor, idx: Tensor | ArrayLike<number>) => Tensor
>({
  name: 'gatherRows',
  check: checkGatherRows,
  webgpu: gatherRowsUnchecked,
  cpu: (x, idx) => {
    const [n, d] = x.shape;
    if (!isTensor(idx)) return cpuF32(gatherRowsRef(x.data, n, d, idx), [idx.length, d]);
    const y = new Float64Array(idx.size * d);
    idx.data.forEach((r, i) => {
      if (r < n) y.set(x.data.subarray(r * d, (r + 1) * d), i * d);
    });
    return cpuF32(y, [idx.size, d]);
  },
});
