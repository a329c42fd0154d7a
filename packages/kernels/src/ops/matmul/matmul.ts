import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { matmulRef } from './reference.js';
import {
  noteGpuWork,
  type BindingResource,
  type DispatchSpec,
  type GpuContext,
  type GpuTensor,
} from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import { BLOCKED, matmulKernel, SUBGROUP, TILED, type MatmulVariant } from './matmul.wgsl.js';
import type { GeluKind } from '../gelu/reference.js';

export type { MatmulVariant } from './matmul.wgsl.js';

/**
 * Every matmul kernel variant, in order from simplest to fastest on most adapters.
 */
export const MATMUL_VARIANTS: MatmulVariant[] = ['simple', 'tiled', 'blocked', 'vec4', 'subgroup'];

/**
 * Default variant per adapter kind (measured with `npm run bench`, bench/run.mjs):
 *  - software adapters (lavapipe, SwiftShader, WARP): `subgroup` (vec4 + subgroup broadcast, barrier-free;
 *    ~4× `blocked` on lavapipe in Node), then `vec4` without the `subgroups` feature (Deno's wgpu), then
 *    `blocked` where the shape is not vec4-aligned or a transpose is asked for;
 *  - hardware GPUs: `tiled` (workgroup-memory tiling; barriers are cheap there).
 * A variant that cannot run a given call (see `variantFits`) falls back along FALLBACK, so forcing any
 * variant is always valid (tests force each one).
 */
const DEFAULT_VARIANT: Record<'software' | 'hardware', MatmulVariant> = { software: 'subgroup', hardware: 'tiled' };
const FALLBACK: Partial<Record<MatmulVariant, MatmulVariant>> = { subgroup: 'vec4', vec4: 'blocked' };

/** Options of `matmul`: transposed operands and the kernel variant. */
export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** force a variant; default: per adapter (`subgroup` → `vec4` → `blocked` on software adapters, `tiled` on GPUs; see DEFAULT_VARIANT) */
  variant?: MatmulVariant;
}

export interface MatmulDims {
  batch: number;
  M: number;
  K: number;
  N: number;
  sA: number;
  sB: number;
  outShape: number[];
}

/**
 * Validate shapes of op(A)·op(B); rank 2 or 3 (batched; a rank-2 side broadcasts over the batch).
 * @param aShape - shape of A ([M, K] or [batch, M, K]; [K, M] when transposed).
 * @param bShape - shape of B ([K, N] or [batch, K, N]; [N, K] when transposed).
 * @param transA - use Aᵀ (default false).
 * @param transB - use Bᵀ (default false).
 * @returns batch, M, K, N, the batch strides and the output shape.
 * @throws ShapeError naming both shapes when the inner dimensions or batches disagree.
 */
export function matmulDims(
  aShape: readonly number[],
  bShape: readonly number[],
  transA = false,
  transB = false,
): MatmulDims {
  const where = () => `matmul: A${transA ? 'ᵀ' : ''} ${shapeStr(aShape)} · B${transB ? 'ᵀ' : ''} ${shapeStr(bShape)}`;
  if (aShape.length < 2 || aShape.length > 3 || bShape.length < 2 || bShape.length > 3) {
    throw new ShapeError(`${where()}: operands must be rank 2 or 3`);
  }
  const Ka = aShape[aShape.length - (transA ? 2 : 1)];
  const Kb = bShape[bShape.length - (transB ? 1 : 2)];
  if (Ka !== Kb) throw new ShapeError(`${where()}: inner dimensions differ (${Ka} vs ${Kb})`);
  const ba = aShape.length === 3 ? aShape[0] : 0;
  const bb = bShape.length === 3 ? bShape[0] : 0;
  if (ba && bb && ba !== bb) throw new ShapeError(`${where()}: batch sizes differ (${ba} vs ${bb})`);
  return matmulDimsOf(aShape, bShape, transA, transB);
}

// what `matmulDims` returns, without its checks: the unchecked bodies recompute it (the door checked)
function matmulDimsOf(
  aShape: readonly number[],
  bShape: readonly number[],
  transA = false,
  transB = false,
): MatmulDims {
  const a2 = aShape.slice(-2);
  const b2 = bShape.slice(-2);
  const [M, K] = transA ? [a2[1], a2[0]] : [a2[0], a2[1]];
  const N = transB ? b2[0] : b2[1];
  const ba = aShape.length === 3 ? aShape[0] : 0;
  const bb = bShape.length === 3 ? bShape[0] : 0;
  const batch = Math.max(ba, bb, 1);
  const outShape = ba || bb ? [batch, M, N] : [M, N];
  return { batch, M, K, N, sA: ba ? M * K : 0, sB: bb ? K * N : 0, outShape };
}

/**
 * The matmul variant this context runs by default: forced by `variants.matmul`, else chosen for the adapter kind
 * (software or hardware; see the table above).
 * @param ctx - the WebGPU context.
 * @returns the variant name.
 * @throws ArgumentError for an unknown forced variant.
 */
