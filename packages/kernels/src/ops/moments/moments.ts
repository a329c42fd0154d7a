import type { GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, shapeStr } from '../common.js';
import { groupWords, labelWords, type SEncoding, type YEncoding } from './encode.js';
import { bindRows, checkChunkBinding, planBlocks, zeroPartials } from './launch.js';
import {
  FUSED_MAX_R,
  fusedKernel,
  momentsOutputs,
  reduceColumns,
  reduceKernel,
  rowsKernel,
  WG,
} from './moments.wgsl.js';
import { momentsFlags } from './shared.wgsl.js';

// M4 moment statistics in two dispatches over a chunk of rows (spec §1.5), never materialising the bias
// vectors a_i:
//  1. per row: t_i = (s_i − π)ᵀ W [1; y_i];  q_i = clip(η + u_i − t_i − µ, 0, 1) (or a fixed q);
//     z_i = w_i q_i;  o_i = w_i (½ (q_i − q0_i)² + q_i (t_i + µ));  optionally q_i is stored.
//  2. per (row block, output j): Kahan-compensated partial sums of
//       j <  m(c+1)            P[k][r] = Σ z_i s_ik [1, y_i]_r
//       j <  (m+1)(c+1)        g[r]    = Σ z_i [1, y_i]_r        (g[0] = Σ w q, g[1..] = Σ w q y)
//       j == (m+1)(c+1)        Σ w_i
//       j == (m+1)(c+1) + 1    Σ o_i
//     The host adds the block partials in float64 and forms D = P − π gᵀ.
// The kernels are declared in moments.wgsl.ts, the flag bits in shared.wgsl.ts. Two variants ('moments.pass'): 'fused' (one
// dispatch, default when R = (m+1)(c+1)+2 ≤ FUSED_MAX_R) and 'split' (the rows + reduce dispatches above, any R,
// f32 rows only). Compact row encodings (encode.ts: u8/u16 group indices, bit-packed labels) run on 'fused'.

/** Rows per workgroup of the fused pass at least (16 per invocation): fewer, larger blocks on small inputs. */
export const FUSED_ROWS_PER_BLOCK = 1024;

/** A chunk of balance rows (`T`: GpuTensor for the launchers, `Tensor` on the `Kernels` surface). */
export interface MomentsChunk<T = GpuTensor> {
  /** [rows, m] f32; with sEnc 'u8' / 'u16': u32 words of packed group indices (groupWords(rows, 8|16)) */
  S: T;
  /** [rows, c] f32; with yEnc 'bits': [rows, labelWords(c)] u32 words of bit-packed 0/1 labels */
  Y: T;
  /** [rows] utility, optional */
  u?: T;
  /** [rows] multiplicity, optional */
  w?: T;
  /** S encoding (default 'f32'); 'u8' / 'u16' need `m` */
  sEnc?: SEncoding;
  /** Y encoding (default 'f32'); 'bits' needs `c` */
  yEnc?: YEncoding;
  /** groups (categorical S) */
  m?: number;
  /** labels (bit-packed Y) */
  c?: number;
}

/** What one launch of the moments pass takes (the dual point, optional fixed q and q output). */
export interface MomentsKernelOptions<T = GpuTensor> {
  /** W = v⁺ − v⁻, m×(c+1) row-major */
  W: ArrayLike<number>;
  pi: ArrayLike<number>;
  mu: number;
  eta: number;
  /** when set, q_i ≡ fixedQ (raw-data statistics) */
  fixedQ?: number;
  /** store q_i here ([rows]) */
  qOut?: T;
}

export { momentsOutputs };

/** What the host checks read of a tensor (a GpuTensor or a CPU backend tensor). */
export interface Shaped {
  readonly shape: readonly number[];
  readonly size: number;
}
/** A chunk as the host checks see it. */
export interface ShapedChunk {
  S: Shaped;
  Y: Shaped;
  u?: Shaped;
  w?: Shaped;
  sEnc?: SEncoding;
  yEnc?: YEncoding;
  m?: number;
  c?: number;
}

/**
 * Validate a chunk; returns [rows, m, c].
 * @param ch - a chunk's tensors (shapes and encodings only are read).
 * @returns [rows, m, c].
 * @throws ShapeError naming the tensor whose shape disagrees.
 */
export function checkMomentsChunk(ch: ShapedChunk): [number, number, number] {
  if ((ch.sEnc ?? 'f32') !== 'f32' || (ch.yEnc ?? 'f32') !== 'f32') return checkCompactChunk(ch);
  const [n, m] = ch.S.shape.length === 2 ? ch.S.shape : [-1, -1];
  if (n < 0) throw new ShapeError(`moments: S must be [rows, m], got ${shapeStr(ch.S.shape)}`);
  if (ch.Y.shape.length !== 2 || ch.Y.shape[0] !== n)
    throw new ShapeError(`moments: Y ${shapeStr(ch.Y.shape)} must be [${n}, c] to match S ${shapeStr(ch.S.shape)}`);
  if (ch.u && ch.u.size !== n) throw new ShapeError(`moments: u ${shapeStr(ch.u.shape)} must have ${n} entries`);
  if (ch.w && ch.w.size !== n) throw new ShapeError(`moments: w ${shapeStr(ch.w.shape)} must have ${n} entries`);
  return [n, m, ch.Y.shape[1]];
}

