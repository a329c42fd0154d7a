import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError } from '../../runtime/errors.js';
import { ceilDiv } from '../common.js';
import { HESSIAN_GROUPS_MAX, hessianGroupsKernel, hessianKernel } from './hessian.wgsl.js';
import { bindRows, checkChunkBinding, planBlocks, zeroPartials } from './launch.js';
import { checkDualLengths, checkMomentsChunk, chunkDims, type MomentsChunk, type ShapedChunk } from './moments.js';
import { momentsFlags } from './shared.wgsl.js';

// Generalised Hessian of the M4 dual (spec §1.5) for the second-order solver: over the rows whose closed-form
// q is strictly inside (0, 1) ("free" rows),
//     H = Σ_{i: 0 < q̂_i < 1} w_i z_i z_iᵀ,    z_i = [ (s_i − π) ⊗ [1, y_i] ; 1 ]  ∈ ℝ^K,  K = m(c+1) + 1,
// with q̂_i = η + u_i − (s_i − π)ᵀ W [1; y_i] − µ. (In (v⁺, v⁻, µ) coordinates the dual Hessian is −(1/N)·H
// expanded with the signs of a_i = [d_i; −d_i]; the solver works in (W, µ) = (v⁺ − v⁻, µ).)
//
// One dispatch. Each workgroup (256 invocations) owns a block of rows and all T = K(K+1)/2 upper-triangle
// entries: invocation l keeps the entries l, l+256, … (NO = ⌈T/256⌉ registers). Rows are staged in tiles of
// TR rows in workgroup memory as √w_i·z_i (one invocation builds one row's z), then every invocation adds its
// products over the tile. So each row is read from global memory once per pass and z is formed once per row.
// With stride > 1 only rows 0, stride, 2·stride, … are visited (a sub-sampled Hessian for the Newton solver,
// which uses exact gradients and needs the Hessian only for its step direction).
// Block partials ([blocks, T], f32) are added on the host in float64 (foldHessianPartials).
// The kernels are declared in hessian.wgsl.ts (hessianKernel, hessianGroupsKernel).
/** Largest K = m(c+1)+1 the kernel specialises for (NO ≤ 32 accumulators per invocation). */
export const HESSIAN_MAX_K = 127;

/**
 * Number of packed upper-triangle entries for K = m(c+1)+1.
 * @param m - groups.
 * @param c - labels.
 * @returns K(K+1)/2 with K = m(c+1)+1.
 */
export function hessianOutputs(m: number, c: number): number {
  const K = m * (c + 1) + 1;
  return (K * (K + 1)) / 2;
}

/** Row-major packing order of the upper triangle: (0,0), (0,1), …, (0,K−1), (1,1), … */
function pairTable(K: number): Uint32Array {
  const out = new Uint32Array((K * (K + 1)) / 2);
  let o = 0;
  for (let a = 0; a < K; a++) for (let b = a; b < K; b++) out[o++] = a | (b << 16);
  return out;
}

/** What one launch of the Hessian pass takes. */
export interface HessianKernelOptions {
  /** W = v⁺ − v⁻, m×(c+1) row-major */
  W: ArrayLike<number>;
  pi: ArrayLike<number>;
  mu: number;
  eta: number;
  /** use only rows 0, stride, 2·stride, … (a sub-sampled Hessian; default 1 = every row) */
  stride?: number;
}

/** K = m(c+1)+1 ≤ maxK (the WebGPU kernels' HESSIAN_MAX_K; `k.moments.hessian`'s WebGPU side checks it once). */
export function checkHessianK(m: number, c: number, maxK = HESSIAN_MAX_K): void {
  const K = m * (c + 1) + 1;
  if (m < 1 || K > maxK) {
    throw new ArgumentError(
      `moments.hessian: K = m(c+1)+1 = ${K} exceeds ${HESSIAN_MAX_K} (m = ${m}, c = ${c}); use the first-order solver`,
    );
  }
}

/** Validate a Hessian pass (chunk, K ≤ maxK (the WebGPU kernels' HESSIAN_MAX_K), W, π, stride); [rows, m, c, stride]. */
export function checkHessianPass(
  ch: ShapedChunk,
  prm: { W: ArrayLike<number>; pi: ArrayLike<number>; stride?: number },
  maxK = HESSIAN_MAX_K,
): [number, number, number, number] {
  const [nAll, m, c] = checkMomentsChunk(ch);
  checkHessianK(m, c, maxK);
  checkDualLengths('moments.hessian', prm, m, c);
  const stride = prm.stride ?? 1;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new ArgumentError(`moments.hessian: stride must be an integer ≥ 1, got ${stride}`);
  }
  return [nAll, m, c, stride];
}