export function defaultMatmulVariant(ctx: GpuContext): MatmulVariant {
  const v = ctx.variant('matmul', DEFAULT_VARIANT[ctx.adapterInfo.isSoftware ? 'software' : 'hardware']);
  if (!MATMUL_VARIANTS.includes(v as MatmulVariant)) throw new ArgumentError(`matmul: unknown variant "${v}"`);
  return v as MatmulVariant;
}

/** Whether `variant` can run this call: `vec4`/`subgroup` need A·B without transposes and K, N % 4 == 0
 * (`subgroup` also the `subgroups` feature). */
export function variantFits(ctx: GpuContext, variant: MatmulVariant, d: MatmulDims, ta: boolean, tb: boolean): boolean {
  if (variant !== 'subgroup' && variant !== 'vec4') return true;
  if (variant === 'subgroup' && !ctx.features.subgroups) return false;
  return !ta && !tb && d.K > 0 && d.K % 4 === 0 && d.N % 4 === 0;
}

/**
 * The variant that actually runs op(A)·op(B) when `wanted` is asked for (after fallbacks).
 * @param ctx - the WebGPU context (its features decide `subgroup`).
 * @param wanted - the requested variant.
 * @param d - the call's dimensions (`matmulDims`).
 * @param ta - A is transposed.
 * @param tb - B is transposed.
 * @returns `wanted`, or the variant it falls back to for these shapes (e.g. `blocked` for unaligned K, N).
 */
export function resolveMatmulVariant(
  ctx: GpuContext,
  wanted: MatmulVariant,
  d: MatmulDims,
  ta = false,
  tb = false,
): MatmulVariant {
  let v = wanted;
  while (!variantFits(ctx, v, d, ta, tb)) v = FALLBACK[v] ?? 'blocked';
  return v;
}

function grid(variant: MatmulVariant, M: number, N: number): { x: number; y: number; rowsPerWg: number } {
  switch (variant) {
    case 'simple':
      return { x: ceilDiv(N, 8), y: ceilDiv(M, 8), rowsPerWg: 8 };
    case 'tiled':
      return { x: ceilDiv(N, TILED.TN), y: ceilDiv(M, TILED.TM), rowsPerWg: TILED.TM };
    case 'blocked':
      return {
        x: ceilDiv(N, BLOCKED.WX * BLOCKED.RN),
        y: ceilDiv(M, BLOCKED.WY * BLOCKED.RM),
        rowsPerWg: BLOCKED.WY * BLOCKED.RM,
      };
    case 'vec4':
    case 'subgroup':
      return { x: ceilDiv(N, SUBGROUP.WX * 4), y: ceilDiv(M, SUBGROUP.RM), rowsPerWg: SUBGROUP.RM };
  }
}

/**
 * C = op(A)·op(B) on the device (the free launcher; application code calls `k.matmul`).
 *
 * @param ctx - the WebGPU context
 * @param a - [m, k] (or [k, m] with `transA`)
 * @param b - [k, n] (or [n, k] with `transB`)
 * @param opts - `transA`, `transB`, `variant`
 * @returns C, [m, n]
 * @throws ShapeError when the inner dimensions differ
 */
export function matmul(ctx: GpuContext, a: GpuTensor, b: GpuTensor, opts: MatmulOptions = {}): GpuTensor {
  matmulDims(a.shape, b.shape, opts.transA, opts.transB);
  return matmulWith(ctx, a, b, opts);
}

/** The fused epilogue of `linear` (ops/linear): + bias[n], GELU, + residual (laid out like C). */
export interface MatmulEpilogue {
  bias?: GpuTensor;
  gelu?: GeluKind | 'none';
  residual?: GpuTensor;
}

/**
 * C = op(A)·op(B) with an optional epilogue fused into the store (no split-K accumulation with an epilogue).
 * Unchecked: its callers checked the shapes (the door's `matmul` / `linear` checks, or `matmul` above).
 */