/** [rows, m, c] of a chunk that passed `checkMomentsChunk`, recomputed unchecked by the launchers' bodies. */
export function chunkDims(ch: ShapedChunk): [number, number, number] {
  const m = (ch.sEnc ?? 'f32') === 'f32' ? ch.S.shape[1] : ch.m!;
  return [ch.Y.shape[0], m, (ch.yEnc ?? 'f32') === 'bits' ? ch.c! : ch.Y.shape[1]];
}

/** The dual point's W and π lengths against a chunk's (m, c): the one check of the moments and Hessian passes. */
export function checkDualLengths(
  op: string,
  prm: { W: ArrayLike<number>; pi: ArrayLike<number> },
  m: number,
  c: number,
) {
  if (prm.W.length !== m * (c + 1))
    throw new ShapeError(`${op}: W has ${prm.W.length} entries, expected m×(c+1) = ${m * (c + 1)}`);
  if (prm.pi.length !== m) throw new ShapeError(`${op}: π has ${prm.pi.length} entries, expected m = ${m}`);
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

function checkCompactChunk(ch: ShapedChunk): [number, number, number] {
  const sEnc = ch.sEnc ?? 'f32';
  const yEnc = ch.yEnc ?? 'f32';
  if (!['f32', 'u8', 'u16'].includes(sEnc)) throw new ArgumentError(`moments: unknown S encoding '${sEnc}'`);
  if (!['f32', 'bits'].includes(yEnc)) throw new ArgumentError(`moments: unknown Y encoding '${yEnc}'`);
  let n: number;
  let c: number;
  if (yEnc === 'bits') {
    if (!isCount(ch.c)) throw new ArgumentError(`moments: bit-packed Y needs the label count c, got ${ch.c}`);
    c = ch.c;
    if (ch.Y.shape.length !== 2 || ch.Y.shape[1] !== labelWords(c))
      throw new ShapeError(
        `moments: bit-packed Y ${shapeStr(ch.Y.shape)} must be [rows, ${labelWords(c)}] for c = ${c}`,
      );
    n = ch.Y.shape[0];
  } else {
    if (ch.Y.shape.length !== 2) throw new ShapeError(`moments: Y must be [rows, c], got ${shapeStr(ch.Y.shape)}`);
    [n, c] = ch.Y.shape;
  }
  let m: number;
  if (sEnc === 'f32') {
    if (ch.S.shape.length !== 2 || ch.S.shape[0] !== n)
      throw new ShapeError(`moments: S ${shapeStr(ch.S.shape)} must be [${n}, m] to match Y ${shapeStr(ch.Y.shape)}`);
    m = ch.S.shape[1];
  } else {
    if (!isCount(ch.m) || ch.m < 1) throw new ArgumentError(`moments: packed group indices need m ≥ 1, got ${ch.m}`);
    m = ch.m;
    const words = groupWords(n, sEnc === 'u8' ? 8 : 16);
    if (ch.S.size < words)
      throw new ShapeError(`moments: packed S ${shapeStr(ch.S.shape)} holds fewer than ${n} ${sEnc} group indices`);
  }
  if (ch.u && ch.u.size !== n) throw new ShapeError(`moments: u ${shapeStr(ch.u.shape)} must have ${n} entries`);
  if (ch.w && ch.w.size !== n) throw new ShapeError(`moments: w ${shapeStr(ch.w.shape)} must have ${n} entries`);
  return [n, m, c];
}

/** Validate a moments pass (chunk, W, π, qOut) on the host; returns [rows, m, c]. */
export function checkMomentsPass(
  ch: ShapedChunk,
  prm: { W: ArrayLike<number>; pi: ArrayLike<number>; qOut?: Shaped },
): [number, number, number] {
  const [n, m, c] = checkMomentsChunk(ch);
  if (m < 1 || m > 64) throw new ArgumentError(`moments: m must be in [1, 64], got ${m}`);
  checkDualLengths('moments', prm, m, c);
  if (prm.qOut && prm.qOut.size !== n)
    throw new ShapeError(`moments: qOut ${shapeStr(prm.qOut.shape)} must have ${n} entries`);
  return [n, m, c];
}

/**
 * Dispatch the fused moments pass for one chunk; returns the [blocks, R] partial sums tensor
 * (R = momentsOutputs(m, c)) to be read and added on the host in float64.
 * @param ctx - the WebGPU context that owns the chunk's tensors.
 * @param ch - one chunk of rows (S, Y and optional u, w, q in their encodings).
 * @param prm - the dual point (v, µ), π, flags (store q, fixed q).
 * @returns the [blocks, R] partials tensor (caller reads, folds with `foldMomentsPartials`, disposes).
 * @throws ShapeError / ArgumentError for inconsistent chunks or parameters.
 */
export function momentsPass(ctx: GpuContext, ch: MomentsChunk, prm: MomentsKernelOptions): GpuTensor {
  checkMomentsPass(ch, prm);
  return momentsPassUnchecked(ctx, ch, prm);
}

/** `momentsPass` without `checkMomentsPass`: the `k.moments` declarations' WebGPU body (the door checked). */
export function momentsPassUnchecked(ctx: GpuContext, ch: MomentsChunk, prm: MomentsKernelOptions): GpuTensor {
  const [n, m, c] = chunkDims(ch);
  const R = momentsOutputs(m, c);
  const sEnc = ch.sEnc ?? 'f32';
  const yEnc = ch.yEnc ?? 'f32';
  const compact = sEnc !== 'f32' || yEnc !== 'f32';
  const variant = ctx.variant('moments.pass', R <= FUSED_MAX_R ? 'fused' : 'split');
  if (variant === 'fused' && R > FUSED_MAX_R)
    throw new ArgumentError(
      `moments: the fused pass needs (m+1)(c+1)+2 ≤ ${FUSED_MAX_R}, got ${R} (m = ${m}, c = ${c})`,
    );
  if (variant === 'split' && compact)
    throw new ArgumentError(
      `moments: compact rows (S ${sEnc}, Y ${yEnc}) need the fused pass ('split' reads f32 rows)`,
    );
  checkChunkBinding(ctx, ch, 'moments');
  if (variant === 'split' && ceilDiv(n, WG) > MAX_WG)
    throw new ShapeError(`moments: chunk of ${n} rows exceeds one dispatch (${MAX_WG * WG}); split rows into chunks`);
  const [rowsPerBlock, blocks] =
    variant === 'fused' ? planBlocks(n, R, FUSED_ROWS_PER_BLOCK, true) : planBlocks(n, R, 256, false);
  const part = ctx.empty([blocks, R]);
  if (n === 0) return zeroPartials(ctx, part, 'moments.zero');
  const rows = bindRows(ctx, ch, n, prm, m, c);
  const flags = momentsFlags({ u: ch.u, w: ch.w, fixedQ: prm.fixedQ, qOut: prm.qOut });
  // Q must never alias Z / Part (both writable): without qOut bind a scratch word
  const scratch = prm.qOut ? null : ctx.empty([1]);
  const rq = bindRange(prm.qOut ?? scratch!, 0, prm.qOut ? n : 1);
  const temps: GPUBuffer[] = [];
  if (variant === 'fused') {
    const d = fusedKernel.dispatch(ctx, {
      op: 'moments.fused',
      spec: { m, c, s: sEnc, y: yEnc },
      params: { ...rows.params, n, flags, rowsPerBlock, fixedQ: prm.fixedQ ?? 0, qBase: rq.base },
      bindings: { ...rows.bindings, Part: { buffer: part.buffer }, Q: rq.resource },
      workgroups: [blocks],
      temps,
    });
    ctx.submit('moments', [d], temps);
    rows.dispose();
    scratch?.dispose();
    return part;
  }
  const z = ctx.empty([2 * n]);
  const jw = reduceColumns(c);
  const skip = ctx.variant('moments.reduce', 'plain') === 'skip';
  const ds = [
    rowsKernel.dispatch(ctx, {
      op: 'moments.rows',
      spec: { m },
      params: { ...rows.params, n, m, c, flags, fixedQ: prm.fixedQ ?? 0, qBase: rq.base },
      bindings: { ...rows.bindings, Z: { buffer: z.buffer }, Q: rq.resource },
      workgroups: [ceilDiv(n, WG)],
      temps,
    }),
    reduceKernel.dispatch(ctx, {
      op: 'moments.reduce',
      spec: { m, jw, skip },
      params: {
        n,
        m,
        c,
        flags,
        rowsPerBlock,
        R,
        sBase: rows.params.sBase,
        yBase: rows.params.yBase,
        wBase: rows.params.wBase,
      },
      bindings: {
        S: rows.bindings.S,
        Y: rows.bindings.Y,
        Wt: rows.bindings.Wt,
        Z: { buffer: z.buffer },
        Part: { buffer: part.buffer },
      },
      workgroups: [ceilDiv(c + 2, jw), blocks],
      temps,
    }),
  ];
  ctx.submit('moments', ds, temps);
  rows.dispose();
  z.dispose();
  scratch?.dispose();
  return part;
}

/**
 * Add [blocks, R] partials in float64 and unpack into (P, g, Σw, Σo).
 * @param part - [blocks, R] partials read back from `momentsPass`.
 * @param m - groups.
 * @param c - labels.
 * @param into - an R-array to add into (default: a new zeroed one).
 * @returns the R sums (`into` when given).
 */
export function foldMomentsPartials(part: ArrayLike<number>, m: number, c: number, into?: Float64Array): Float64Array {
  const R = momentsOutputs(m, c);
  const acc = into ?? new Float64Array(R);
  const blocks = part.length / R;
  for (let b = 0; b < blocks; b++) for (let j = 0; j < R; j++) acc[j] += part[b * R + j];
  return acc;
}