/**
 * Dispatch the generalised-Hessian pass for one chunk; returns the partial sums tensor in the chunk's layout
 * (hessianLayout): 'tiled' [blocks, T] (T = hessianOutputs(m, c)) to be added with foldHessianPartials, or, for
 * categorical rows, 'groups' [blocks, A] (A = hessianGroupOutputs(m, c)) to be expanded with
 * foldHessianGroupPartials. Uncompacted (f32) chunks, and so the `k.moments.hessian` surface, are always 'tiled'.
 * @param ctx - the WebGPU context that owns the chunk's tensors.
 * @param ch - one chunk of rows (S, Y and optional u, w in their encodings).
 * @param prm - the dual point, π and the row stride.
 * @returns the partial-sums tensor described above (caller reads and folds it, then disposes it).
 * @throws ShapeError / ArgumentError for inconsistent chunks or K > 127.
 */
export function momentsHessianPass(ctx: GpuContext, ch: MomentsChunk, prm: HessianKernelOptions): GpuTensor {
  checkHessianPass(ch, prm);
  return momentsHessianPassUnchecked(ctx, ch, prm);
}

/** `momentsHessianPass` without `checkHessianPass`: `k.moments.hessian`'s WebGPU body (the door checked). */
export function momentsHessianPassUnchecked(ctx: GpuContext, ch: MomentsChunk, prm: HessianKernelOptions): GpuTensor {
  const [nAll, m, c] = chunkDims(ch);
  const stride = prm.stride ?? 1;
  const groups = hessianLayoutOf(ctx, ch, m, c) === 'groups';
  checkChunkBinding(ctx, ch, 'moments.hessian');
  const width = groups ? hessianGroupOutputs(m, c) : hessianOutputs(m, c);
  const n = ceilDiv(nAll, stride); // rows visited
  const [rowsPerBlock, blocks] = planBlocks(n, width, 1024, groups);
  const part = ctx.empty([blocks, width]);
  if (n === 0) return zeroPartials(ctx, part, 'moments.hessian.zero');
  const rows = bindRows(ctx, ch, nAll, prm, m, c);
  const common = { n, flags: momentsFlags({ u: ch.u, w: ch.w }), rowsPerBlock, stride, ...rows.params };
  const temps: GPUBuffer[] = [];
  let d: DispatchSpec;
  let pairs: GpuTensor | undefined;
  if (groups) {
    d = hessianGroupsKernel.dispatch(ctx, {
      op: 'moments.hessian.groups',
      spec: { m, c, s: ch.sEnc ?? 'u8', y: ch.yEnc ?? 'f32' },
      params: common,
      bindings: { ...rows.bindings, Part: { buffer: part.buffer } },
      workgroups: [blocks],
      temps,
    });
  } else {
    pairs = ctx.tensor(pairTable(m * (c + 1) + 1), [width], 'u32');
    d = hessianKernel.dispatch(ctx, {
      op: 'moments.hessian',
      spec: { m, c, s: ch.sEnc ?? 'f32', y: ch.yEnc ?? 'f32' },
      params: { ...common, T: width },
      bindings: { ...rows.bindings, Pairs: { buffer: pairs.buffer }, Part: { buffer: part.buffer } },
      workgroups: [blocks],
      temps,
    });
  }
  ctx.submit('moments.hessian', [d], temps);
  rows.dispose();
  pairs?.dispose();
  return part;
}

/** Pack a full symmetric K×K matrix into the kernel's upper-triangle order ([T], the layout of one block). */
export function packHessian(H: ArrayLike<number>, K: number): Float64Array {
  const out = new Float64Array((K * (K + 1)) / 2);
  let o = 0;
  for (let a = 0; a < K; a++) for (let b = a; b < K; b++) out[o++] = H[a * K + b];
  return out;
}

/**
 * Add [blocks, T] packed partials in float64 into a full symmetric K×K matrix (row-major).
 * @param part - [blocks, T] packed upper triangles read back from `momentsHessianPass` ('tiled').
 * @param m - groups.
 * @param c - labels.
 * @param into - a K×K array to add into (default: a new zeroed one).
 * @returns the K×K symmetric matrix (`into` when given).
 */
export function foldHessianPartials(part: ArrayLike<number>, m: number, c: number, into?: Float64Array): Float64Array {
  const K = m * (c + 1) + 1;
  const T = (K * (K + 1)) / 2;
  const H = into ?? new Float64Array(K * K);
  const blocks = part.length / T;
  const tri = new Float64Array(T);
  for (let bl = 0; bl < blocks; bl++) for (let o = 0; o < T; o++) tri[o] += part[bl * T + o];
  let o = 0;
  for (let a = 0; a < K; a++) {
    for (let b = a; b < K; b++, o++) {
      H[a * K + b] += tri[o];
      if (b !== a) H[b * K + a] += tri[o];
    }
  }
  return H;
}

// ---- categorical rows: per-group label second moments (variant 'moments.hessian' = 'groups') -------------------