export function matmulWith(
  ctx: GpuContext,
  a: GpuTensor,
  b: GpuTensor,
  opts: MatmulOptions = {},
  epi: MatmulEpilogue = {},
): GpuTensor {
  const ta = !!opts.transA;
  const tb = !!opts.transB;
  const d = matmulDimsOf(a.shape, b.shape, ta, tb);
  const wanted = opts.variant ?? defaultMatmulVariant(ctx);
  if (!MATMUL_VARIANTS.includes(wanted)) throw new ArgumentError(`matmul: unknown variant "${wanted}"`);
  const variant = resolveMatmulVariant(ctx, wanted, d, ta, tb);
  const out = ctx.empty(d.outShape);
  const { batch, M, K, N } = d;
  if (M === 0 || N === 0) return out;
  const gelu = epi.gelu ?? 'none';
  const fused = !!epi.bias || gelu !== 'none' || !!epi.residual;
  if (fused && ta) throw new ArgumentError('matmul: an epilogue needs an untransposed A');
  const spec = { variant, transA: ta, transB: tb, bias: !!epi.bias, gelu, residual: !!epi.residual };
  const limit = ctx.maxBindingSize - 256;
  const fits = a.size * 4 <= limit && b.size * 4 <= limit && out.size * 4 <= limit;
  const g = grid(variant, M, N);
  const temps: GPUBuffer[] = [];
  const dispatches: DispatchSpec[] = [];
  const push = (
    mc: number,
    kc: number,
    aStart: number,
    aCount: number,
    bStart: number,
    bCount: number,
    cStart: number,
    cCount: number,
    acc: boolean,
  ) => {
    const ra = bindRange(a, aStart, aCount);
    const rb = bindRange(b, bStart, bCount);
    const rc = bindRange(out, cStart, cCount);
    const params = {
      M: mc,
      K: kc,
      N,
      batch,
      aBase: ra.base,
      bBase: rb.base,
      cBase: rc.base,
      acc: acc ? 1 : 0,
      sA: d.sA,
      sB: d.sB,
      sC: mc * N,
      biasBase: 0,
      rBase: 0,
    };
    const gg = grid(variant, mc, N);
    const bindings: Record<string, BindingResource> = { A: ra.resource, B: rb.resource, C: rc.resource };
    if (epi.bias) bindings.Bias = bindRange(epi.bias, 0, N).resource;
    if (epi.residual) {
      const rr = bindRange(epi.residual, cStart, cCount);
      params.rBase = rr.base;
      bindings.Res = rr.resource;
    }
    const workgroups: [number, number, number] = [gg.x, gg.y, batch];
    dispatches.push(matmulKernel.dispatch(ctx, { op: 'matmul', spec, params, bindings, workgroups, temps }));
  };
  if (g.x > MAX_WG) throw new ShapeError(`matmul: N = ${N} too large for one dispatch`);
  if (fits && g.y <= MAX_WG && batch <= MAX_WG) {
    push(M, K, 0, a.size, 0, b.size, 0, out.size, false);
  } else if (batch > 1 || a.shape.length === 3 || b.shape.length === 3) {
    throw new ShapeError(
      `matmul: batched operands ${shapeStr(a.shape)}·${shapeStr(b.shape)} exceed the binding limit (${ctx.maxBindingSize} B); split the batch`,
    );
  } else if (!ta) {
    // chunk rows of A and C; B is bound whole
    if (b.size * 4 > limit)
      throw new ShapeError(`matmul: B ${shapeStr(b.shape)} exceeds the binding limit (${ctx.maxBindingSize} B)`);
    for (const [r0, rc] of planRows(ctx, 'matmul', M, [K, N], MAX_WG * g.rowsPerWg)) {
      push(rc, K, r0 * K, rc * K, 0, b.size, r0 * N, rc * N, false);
    }
  } else if (!tb) {
    // Aᵀ·B: chunk the shared K rows, accumulate into C
    if (out.size * 4 > limit || g.y > MAX_WG)
      throw new ShapeError(`matmul: output [${M}, ${N}] exceeds the binding limit (${ctx.maxBindingSize} B)`);
    for (const [k0, kc] of planRows(ctx, 'matmul', K, [M, N])) {
      push(M, kc, k0 * M, kc * M, k0 * N, kc * N, 0, out.size, k0 > 0);
    }
  } else {
    throw new ShapeError(`matmul: Aᵀ·Bᵀ with operands above the binding limit is not supported`);
  }
  ctx.submit('matmul', dispatches, temps);
  noteGpuWork(ctx, 2 * batch * M * N * Math.max(K, 1));
  return out;
}

/** C = op(A)·op(B); rank 2 or 3 (batched; a rank-2 side broadcasts over the batch). */
export const matmulOp: OpDeclaration<(a: Tensor, b: Tensor, opts?: MatmulOptions) => Tensor> = defineOp<
  (a: Tensor, b: Tensor, opts?: MatmulOptions) => Tensor
>({
  name: 'matmul',
  check: (a, b, opts = {}) => void matmulDims(a.shape, b.shape, opts.transA, opts.transB),
  webgpu: (ctx, a, b, opts) => matmulWith(ctx, a, b, opts),
  cpu: (a, b, opts = {}) => {
    const d = matmulDimsOf(a.shape, b.shape, opts.transA, opts.transB);
    return cpuF32(matmulRef(a.data, b.data, { ...d, transA: opts.transA, transB: opts.transB }), d.outShape);
  },
  cases: [
    {
      name: '67×45 · 45×33',
      args: (k, r) => [k.tensor(rand(r, 67 * 45), [67, 45]), k.tensor(rand(r, 45 * 33), [45, 33])],
      tol: { rel: 1e-5, abs: 1e-5 },
      selfcheck: true,
    },
  ],
});
