import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, M4kitError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';
import { matmul } from '../matmul/matmul.js';
import { l2normalize, l2normalizeBackward } from '../normalize/normalize.js';
import {
  ACC_WG,
  accumulateSource,
  clipColFinalSource,
  clipColStatsSource,
  clipGradSource,
  clipRowStatsSource,
  finalizeSource,
  prepSource,
  rowCheckSource,
  siglipGradSource,
  STATUS,
  TR,
  transposeSource,
  WG,
} from './losses.wgsl.js';
import { CLIP_MAX_LOG_SCALE, NORM_EPS } from './reference.js';

/**
 * CLIP and SigLIP losses with gradients (spec §3), on raw embeddings U, W: [N, d].
 *
 * Plan: X = l2normalize(U), Y = l2normalize(W); the N×N logits are formed in row blocks S_b = X_b·Yᵀ
 * ([B, N], matmul) and reduced by the kernels in losses.wgsl.ts:
 *  - CLIP sweep 1 per block: row max / logsumexp (complete rows) and an online column (max, Σexp) merge;
 *    then c_j per column; sweep 2 per block: ∂L/∂S_b in place, ∂L/∂X_b = G_b·Y, ∂L/∂Y += G_bᵀ·X_b.
 *  - SigLIP needs no global statistics: one sweep (loss, ∂L/∂S_b, both products).
 * `materialized` is the one-block plan (B = N, S kept between the sweeps, no recompute); `tiled` uses
 * blocks of `blockRows` rows so at most B·N logits exist at once (recomputed in sweep 2 for CLIP).
 * Shapes travel in uniforms: one pipeline per kernel, whatever N, d, B.
 */

export type LossVariant = 'tiled' | 'materialized';
export const LOSS_VARIANTS: LossVariant[] = ['tiled', 'materialized'];

export interface LossOptions {
  /** default: `materialized` when the N×N logits take ≤ 16 MiB (and fit one binding), else `tiled` */
  variant?: LossVariant;
  /** per-example weights ω (length N, ≥ 0, Σω > 0); see reference.ts for the weighted definitions */
  weights?: GpuTensor | ArrayLike<number>;
  /** τ = exp(min(t, maxLogScale)); default ln 100 (CLIP), unclamped (SigLIP) */
  maxLogScale?: number;
  /** rows per logit block in the tiled plan (default: as many as fit in `tileBytes`) */
  blockRows?: number;
  /** bytes of one logit block in the tiled plan (default 32 MiB, at most the binding limit) */
  tileBytes?: number;
  /**
   * How the three N×N×d products run: `transposed` (default when Yᵀ fits one binding) forms Yᵀ once and each
   * block's Gᵀ with a transpose kernel so every matmul is untransposed (the fastest matmul variants need that);
   * `direct` passes transB / transA to matmul instead (no extra memory).
   */
  layout?: 'transposed' | 'direct';
  /**
   * Read the status word back and throw a typed error for zero-norm / non-finite rows, bad weights,
   * bad t/b or non-finite results (default true). With `false` nothing is read; call `lossStatusError`
   * on `status.read()` yourself. Outputs never hold NaN from a zero row (it is normalised to 0 and flagged).
   */
  check?: boolean;
}

export interface ClipLossResult {
  /** [1] */
  loss: GpuTensor;
  /** [N, d] */
  dU: GpuTensor;
  dW: GpuTensor;
  /** [1] ∂L/∂t */
  dt: GpuTensor;
  /** [4] u32 status word (see losses.wgsl.ts) */
  status: GpuTensor;
  variant: LossVariant;
  blockRows: number;
  /** peak bytes of the buffers this call allocated (outputs included, caller's inputs excluded) */
  peakBytes: number;
}

export interface SiglipLossResult extends ClipLossResult {
  /** [1] ∂L/∂b */
  db: GpuTensor;
}

const MATERIALIZE_MAX_BYTES = 16 * 1024 * 1024;
const DEFAULT_TILE_BYTES = 32 * 1024 * 1024;
const AUX_VECTORS = 12;

