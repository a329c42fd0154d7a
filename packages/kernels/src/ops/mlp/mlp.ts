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

function rank2(op: string, name: string, t: GpuTensor): [number, number] {
  if (t.shape.length !== 2)
    throw new ShapeError(`${op}: ${name} must be rank 2 [rows, cols], got ${shapeStr(t.shape)}`);
  if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32`);
  return [t.shape[0], t.shape[1]];
}

function checkBias(op: string, bias: GpuTensor, N: number): void {
  if (bias.size !== N || bias.dtype !== 'f32')
    throw new ShapeError(`${op}: bias ${shapeStr(bias.shape)} must be f32 with ${N} elements (one per column)`);
}

/** Y = act(X + b) for X: [M, N], b: [N] (act 'none' | 'gelu', tanh form). */
export function biasAct(ctx: GpuContext, x: GpuTensor, bias: GpuTensor, act: Activation = 'none'): GpuTensor {
  const op = 'biasAct';
  const code = actCode(op, act);
  const [M, N] = rank2(op, 'x', x);
  checkBias(op, bias, N);
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
    const bindings = [rx.resource, rb.resource, ry.resource];
    ds.push(biasActKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
  return y;
}

export interface BiasActBackwardResult<T = GpuTensor> {
  /** [M, N] ∂L/∂X = dY ⊙ act′(X + b); null when act = 'none' (it equals dY) */
  dx: T | null;
  /** [N] ∂L/∂b = Σ_rows ∂L/∂X */
  dbias: T;
}

/**
 * Backward of `biasAct`: dX = dY ⊙ act′(X + b) and db = column sums of dX, fused in one sweep plus a fold of
 * per-row-block partials (fixed order: deterministic). With act 'none', X and b are not read (pass null).
 */
export function biasActBackward(
  ctx: GpuContext,
  dy: GpuTensor,
  x: GpuTensor | null,
  bias: GpuTensor | null,
  act: Activation = 'none',
): BiasActBackwardResult {
  const op = 'biasActBackward';
  const code = actCode(op, act);
  const [M, N] = rank2(op, 'dy', dy);
  if (code === 1) {
    if (!x || !bias) throw new ArgumentError(`${op}: act 'gelu' needs the forward input x and the bias`);
    const [mx, nx] = rank2(op, 'x', x);
    if (mx !== M || nx !== N) throw new ShapeError(`${op}: x ${shapeStr(x.shape)} and dy ${shapeStr(dy.shape)} differ`);
    checkBias(op, bias, N);
  }
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
    const bindings = [rdy.resource, rx.resource, rbias.resource, dxRes, bindRange(part).resource];
    const workgroups: [number, number] = [ceilDiv(N, CW), ceilDiv(rc, RB)];
    ds.push(biasActBackwardKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups, temps }));
  }
  const foldBindings = [bindRange(part).resource, bindRange(dbias).resource];
  const foldParams = { blocks, cols: N };
  const foldWg: [number] = [ceilDiv(N, CW)];
  const fold = { op: `${op}.fold`, spec: {}, params: foldParams, bindings: foldBindings, workgroups: foldWg, temps };
  ds.push(colFoldKernel.dispatch(ctx, fold));
  ctx.submit(op, ds, temps);
  part.dispose();
  return { dx, dbias };
}

/**
 * Y[i, :] = X[idx[i], :] for X: [n, d] (bound whole) and idx (u32 tensor or integer array) of length B.
 * Array indices are validated on the host; a device index ≥ n yields a zero row.
 */
export function gatherRows(ctx: GpuContext, x: GpuTensor, idx: GpuTensor | ArrayLike<number>): GpuTensor {
  const op = 'gatherRows';
  const [n, d] = rank2(op, 'x', x);
  let it: GpuTensor;
  let owned = false;
  if ((idx as GpuTensor).kind === 'gpu') {
    it = idx as GpuTensor;
    if (it.dtype !== 'u32') throw new ArgumentError(`${op}: idx must be a u32 tensor`);
  } else {
    const a = idx as ArrayLike<number>;
    for (let i = 0; i < a.length; i++) {
      if (!(Number.isInteger(a[i]) && a[i] >= 0 && a[i] < n))
        throw new ArgumentError(`${op}: idx[${i}] = ${a[i]} is outside [0, ${n})`);
    }
    it = ctx.tensor(a, [a.length], 'u32');
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
    const bindings = [bindRange(x).resource, ri.resource, ry.resource];
    ds.push(gatherKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
  if (owned) it.dispose();
  return y;
}