/**
 * Numbers the groups kernel sums for (m, c): m upper triangles of (c+1)×(c+1).
 * @param m - groups.
 * @param c - labels.
 * @returns m(c+1)(c+2)/2.
 */
export function hessianGroupOutputs(m: number, c: number): number {
  return (m * (c + 1) * (c + 2)) / 2;
}

/**
 * The Hessian layout a chunk gets: 'groups' (categorical S, hessianGroupOutputs ≤ HESSIAN_GROUPS_MAX, unless the
 * context forces variant 'moments.hessian' = 'tiled') or 'tiled'. Read the partials of momentsHessianPass with
 * foldHessianGroupPartials for 'groups', foldHessianPartials for 'tiled'.
 * @param ctx - the WebGPU context (its forced `moments.hessian` variant counts).
 * @param ch - the chunk (its encoding and shapes decide).
 * @returns 'groups' or 'tiled'.
 * @throws ArgumentError when 'groups' is forced for a chunk it cannot serve.
 */
export function hessianLayout(ctx: GpuContext, ch: ShapedChunk): 'groups' | 'tiled' {
  const [, m, c] = checkMomentsChunk(ch);
  return hessianLayoutOf(ctx, ch, m, c);
}

/** `hessianLayout` of a checked chunk of (m, c) (the unchecked bodies). */
export function hessianLayoutOf(ctx: GpuContext, ch: ShapedChunk, m: number, c: number): 'groups' | 'tiled' {
  const fits = (ch.sEnc ?? 'f32') !== 'f32' && hessianGroupOutputs(m, c) <= HESSIAN_GROUPS_MAX;
  const v = ctx.variant('moments.hessian', fits ? 'groups' : 'tiled');
  if (v === 'groups' && !fits) {
    const why =
      (ch.sEnc ?? 'f32') === 'f32' ? 'needs group indices (S u8/u16)' : `needs m(c+1)(c+2)/2 ≤ ${HESSIAN_GROUPS_MAX}`;
    throw new ArgumentError(`moments.hessian: the groups variant ${why} (m = ${m}, c = ${c})`);
  }
  return v;
}

/**
 * Add [blocks, A] per-group partials (the 'groups' layout) in float64 and expand them into the full symmetric
 * K×K Hessian (row-major, added into `into`):  H[(k,r),(k',r')] = Σ_g (δ_gk − π_k)(δ_gk' − π_k') M_g[r][r'],
 * H[(k,r), K−1] = Σ_g (δ_gk − π_k) M_g[r][0],  H[K−1][K−1] = Σ_g M_g[0][0]   (ỹ_0 = 1 is the µ coordinate).
 * @param part - [blocks, A] per-group partials read back from `momentsHessianPass` ('groups').
 * @param m - groups.
 * @param c - labels.
 * @param pi - the m target shares π.
 * @param into - a K×K array to add into (default: a new zeroed one).
 * @returns the K×K matrix (`into` when given).
 */
export function foldHessianGroupPartials(
  part: ArrayLike<number>,
  m: number,
  c: number,
  pi: ArrayLike<number>,
  into?: Float64Array,
): Float64Array {
  const c1 = c + 1;
  const K = m * c1 + 1;
  const A = hessianGroupOutputs(m, c);
  const H = into ?? new Float64Array(K * K);
  const sums = new Float64Array(A);
  const blocks = part.length / A;
  for (let b = 0; b < blocks; b++) for (let j = 0; j < A; j++) sums[j] += part[b * A + j];
  // full symmetric M_g, c1×c1 per group
  const M = new Float64Array(m * c1 * c1);
  let o = 0;
  for (let g = 0; g < m; g++) {
    for (let r = 0; r < c1; r++) {
      for (let r2 = r; r2 < c1; r2++, o++) {
        M[(g * c1 + r) * c1 + r2] = sums[o];
        M[(g * c1 + r2) * c1 + r] = sums[o];
      }
    }
  }
  const a = (g: number, k: number) => (g === k ? 1 : 0) - pi[k];
  for (let g = 0; g < m; g++) {
    const Mg = g * c1 * c1;
    H[K * K - 1] += M[Mg];
    for (let k = 0; k < m; k++) {
      const ak = a(g, k);
      if (ak === 0) continue;
      for (let r = 0; r < c1; r++) {
        const row = k * c1 + r;
        const v = ak * M[Mg + r * c1];
        H[row * K + K - 1] += v;
        H[(K - 1) * K + row] += v;
        for (let k2 = 0; k2 < m; k2++) {
          const akk = ak * a(g, k2);
          if (akk === 0) continue;
          for (let r2 = 0; r2 < c1; r2++) H[row * K + k2 * c1 + r2] += akk * M[Mg + r * c1 + r2];
        }
      }
    }
  }
  return H;
}