/** Translate a status word into the typed error it stands for (null when clean). */
export function lossStatusError(op: string, st: ArrayLike<number>): M4kitError | null {
  const f = st[0];
  if (!f) return null;
  const row = (slot: number) => (st[slot] !== 0xffffffff ? ` (first at row ${st[slot]})` : '');
  if (f & STATUS.ROW) {
    const which = st[1] !== 0xffffffff ? `U${row(1)}` : `W${row(2)}`;
    return new ArgumentError(`${op}: ${which} has a zero (≤ ${NORM_EPS}) or non-finite L2 norm; every embedding row must be non-zero and finite`);
  }
  if (f & STATUS.WEIGHTS) return new ArgumentError(`${op}: weights must be finite and ≥ 0 with Σω > 0`);
  if (f & STATUS.SCALARS) return new ArgumentError(`${op}: the log-scale t (and bias b) must be finite, with exp(t) finite`);
  if (f & (STATUS.NONFINITE | STATUS.GRAD)) return new ArgumentError(`${op}: the loss or its gradients are not finite (inputs out of range)`);
  return new ArgumentError(`${op}: status flags 0x${f.toString(16)}`);
}

/** Allocation tracker: bytes of live buffers this launcher created, and their peak. */
class Mem {
  cur = 0;
  peak = 0;
  private live = new Set<GpuTensor>();
  add<T extends GpuTensor>(t: T): T {
    this.live.add(t);
    this.cur += t.buffer.size;
    this.peak = Math.max(this.peak, this.cur);
    return t;
  }
  free(t: GpuTensor | null | undefined): void {
    if (!t || !this.live.has(t)) return;
    this.live.delete(t);
    this.cur -= t.buffer.size;
    t.dispose();
  }
  freeAll(keep: GpuTensor[] = []): void {
    for (const t of [...this.live]) if (!keep.includes(t)) this.free(t);
  }
}

type Scalar = number | GpuTensor;

interface Plan {
  variant: LossVariant;
  B: number;
}

function plan(ctx: GpuContext, op: string, N: number, opts: LossOptions): Plan {
  const limit = ctx.maxBindingSize - 256;
  const full = N * N * 4;
  const variant = opts.variant ?? (full <= Math.min(MATERIALIZE_MAX_BYTES, limit) ? 'materialized' : 'tiled');
  if (!['tiled', 'materialized'].includes(variant)) throw new ArgumentError(`${op}: unknown variant "${variant}"`);
  if (N > MAX_WG * WG) throw new ShapeError(`${op}: N = ${N} exceeds ${MAX_WG * WG}`);
  if (variant === 'materialized') {
    if (full > limit) throw new ShapeError(`${op}: the materialized variant needs the ${N}×${N} logits (${full} B) in one binding (limit ${ctx.maxBindingSize} B); use variant 'tiled'`);
    if (N > MAX_WG) throw new ShapeError(`${op}: the materialized variant handles N ≤ ${MAX_WG}; use variant 'tiled'`);
    return { variant, B: N };
  }
  let B: number;
  if (opts.blockRows !== undefined) {
    if (!(Number.isInteger(opts.blockRows) && opts.blockRows >= 1)) throw new ArgumentError(`${op}: blockRows = ${opts.blockRows} must be an integer ≥ 1`);
    B = opts.blockRows;
  } else {
    const tile = Math.min(opts.tileBytes ?? DEFAULT_TILE_BYTES, limit);
    B = Math.max(1, Math.floor(tile / (N * 4)));
  }
  B = Math.min(B, N, MAX_WG);
  if (B * N * 4 > limit) throw new ShapeError(`${op}: a block of ${B}×${N} logits exceeds the binding limit (${ctx.maxBindingSize} B)`);
  if (AUX_VECTORS * N * 4 > limit) throw new ShapeError(`${op}: N = ${N} too large for the per-row statistics binding`);
  return { variant, B };
}

function checkInputs(op: string, U: GpuTensor, W: GpuTensor): [number, number] {
  if (U.shape.length !== 2 || W.shape.length !== 2 || U.shape[0] !== W.shape[0] || U.shape[1] !== W.shape[1]) {
    throw new ShapeError(`${op}: U ${shapeStr(U.shape)} and W ${shapeStr(W.shape)} must both be [N, d]`);
  }
  if (U.ctx !== W.ctx) throw new ArgumentError(`${op}: U and W belong to different contexts`);
  const [N, d] = U.shape;
  if (N < 1 || d < 1) throw new ShapeError(`${op}: need N ≥ 1 and d ≥ 1, got ${shapeStr(U.shape)}`);
  if (U.dtype !== 'f32' || W.dtype !== 'f32') throw new ArgumentError(`${op}: U and W must be f32`);
  return [N, d];
}

function checkScalar(op: string, name: string, x: Scalar): void {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new ArgumentError(`${op}: ${name} = ${x} must be finite`);
  } else if (x.size !== 1 || x.dtype !== 'f32') {
    throw new ShapeError(`${op}: ${name} must be a number or an f32 tensor of one element, got ${shapeStr(x.shape)}`);
  }
}

