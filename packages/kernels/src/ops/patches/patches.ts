import { isTensor, type Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { classTokensRef, embedTokensRef, unfoldRef } from './reference.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { classTokensKernel, embedTokensKernel, PT_WG, unfoldKernel } from './patches.wgsl.js';

// Transformer inputs (definitions in reference.ts): the patch conv as unfold + matmul, the ViT class token
// and positions, token embedding + positions. Chunked by images / rows under the binding limit.

function grid(count: number): { width: number; wg: [number, number] } {
  const x = Math.min(ceilDiv(count, PT_WG), MAX_WG);
  return { width: x * PT_WG, wg: [x, ceilDiv(count, x * PT_WG)] };
}

function f32(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32, got ${t.dtype}`);
}

/** Output shape of `unfold` for x [n, C, S, S] and patch p: [n·⌊S/p⌋², C·p²]. */
export function unfoldDims(xShape: readonly number[], patch: number): [number, number] {
  const op = 'unfold';
  if (xShape.length !== 4 || xShape[2] !== xShape[3])
    throw new ShapeError(`${op}: x must be [n, C, S, S] (square images), got ${shapeStr(xShape)}`);
  const S = xShape[2];
  if (!Number.isInteger(patch) || patch < 1 || patch > S)
    throw new ArgumentError(`${op}: patch must be an integer in [1, ${S}], got ${patch}`);
  return unfoldShape(xShape, patch);
}

// `unfoldDims` without its checks: the unchecked bodies recompute it (the door checked)
function unfoldShape(xShape: readonly number[], patch: number): [number, number] {
  const [n, C, S] = xShape;
  const G = Math.floor(S / patch);
  return [n * G * G, C * patch * patch];
}

/**
 * im2col for a stride-p p×p conv: x [n, C, S, S] → [n·G², C·p²], G = ⌊S/p⌋ (rows: image, then patch row-major).
 * @param ctx - the WebGPU context that owns `x`.
 * @param x - [n, C, S, S] f32 images.
 * @param patch - patch side p (> 0, ≤ S).
 * @returns a new [n·G², C·p²] tensor.
 * @throws ShapeError unless x is [n, C, S, S]; ArgumentError for a patch size outside [1, S]; f32 only.
 */
export function unfold(ctx: GpuContext, x: GpuTensor, patch: number): GpuTensor {
  checkUnfold(x, patch);
  return unfoldUnchecked(ctx, x, patch);
}

function checkUnfold(x: Tensor, patch: number): void {
  f32('unfold', 'x', x);
  unfoldDims(x.shape, patch);
}

function unfoldUnchecked(ctx: GpuContext, x: GpuTensor, patch: number): GpuTensor {
  const op = 'unfold';
  const [rows, K] = unfoldShape(x.shape, patch);
  const [n, C, S] = x.shape;
  const G = Math.floor(S / patch);
  const y = ctx.empty([rows, K]);
  if (rows === 0 || K === 0) return y;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const perImg = C * S * S;
  const outImg = G * G * K;
  for (const [b0, nb] of planRows(ctx, op, n, [perImg, outImg], Math.floor((PT_WG * MAX_WG) / outImg) || 1)) {
    const rx = bindRange(x, b0 * perImg, nb * perImg);
    const ry = bindRange(y, b0 * outImg, nb * outImg);
    const g = grid(nb * outImg);
    const params = { n: nb * outImg, C, S, P: patch, G, xBase: rx.base, yBase: ry.base, width: g.width };
    const bindings = { X: rx.resource, Y: ry.resource };
    ds.push(unfoldKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
  return y;
}

/** The host checks of classTokens (both backends); returns n images of P patches, L = P + 1 rows, width W. */
export function checkClassTokens(x: Tensor, cls: Tensor, pos: Tensor): { n: number; P: number; L: number; W: number } {
  const op = 'classTokens';
  for (const [nm, t] of [
    ['x', x],
    ['cls', cls],
    ['pos', pos],
  ] as const)
    f32(op, nm, t);
  if (x.shape.length !== 2 || pos.shape.length !== 2)
    throw new ShapeError(`${op}: x ${shapeStr(x.shape)} and pos ${shapeStr(pos.shape)} must be rank 2`);
  const [rows, W] = x.shape;
  const [L, Wp] = pos.shape;
  const P = L - 1;
  if (Wp !== W || cls.size !== W || P < 1 || rows % P !== 0)
    throw new ShapeError(
      `${op}: x ${shapeStr(x.shape)}, cls ${shapeStr(cls.shape)}, pos ${shapeStr(pos.shape)}: need pos [P + 1, W], cls [W] and a multiple of P rows`,
    );
  return classTokensDims(x, pos);
}

// what `checkClassTokens` returns, without its checks: the unchecked bodies recompute it (the door checked)
function classTokensDims(x: Tensor, pos: Tensor): { n: number; P: number; L: number; W: number } {
  const [rows, W] = x.shape;
  const P = pos.shape[0] - 1;
  return { n: rows / P, P, L: P + 1, W };
}

/**
 * Y[b·L + t] = (t = 0 ? cls : x[b·P + t − 1]) + pos[t] for x [n·P, W], cls [W], pos [L = P + 1, W] → [n·L, W].
 * @param ctx - the WebGPU context that owns the tensors.
 * @param x - [n·P, W] patch embeddings.
 * @param cls - [W] class token.
 * @param pos - [P + 1, W] positional embedding.
 * @returns a new [n·(P + 1), W] tensor.
 * @throws ShapeError for mismatched shapes.
 */
export function classTokens(ctx: GpuContext, x: GpuTensor, cls: GpuTensor, pos: GpuTensor): GpuTensor {
  checkClassTokens(x, cls, pos);
  return classTokensUnchecked(ctx, x, cls, pos);
}

function classTokensUnchecked(ctx: GpuContext, x: GpuTensor, cls: GpuTensor, pos: GpuTensor): GpuTensor {
  const op = 'classTokens';
  const { n, P, L, W } = classTokensDims(x, pos);
  const y = ctx.empty([n * L, W]);
  if (n === 0 || W === 0) return y;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const rc = bindRange(cls);
  const rp = bindRange(pos);
  for (const [b0, nb] of planRows(ctx, op, n, [L * W], Math.floor((PT_WG * MAX_WG) / (L * W)) || 1)) {
    const rx = bindRange(x, b0 * P * W, nb * P * W);
    const ry = bindRange(y, b0 * L * W, nb * L * W);
    const g = grid(nb * L * W);
    const params = {
      n: nb * L * W,
      L,
      W,
      xBase: rx.base,
      yBase: ry.base,
      cBase: rc.base,
      pBase: rp.base,
      width: g.width,
    };
    const bindings = { X: rx.resource, CLS: rc.resource, POS: rp.resource, Y: ry.resource };
    ds.push(classTokensKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: g.wg, temps }));
  }
  ctx.submit(op, ds, temps);
  return y;
}

/** The host checks of embedTokens (both backends): shapes, dtypes, host ids in [0, V), n·L ids. */
export function checkEmbedTokens(table: Tensor, ids: Tensor | ArrayLike<number>, pos: Tensor): void {
  const op = 'embedTokens';
  f32(op, 'table', table);
  f32(op, 'pos', pos);
  if (table.shape.length !== 2 || pos.shape.length !== 2 || table.shape[1] !== pos.shape[1])
    throw new ShapeError(
      `${op}: table ${shapeStr(table.shape)} and pos ${shapeStr(pos.shape)} must be [V, W] and [L, W]`,
    );
  const V = table.shape[0];
  const L = pos.shape[0];
  let R: number;
  if (isTensor(ids)) {
    if (ids.dtype !== 'u32') throw new ArgumentError(`${op}: ids must be a u32 tensor`);
    R = ids.size;
  } else {
    for (let i = 0; i < ids.length; i++)
      if (!(Number.isInteger(ids[i]) && ids[i] >= 0 && ids[i] < V))
        throw new ArgumentError(`${op}: ids[${i}] = ${ids[i]} is outside [0, ${V})`);
    R = ids.length;
  }
  if (L === 0 ? R !== 0 : R % L !== 0) throw new ShapeError(`${op}: ${R} ids are not a multiple of L = ${L}`);
}

/**
 * Y[r] = table[ids[r]] + pos[r mod L] for table [V, W], ids (u32 tensor or integer array) of n·L tokens, pos
 * [L, W] → [n·L, W]. Array ids are checked on the host; a device id ≥ V gets no embedding (positions only).
 * A table above the binding limit is read in vocabulary slices.
 * @param ctx - the WebGPU context that owns the tensors.
 * @param table - [V, W] token embedding table.
 * @param ids - n·L token ids (u32 tensor or integers in [0, V)).
 * @param pos - [L, W] positional embedding.
 * @returns a new [n·L, W] tensor.
 * @throws ArgumentError for an array id outside [0, V); ShapeError when the ids are not a multiple of L.
 */
export function embedTokens(
  ctx: GpuContext,
  table: GpuTensor,
  ids: GpuTensor | ArrayLike<number>,
  pos: GpuTensor,
): GpuTensor {
  checkEmbedTokens(table, ids, pos);
  return embedTokensUnchecked(ctx, table, ids, pos);
}

function embedTokensUnchecked(
  ctx: GpuContext,
  table: GpuTensor,
  ids: GpuTensor | ArrayLike<number>,
  pos: GpuTensor,
): GpuTensor {
  const op = 'embedTokens';
  const [V, W] = table.shape;
  const L = pos.shape[0];
  let it: GpuTensor;
  let owned = false;
  if (isTensor(ids)) it = ids as GpuTensor;
  else {
    it = ctx.tensor(ids, [ids.length], 'u32');
    owned = true;
  }
  const R = it.size;
  const y = ctx.empty([R, W]);
  if (R === 0 || W === 0) {
    if (owned) it.dispose();
    return y;
  }
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const rp = bindRange(pos);
  const vocab = V === 0 ? [[0, 0] as [number, number]] : planRows(ctx, op, V, [W]);
  for (const [r0, rc] of planRows(ctx, op, R, [W], Math.floor((PT_WG * MAX_WG) / W) || 1)) {
    const ry = bindRange(y, r0 * W, rc * W);
    const ri = bindRange(it, r0, rc);
    const g = grid(rc * W);
    vocab.forEach(([v0, vc], k) => {
      const re = bindRange(table, v0 * W, Math.max(vc * W, 1));
      const params = {
        n: rc * W,
        L,
        W,
        row0: r0,
        v0,
        vc,
        first: k === 0 ? 1 : 0,
        eBase: re.base,
        iBase: ri.base,
        pBase: rp.base,
        yBase: ry.base,
        width: g.width,
      };
      const bindings = { E: re.resource, I: ri.resource, POS: rp.resource, Y: ry.resource };
      ds.push(embedTokensKernel.dispatch(ctx, { op, spec: {}, params, bindings, workgroups: g.wg, temps }));
    });
  }
  ctx.submit(op, ds, temps);
  if (owned) it.dispose();
  return y;
}

/** im2col for the stride-p patch conv: x [n, C, S, S] → [n·⌊S/p⌋², C·p²] */
export const unfoldOp: OpDeclaration<(x: Tensor, patch: number) => Tensor> = defineOp<
  (x: Tensor, patch: number) => Tensor
>({
  name: 'unfold',
  check: checkUnfold,
  webgpu: unfoldUnchecked,
  cpu: (x, patch) => cpuF32(unfoldRef(x.data, x.shape[0], x.shape[1], x.shape[2], patch), unfoldShape(x.shape, patch)),
});

/** ViT inputs: [cls; x rows of one image] + pos, for x [n·P, W], cls [W], pos [P + 1, W] → [n·(P + 1), W] */
export const classTokensOp: OpDeclaration<(x: Tensor, cls: Tensor, pos: Tensor) => Tensor> = defineOp<
  (x: Tensor, cls: Tensor, pos: Tensor) => Tensor
>({
  name: 'classTokens',
  check: (x, cls, pos) => void checkClassTokens(x, cls, pos),
  webgpu: classTokensUnchecked,
  cpu: (x, cls, pos) => {
    const { n, P, L, W } = classTokensDims(x, pos);
    return cpuF32(classTokensRef(x.data, n, P, W, cls.data, pos.data), [n * L, W]);
  },
});

/** table[ids] + pos[r mod L] for table [V, W], ids (u32 tensor or integers) of n·L tokens, pos [L, W] */
export const embedTokensOp: OpDeclaration<(table: Tensor, ids: Tensor | ArrayLike<number>, pos: Tensor) => Tensor> =
  defineOp<(table: Tensor, ids: Tensor | ArrayLike<number>, pos: Tensor) => Tensor>({
    name: 'embedTokens',
    check: checkEmbedTokens,
    webgpu: embedTokensUnchecked,
    cpu: (table, ids, pos) => {
      const [V, W] = table.shape;
      const L = pos.shape[0];
      if (!isTensor(ids)) return cpuF32(embedTokensRef(table.data, V, W, ids, pos.data, L), [ids.length, W]);
      // device-style ids: one ≥ V gets positions only (as on WebGPU)
      const I = ids.data;
      const y = embedTokensRef(new Float64Array(W), 1, W, new Uint32Array(I.length), pos.data, L);
      for (let r = 0; r < I.length; r++)
        if (I[r] < V) for (let j = 0; j < W; j++) y[r * W + j] = table.data[I[r] * W + j] + pos.data[(r % L) * W + j];
      return cpuF32(y, [I.length, W]);
    },
  });
