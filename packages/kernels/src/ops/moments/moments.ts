import type { GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, shapeStr } from '../common.js';
import { momentsFlags, reduceColumns, reduceKernel, rowsKernel, WG } from './moments.wgsl.js';

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
// The kernels and the flag bits are declared in moments.wgsl.ts.

export interface MomentsChunk {
  /** [rows, m] */
  S: GpuTensor;
  /** [rows, c] */
  Y: GpuTensor;
  /** [rows] utility, optional */
  u?: GpuTensor;
  /** [rows] multiplicity, optional */
  w?: GpuTensor;
}

export interface MomentsParams {
  /** W = v⁺ − v⁻, m×(c+1) row-major */
  W: ArrayLike<number>;
  pi: ArrayLike<number>;
  mu: number;
  eta: number;
  /** when set, q_i ≡ fixedQ (raw-data statistics) */
  fixedQ?: number;
  /** store q_i here ([rows]) */
  qOut?: GpuTensor;
}

export function momentsOutputs(m: number, c: number): number {
  return (m + 1) * (c + 1) + 2;
}

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
}

/** Validate a chunk; returns [rows, m, c]. */
export function checkMomentsChunk(ch: ShapedChunk): [number, number, number] {
  const [n, m] = ch.S.shape.length === 2 ? ch.S.shape : [-1, -1];
  if (n < 0) throw new ShapeError(`moments: S must be [rows, m], got ${shapeStr(ch.S.shape)}`);
  if (ch.Y.shape.length !== 2 || ch.Y.shape[0] !== n)
    throw new ShapeError(`moments: Y ${shapeStr(ch.Y.shape)} must be [${n}, c] to match S ${shapeStr(ch.S.shape)}`);
  if (ch.u && ch.u.size !== n) throw new ShapeError(`moments: u ${shapeStr(ch.u.shape)} must have ${n} entries`);
  if (ch.w && ch.w.size !== n) throw new ShapeError(`moments: w ${shapeStr(ch.w.shape)} must have ${n} entries`);
  return [n, m, ch.Y.shape[1]];
}

/** Validate a moments pass (chunk, W, π, qOut) on the host; returns [rows, m, c]. */
export function checkMomentsPass(
  ch: ShapedChunk,
  prm: { W: ArrayLike<number>; pi: ArrayLike<number>; qOut?: Shaped },
): [number, number, number] {
  const [n, m, c] = checkMomentsChunk(ch);
  if (m < 1 || m > 64) throw new ArgumentError(`moments: m must be in [1, 64], got ${m}`);
  if (prm.W.length !== m * (c + 1))
    throw new ShapeError(`moments: W has ${prm.W.length} entries, expected m×(c+1) = ${m * (c + 1)}`);
  if (prm.pi.length !== m) throw new ShapeError(`moments: π has ${prm.pi.length} entries, expected m = ${m}`);
  if (prm.qOut && prm.qOut.size !== n)
    throw new ShapeError(`moments: qOut ${shapeStr(prm.qOut.shape)} must have ${n} entries`);
  return [n, m, c];
}

/**
 * Dispatch the fused moments pass for one chunk; returns the [blocks, R] partial sums tensor
 * (R = momentsOutputs(m, c)) to be read and added on the host in float64.
 */
export function momentsPass(ctx: GpuContext, ch: MomentsChunk, prm: MomentsParams): GpuTensor {
  const [n, m, c] = checkMomentsPass(ch, prm);
  const R = momentsOutputs(m, c);
  const limit = ctx.maxBindingSize - 256;
  for (const [name, t] of Object.entries({ S: ch.S, Y: ch.Y })) {
    if (t.size * 4 > limit)
      throw new ShapeError(
        `moments: chunk ${name} ${shapeStr(t.shape)} exceeds the binding limit (${ctx.maxBindingSize} B); split rows into chunks`,
      );
  }
  if (ceilDiv(n, WG) > MAX_WG)
    throw new ShapeError(`moments: chunk of ${n} rows exceeds one dispatch (${MAX_WG * WG}); split rows into chunks`);
  // block size: keep partials ≤ 2^18 floats and the block count within one dispatch dimension
  let rowsPerBlock = Math.max(256, ceilDiv(n * R, 1 << 18));
  rowsPerBlock = Math.max(rowsPerBlock, ceilDiv(n, MAX_WG));
  const blocks = Math.max(1, ceilDiv(n, rowsPerBlock));
  const part = ctx.empty([blocks, R]);
  if (n === 0) {
    ctx.submit('moments.zero', [], [], (enc) => enc.clearBuffer(part.buffer));
    return part;
  }
  const dual = new Float32Array(m * (c + 1) + m);
  dual.set(Array.from(prm.W), 0);
  dual.set(Array.from(prm.pi), m * (c + 1));
  const dualT = ctx.tensor(dual, [dual.length]);
  const z = ctx.empty([2 * n]);
  const flags = momentsFlags({ u: ch.u, w: ch.w, fixedQ: prm.fixedQ, qOut: prm.qOut });
  const rs = bindRange(ch.S);
  const ry = bindRange(ch.Y);
  const ru = bindRange(ch.u ?? ch.S, 0, ch.u ? n : 1);
  const rw = bindRange(ch.w ?? ch.S, 0, ch.w ? n : 1);
  // Q must never alias Z (both writable): without qOut bind a scratch word
  const scratch = prm.qOut ? null : ctx.empty([1]);
  const rq = bindRange(prm.qOut ?? scratch!, 0, prm.qOut ? n : 1);
  const jw = reduceColumns(c);
  const skip = ctx.variant('moments.reduce', 'plain') === 'skip';
  const temps: GPUBuffer[] = [];
  const ds = [
    rowsKernel.dispatch(ctx, {
      op: 'moments.rows',
      spec: { m },
      params: {
        n,
        m,
        c,
        flags,
        mu: prm.mu,
        eta: prm.eta,
        fixedQ: prm.fixedQ ?? 0,
        sBase: rs.base,
        yBase: ry.base,
        uBase: ru.base,
        wBase: rw.base,
        qBase: rq.base,
      },
      bindings: [
        rs.resource,
        ry.resource,
        ru.resource,
        rw.resource,
        { buffer: dualT.buffer },
        { buffer: z.buffer },
        rq.resource,
      ],
      workgroups: [ceilDiv(n, WG)],
      temps,
    }),
    reduceKernel.dispatch(ctx, {
      op: 'moments.reduce',
      spec: { m, jw, skip },
      params: { n, m, c, flags, rowsPerBlock, R, sBase: rs.base, yBase: ry.base, wBase: rw.base },
      bindings: [rs.resource, ry.resource, rw.resource, { buffer: z.buffer }, { buffer: part.buffer }],
      workgroups: [ceilDiv(c + 2, jw), blocks],
      temps,
    }),
  ];
  ctx.submit('moments', ds, temps);
  dualT.dispose();
  z.dispose();
  scratch?.dispose();
  return part;
}

/** Add [blocks, R] partials in float64 and unpack into (P, g, Σw, Σo). */
export function foldMomentsPartials(part: ArrayLike<number>, m: number, c: number, into?: Float64Array): Float64Array {
  const R = momentsOutputs(m, c);
  const acc = into ?? new Float64Array(R);
  const blocks = part.length / R;
  for (let b = 0; b < blocks; b++) for (let j = 0; j < R; j++) acc[j] += part[b * R + j];
  return acc;
}