async function contrastive(kind: 'clip' | 'siglip', ctx: GpuContext, U: GpuTensor, W: GpuTensor, t: Scalar, b: Scalar, opts: LossOptions): Promise<SiglipLossResult> {
  const op = kind === 'clip' ? 'clipLoss' : 'siglipLoss';
  const [N, d] = checkInputs(op, U, W);
  checkScalar(op, kind === 'clip' ? 't' : "t'", t);
  checkScalar(op, 'b', b);
  const maxLog = opts.maxLogScale ?? (kind === 'clip' ? CLIP_MAX_LOG_SCALE : Infinity);
  if (Number.isNaN(maxLog)) throw new ArgumentError(`${op}: maxLogScale must be a number`);
  if (typeof t === 'number' && !(Math.exp(Math.min(t, maxLog)) < 3.4e38)) throw new ArgumentError(`${op}: exp(t) overflows for t = ${t}`);
  const { variant, B } = plan(ctx, op, N, opts);
  const mem = new Mem();
  const temps: GPUBuffer[] = [];
  const U32 = (fields: number[]) => {
    const u = ctx.uniform(uniforms(fields.map((x) => ({ u: x }))));
    temps.push(u);
    return u;
  };
  const launch = (name: string, key: string, src: string, fieldsOrBuf: GPUBuffer, bindings: GPUBindingResource[], workgroups: [number, number?, number?]) => {
    const pipeline = ctx.pipeline(key, () => src);
    const ds: DispatchSpec = { op: `${op}.${name}`, pipeline, bindings: [{ buffer: fieldsOrBuf }, ...bindings], workgroups };
    ctx.submit(`${op}.${name}`, [ds], temps.splice(0));
  };
  const whole = (x: GpuTensor) => bindRange(x).resource;

  // ---- weights and scalars
  let wT: GpuTensor | null = null;
  let hasW = 0;
  if (opts.weights !== undefined) {
    hasW = 1;
    if ('kind' in (opts.weights as GpuTensor) && (opts.weights as GpuTensor).kind === 'gpu') {
      wT = opts.weights as GpuTensor;
      if (wT.size !== N) throw new ShapeError(`${op}: weights ${shapeStr(wT.shape)} must have N = ${N} entries`);
    } else {
      const w = opts.weights as ArrayLike<number>;
      if (w.length !== N) throw new ShapeError(`${op}: weights has ${w.length} entries, expected N = ${N}`);
      let s = 0;
      for (let i = 0; i < N; i++) {
        if (!(w[i] >= 0) || !Number.isFinite(w[i])) throw new ArgumentError(`${op}: weights[${i}] = ${w[i]} must be finite and ≥ 0`);
        s += w[i];
      }
      if (!(s > 0)) throw new ArgumentError(`${op}: weights sum to ${s}; Σω must be > 0`);
      wT = mem.add(ctx.tensor(Float32Array.from(w), [N]));
    }
  }
  const wBind = wT ? bindRange(wT) : null;
  const scalIn = mem.add(ctx.tensor([typeof t === 'number' ? t : 0, typeof b === 'number' ? b : 0, 0, 0], [4]));
  if (typeof t !== 'number' || typeof b !== 'number') {
    ctx.submit(`${op}.scalars`, [], [], (enc) => {
      if (typeof t !== 'number') enc.copyBufferToBuffer(t.buffer, 0, scalIn.buffer, 0, 4);
      if (typeof b !== 'number') enc.copyBufferToBuffer(b.buffer, 0, scalIn.buffer, 4, 4);
    });
  }
  const status = mem.add(ctx.tensor(new Uint32Array([0, 0xffffffff, 0xffffffff, 0]), [4], 'u32'));
  const sc = mem.add(ctx.zeros([8]));
  const aux = mem.add(ctx.zeros([AUX_VECTORS * N]));
  const wRes = wBind ? wBind.resource : whole(scalIn);
  const wBase = wBind ? wBind.base : 0;
  const maxLogF = Math.min(maxLog, 3e38);
  {
    const u = ctx.uniform(uniforms([{ u: N }, { u: hasW }, { f: maxLogF }, { u: wBase }]));
    temps.push(u);
    launch('prep', 'losses:prep', prepSource, u, [whole(scalIn), wRes, whole(sc), whole(status)], [1]);
  }

  // ---- normalise and check rows
  const X = mem.add(l2normalize(ctx, U, NORM_EPS));
  const Y = mem.add(l2normalize(ctx, W, NORM_EPS));
  const rowCheck = (x: GpuTensor, mode: number, bit: number, slot: number) => {
    for (const [r0, rc] of planRows(ctx, op, N, [d], MAX_WG * WG)) {
      const rx = bindRange(x, r0 * d, rc * d);
      const u = U32([rc, d, rx.base, mode, bit, slot, r0, 0]);
      launch('rowcheck', 'losses:rowcheck', rowCheckSource, u, [rx.resource, whole(status)], [ceilDiv(rc, WG)]);
    }
  };
  rowCheck(X, 0, STATUS.ROW, 1);
  rowCheck(Y, 0, STATUS.ROW, 2);

  // ---- blocks
  const blocks: [number, number][] = [];
  for (let i0 = 0; i0 < N; i0 += B) blocks.push([i0, Math.min(B, N - i0)]);
  const single = blocks.length === 1;
  const rowsOf = (i0: number, rb: number): GpuTensor => {
    if (single) return X;
    const xb = mem.add(ctx.empty([rb, d]));
    ctx.submit(`${op}.rows`, [], [], (enc) => enc.copyBufferToBuffer(X.buffer, i0 * d * 4, xb.buffer, 0, rb * d * 4));
    return xb;
  };
  const layout = opts.layout ?? (N * d * 4 <= ctx.maxBindingSize - 256 ? 'transposed' : 'direct');
  if (layout !== 'transposed' && layout !== 'direct') throw new ArgumentError(`${op}: unknown layout "${layout}"`);
  const transpose = (x: GpuTensor, rows: number, cols: number): GpuTensor => {
    const out = mem.add(ctx.empty([cols, rows]));
    launch('transpose', 'losses:transpose', transposeSource, U32([rows, cols, 0, 0]), [bindRange(x, 0, rows * cols).resource, whole(out)], [ceilDiv(cols, TR), ceilDiv(rows, TR)]);
    return out;
  };
  const Yt = layout === 'transposed' ? transpose(Y, N, d) : null;
  const logits = (xb: GpuTensor): GpuTensor => mem.add(Yt ? matmul(ctx, xb, Yt) : matmul(ctx, xb, Y, { transB: true }));
  const dX = single ? null : mem.add(ctx.empty([N, d]));
  let dXfull: GpuTensor | null = null;
  let dY: GpuTensor | null = null;
  const accumulate = (acc: GpuTensor, part: GpuTensor) => {
    const n = acc.size;
    const per = Math.max(ACC_WG, Math.floor((ctx.maxBindingSize / 4 - 64) / ACC_WG) * ACC_WG);
    for (let s0 = 0; s0 < n; s0 += per) {
      const cnt = Math.min(per, n - s0);
      const ra = bindRange(part, s0, cnt);
      const rd = bindRange(acc, s0, cnt);
      const width = ACC_WG * Math.min(ceilDiv(cnt, ACC_WG), MAX_WG);
      const u = U32([cnt, ra.base, rd.base, width]);
      launch('accumulate', 'losses:accumulate', accumulateSource, u, [ra.resource, rd.resource], [width / ACC_WG, ceilDiv(cnt, width)]);
    }
  };
  const backBlock = (i0: number, rb: number, G: GpuTensor, xb: GpuTensor) => {
    const dxb = mem.add(matmul(ctx, G, Y));
    if (single) dXfull = dxb;
    else {
      ctx.submit(`${op}.place`, [], [], (enc) => enc.copyBufferToBuffer(dxb.buffer, 0, dX!.buffer, i0 * d * 4, rb * d * 4));
      mem.free(dxb);
    }
    let part: GpuTensor;
    if (Yt) {
      const Gt = transpose(G, rb, N);
      part = mem.add(matmul(ctx, Gt, xb));
      mem.free(Gt);
    } else part = mem.add(matmul(ctx, G, xb, { transA: true }));
    if (!dY) dY = part;
    else {
      accumulate(dY, part);
      mem.free(part);
    }
  };

  if (kind === 'clip') {
    let kept: GpuTensor | null = null;
    for (let k = 0; k < blocks.length; k++) {
      const [i0, rb] = blocks[k];
      const xb = rowsOf(i0, rb);
      const Sb = logits(xb);
      if (xb !== X) mem.free(xb);
      const sb = whole(Sb);
      launch('rowstats', 'clip:rowstats', clipRowStatsSource, U32([rb, N, i0, hasW, wBase, 0, 0, 0]), [sb, whole(sc), wRes, whole(aux)], [rb]);
      launch('colstats', 'clip:colstats', clipColStatsSource, U32([rb, N, i0, k === 0 ? 1 : 0]), [sb, whole(sc), whole(aux)], [ceilDiv(N, WG)]);
      if (single) kept = Sb;
      else mem.free(Sb);
    }
    launch('colfinal', 'clip:colfinal', clipColFinalSource, U32([N, hasW, wBase, 0]), [wRes, whole(aux)], [ceilDiv(N, WG)]);
    for (const [i0, rb] of blocks) {
      const xb = rowsOf(i0, rb);
      const G = kept ?? logits(xb);
      launch('grad', 'clip:grad', clipGradSource, U32([rb, N, i0, hasW, wBase, 0, 0, 0]), [whole(G), whole(sc), wRes, whole(aux)], [rb]);
      backBlock(i0, rb, G, xb);
      mem.free(G);
      if (xb !== X) mem.free(xb);
    }
  } else {
    for (const [i0, rb] of blocks) {
      const xb = rowsOf(i0, rb);
      const G = logits(xb);
      launch('grad', 'siglip:grad', siglipGradSource, U32([rb, N, i0, hasW, wBase, 0, 0, 0]), [whole(G), whole(sc), wRes, whole(aux)], [rb]);
      backBlock(i0, rb, G, xb);
      mem.free(G);
      if (xb !== X) mem.free(xb);
    }
  }

  mem.free(Yt);

  // ---- scalars out
  const out = mem.add(ctx.empty([4]));
  launch('finalize', 'losses:finalize', finalizeSource, U32([N, kind === 'clip' ? 0 : 1, 0, 0]), [whole(sc), whole(aux), whole(out), whole(status)], [1]);
  const loss = mem.add(ctx.empty([1]));
  const dt = mem.add(ctx.empty([1]));
  const db = mem.add(ctx.empty([1]));
  ctx.submit(`${op}.outputs`, [], [], (enc) => {
    enc.copyBufferToBuffer(out.buffer, 0, loss.buffer, 0, 4);
    enc.copyBufferToBuffer(out.buffer, 4, dt.buffer, 0, 4);
    enc.copyBufferToBuffer(out.buffer, 8, db.buffer, 0, 4);
  });
  mem.free(out);
  mem.free(X);
  mem.free(Y);

  // ---- back through the normalisations
  const dXr = (dXfull ?? dX)!;
  const dU = mem.add(l2normalizeBackward(ctx, U, dXr, NORM_EPS));
  mem.free(dXr);
  const dW = mem.add(l2normalizeBackward(ctx, W, dY!, NORM_EPS));
  mem.free(dY);
  rowCheck(dU, 1, STATUS.GRAD, 0);
  rowCheck(dW, 1, STATUS.GRAD, 0);
  const keep = [loss, dU, dW, dt, db, status];
  mem.freeAll(keep);
  if (temps.length) ctx.submit(`${op}.done`, [], temps.splice(0));
  const result: SiglipLossResult = { loss, dU, dW, dt, db, status, variant, blockRows: B, peakBytes: mem.peak };
  if (opts.check !== false) {
    const st = await status.read();
    const err = lossStatusError(op, st);
    if (err) {
      for (const x of keep) x.dispose();
      throw err;
    }
  }
  return result;
}

/**
 * CLIP loss (symmetric InfoNCE on τ·cos(u_i, w_j), τ = exp(min(t, ln 100))) and its gradients with respect to
 * the raw embeddings U, W ([N, d]) and the log-scale t (a number or a one-element f32 tensor).
 * Throws ArgumentError (after reading the status word) for zero-norm or non-finite rows, unless `check: false`.
 */
export async function clipLoss(ctx: GpuContext, U: GpuTensor, W: GpuTensor, t: Scalar, opts: LossOptions = {}): Promise<ClipLossResult> {
  const r = await contrastive('clip', ctx, U, W, t, 0, opts);
  r.db.dispose();
  const { db: _db, ...rest } = r;
  return rest;
}

/**
 * SigLIP loss (1/N)·Σ_ij softplus(−z_ij (τ·cos(u_i, w_j) + b)), τ = exp(t′), and its gradients with respect to
 * U, W, t′ and b (numbers or one-element f32 tensors; spec init t′ = ln 10, b = −10).
 */
export async function siglipLoss(ctx: GpuContext, U: GpuTensor, W: GpuTensor, tPrime: Scalar, b: Scalar, opts: LossOptions = {}): Promise<SiglipLossResult> {
  return contrastive('siglip', ctx, U, W, tPrime, b, opts);
}
