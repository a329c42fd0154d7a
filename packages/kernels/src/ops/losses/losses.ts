import type { GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, M4kitError, ShapeError } from '../../runtime/errors.js';
import { MAX_WG, shapeStr } from '../common.js';
import { isTensor, type Tensor } from '../../types.js';
import { cpuF32, cpuScalar, CpuTensor } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { rand } from '../cases.js';
import { clipGradKernel, siglipGradKernel, STATUS, WG } from './losses.wgsl.js';
import { AUX_VECTORS, ContrastiveRun, type LossCall } from './run.js';
import { CLIP_MAX_LOG_SCALE, clipLossRefUnchecked, NORM_EPS, siglipLossRefUnchecked } from './reference.js';

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

import type { LossLayout, LossVariant } from './run.js';
export type { LossLayout, LossVariant };
/**
 * The loss launchers' variants: 'tiled' (logits in row blocks, any N) and 'materialized' (the N×N logits at once).
 */
export const LOSS_VARIANTS: LossVariant[] = ['tiled', 'materialized'];

/** `T`: the tensor type (GpuTensor for the launchers, `Tensor` on the `Kernels` surface). */
export interface LossOptions<T = GpuTensor> {
  /** default: `materialized` when the N×N logits take ≤ 16 MiB (and fit one binding), else `tiled` */
  variant?: LossVariant;
  /** per-example weights ω (length N, ≥ 0, Σω > 0); see reference.ts for the weighted definitions */
  weights?: T | ArrayLike<number>;
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
  layout?: LossLayout;
  /**
   * Read the status word back and throw a typed error for zero-norm / non-finite rows, bad weights,
   * bad t/b or non-finite results (default true). With `false` nothing is read; call `lossStatusError`
   * on `status.read()` yourself. Outputs never hold NaN from a zero row (it is normalised to 0 and flagged).
   */
  check?: boolean;
}

/** CLIP loss (spec §3) and its gradients with respect to the raw embeddings and the log-temperature. */
export interface ClipLossResult<T = GpuTensor> {
  /** [1] */
  loss: T;
  /** [N, d] */
  dU: T;
  dW: T;
  /** [1] ∂L/∂t */
  dt: T;
  /** [4] u32 status word (see losses.wgsl.ts) */
  status: T;
  variant: LossVariant;
  blockRows: number;
  /** peak bytes of the buffers this call allocated (outputs included, caller's inputs excluded) */
  peakBytes: number;
}

/** SigLIP loss (spec §3) and its gradients, including the bias b. */
export interface SiglipLossResult<T = GpuTensor> extends ClipLossResult<T> {
  /** [1] ∂L/∂b */
  db: T;
}

const MATERIALIZE_MAX_BYTES = 16 * 1024 * 1024;
const DEFAULT_TILE_BYTES = 32 * 1024 * 1024;

/**
 * Translate a status word into the typed error it stands for (null when clean).
 * @param op - op name for the message.
 * @param st - the status words read back (flags, first bad row of U, of W).
 * @returns an ArgumentError naming the first bad row, or null when the flags are clear.
 */
export function lossStatusError(op: string, st: ArrayLike<number>): M4kitError | null {
  const f = st[0];
  if (!f) return null;
  const row = (slot: number) => (st[slot] !== 0xffffffff ? ` (first at row ${st[slot]})` : '');
  if (f & STATUS.ROW) {
    const which = st[1] !== 0xffffffff ? `U${row(1)}` : `W${row(2)}`;
    return new ArgumentError(
      `${op}: ${which} has a zero (≤ ${NORM_EPS}) or non-finite L2 norm; every embedding row must be non-zero and finite`,
    );
  }
  if (f & STATUS.WEIGHTS) return new ArgumentError(`${op}: weights must be finite and ≥ 0 with Σω > 0`);
  if (f & STATUS.SCALARS)
    return new ArgumentError(`${op}: the log-scale t (and bias b) must be finite, with exp(t) finite`);
  if (f & (STATUS.NONFINITE | STATUS.GRAD))
    return new ArgumentError(`${op}: the loss or its gradients are not finite (inputs out of range)`);
  return new ArgumentError(`${op}: status flags 0x${f.toString(16)}`);
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
    if (full > limit)
      throw new ShapeError(
        `${op}: the materialized variant needs the ${N}×${N} logits (${full} B) in one binding (limit ${ctx.maxBindingSize} B); use variant 'tiled'`,
      );
    if (N > MAX_WG) throw new ShapeError(`${op}: the materialized variant handles N ≤ ${MAX_WG}; use variant 'tiled'`);
    return { variant, B: N };
  }
  let B: number;
  if (opts.blockRows !== undefined) {
    if (!(Number.isInteger(opts.blockRows) && opts.blockRows >= 1))
      throw new ArgumentError(`${op}: blockRows = ${opts.blockRows} must be an integer ≥ 1`);
    B = opts.blockRows;
  } else {
    const tile = Math.min(opts.tileBytes ?? DEFAULT_TILE_BYTES, limit);
    B = Math.max(1, Math.floor(tile / (N * 4)));
  }
  B = Math.min(B, N, MAX_WG);
  if (B * N * 4 > limit)
    throw new ShapeError(`${op}: a block of ${B}×${N} logits exceeds the binding limit (${ctx.maxBindingSize} B)`);
  if (AUX_VECTORS * N * 4 > limit) throw new ShapeError(`${op}: N = ${N} too large for the per-row statistics binding`);
  return { variant, B };
}

/** The host checks of a CLIP / SigLIP call (both backends): shapes, dtypes, scalars, variant, weights. */
export function checkLossCall(
  kind: 'clip' | 'siglip',
  U: Tensor,
  W: Tensor,
  t: number | Tensor,
  b: number | Tensor,
  opts: LossOptions<Tensor>,
): { op: string; N: number; d: number; maxLog: number } {
  const op = kind === 'clip' ? 'clipLoss' : 'siglipLoss';
  if (U.shape.length !== 2 || W.shape.length !== 2 || U.shape[0] !== W.shape[0] || U.shape[1] !== W.shape[1]) {
    throw new ShapeError(`${op}: U ${shapeStr(U.shape)} and W ${shapeStr(W.shape)} must both be [N, d]`);
  }
  const [N, d] = U.shape;
  if (N < 1 || d < 1) throw new ShapeError(`${op}: need N ≥ 1 and d ≥ 1, got ${shapeStr(U.shape)}`);
  if (U.dtype !== 'f32' || W.dtype !== 'f32') throw new ArgumentError(`${op}: U and W must be f32`);
  checkScalar(op, kind === 'clip' ? 't' : "t'", t);
  checkScalar(op, 'b', b);
  const maxLog = opts.maxLogScale ?? (kind === 'clip' ? CLIP_MAX_LOG_SCALE : Infinity);
  if (Number.isNaN(maxLog)) throw new ArgumentError(`${op}: maxLogScale must be a number`);
  if (typeof t === 'number' && !(Math.exp(Math.min(t, maxLog)) < 3.4e38))
    throw new ArgumentError(`${op}: exp(t) overflows for t = ${t}`);
  if (opts.variant !== undefined && !LOSS_VARIANTS.includes(opts.variant))
    throw new ArgumentError(`${op}: unknown variant "${opts.variant}"`);
  checkWeights(op, N, opts.weights);
  return { op, N, d, maxLog };
}

function checkScalar(op: string, name: string, x: number | Tensor): void {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new ArgumentError(`${op}: ${name} = ${x} must be finite`);
  } else if (x.size !== 1 || x.dtype !== 'f32') {
    throw new ShapeError(`${op}: ${name} must be a number or an f32 tensor of one element, got ${shapeStr(x.shape)}`);
  }
}

function checkWeights(op: string, N: number, weights: LossOptions<Tensor>['weights']): void {
  if (weights === undefined) return;
  if (isTensor(weights)) {
    if (weights.size !== N)
      throw new ShapeError(`${op}: weights ${shapeStr(weights.shape)} must have N = ${N} entries`);
    return;
  }
  if (weights.length !== N) throw new ShapeError(`${op}: weights has ${weights.length} entries, expected N = ${N}`);
  let s = 0;
  for (let i = 0; i < N; i++) {
    if (!(weights[i] >= 0) || !Number.isFinite(weights[i]))
      throw new ArgumentError(`${op}: weights[${i}] = ${weights[i]} must be finite and ≥ 0`);
    s += weights[i];
  }
  if (!(s > 0)) throw new ArgumentError(`${op}: weights sum to ${s}; Σω must be > 0`);
}

// the call's plan; what `checkLossCall` returns is recomputed, unchecked (the door or the launcher checked)
function planCall(kind: 'clip' | 'siglip', ctx: GpuContext, U: GpuTensor, W: GpuTensor, opts: LossOptions): LossCall {
  const op = kind === 'clip' ? 'clipLoss' : 'siglipLoss';
  const [N, d] = U.shape;
  const maxLog = opts.maxLogScale ?? (kind === 'clip' ? CLIP_MAX_LOG_SCALE : Infinity);
  if (U.ctx !== W.ctx) throw new ArgumentError(`${op}: U and W belong to different contexts`);
  const { variant, B } = plan(ctx, op, N, opts);
  return { kind, op, U, W, N, d, variant, B, maxLog };
}

/** An array of weights becomes a device tensor (owned by the call); checked by `checkLossCall`. */
function uploadWeights(
  ctx: GpuContext,
  c: LossCall,
  weights: LossOptions['weights'],
): { wT: GpuTensor | null; owned: boolean } {
  if (weights === undefined) return { wT: null, owned: false };
  if (isTensor(weights)) return { wT: weights as GpuTensor, owned: false };
  return { wT: ctx.tensor(Float32Array.from(weights), [c.N]), owned: true };
}

async function contrastive(
  kind: 'clip' | 'siglip',
  ctx: GpuContext,
  U: GpuTensor,
  W: GpuTensor,
  t: Scalar,
  b: Scalar,
  opts: LossOptions,
): Promise<SiglipLossResult> {
  const c = planCall(kind, ctx, U, W, opts);
  const meter = ctx.pool.meter();
  try {
    const { wT, owned } = uploadWeights(ctx, c, opts.weights);
    const run = new ContrastiveRun(ctx, c);
    run.prep(t, b, wT, owned);
    const layout = opts.layout ?? (c.N * c.d * 4 <= ctx.maxBindingSize - 256 ? 'transposed' : 'direct');
    if (layout !== 'transposed' && layout !== 'direct') throw new ArgumentError(`${c.op}: unknown layout "${layout}"`);
    run.normalize(layout);
    if (kind === 'clip') run.gradientSweep(clipGradKernel, run.clipStatistics());
    else run.gradientSweep(siglipGradKernel, null);
    const { loss, dt, db } = run.finalize();
    const { dU, dW } = run.backThroughNorms();
    run.done();
    const status = run.status;
    const result: SiglipLossResult = {
      loss,
      dU,
      dW,
      dt,
      db,
      status,
      variant: c.variant,
      blockRows: c.B,
      peakBytes: meter.peakBytes,
    };
    meter.stop();
    if (opts.check !== false) {
      const st = await status.read();
      const err = lossStatusError(c.op, st);
      if (err) {
        for (const x of [loss, dU, dW, dt, db, status]) x.dispose();
        throw err;
      }
    }
    return result;
  } finally {
    meter.stop();
  }
}

/**
 * CLIP loss (symmetric InfoNCE on τ·cos(u_i, w_j), τ = exp(min(t, ln 100))) and its gradients with respect to
 * the raw embeddings U, W ([N, d]) and the log-scale t (a number or a one-element f32 tensor).
 * Throws ArgumentError (after reading the status word) for zero-norm or non-finite rows, unless `check: false`.
 * @param ctx - the WebGPU context that owns the tensors.
 * @param U - [N, d] f32 image embeddings (unnormalised; normalised inside).
 * @param W - [N, d] f32 text embeddings.
 * @param t - log-scale t (τ = exp t): a number or a one-element f32 tensor.
 * @param opts - variant, layout, per-example weights, `check`.
 * @returns the loss and its gradients with respect to U, W and t.
 * @throws ArgumentError for zero-norm or non-finite rows (unless `check: false`); ShapeError for mismatched shapes.
 */
export async function clipLoss(
  ctx: GpuContext,
  U: GpuTensor,
  W: GpuTensor,
  t: Scalar,
  opts: LossOptions = {},
): Promise<ClipLossResult> {
  checkLossCall('clip', U, W, t, 0, opts);
  return withoutDb(contrastive('clip', ctx, U, W, t, 0, opts));
}

async function withoutDb(p: Promise<SiglipLossResult>): Promise<ClipLossResult> {
  const { db, ...rest } = await p;
  db.dispose();
  return rest;
}

/**
 * SigLIP loss (1/N)·Σ_ij softplus(−z_ij (τ·cos(u_i, w_j) + b)), τ = exp(t′), and its gradients with respect to
 * U, W, t′ and b (numbers or one-element f32 tensors; spec init t′ = ln 10, b = −10).
 * @param ctx - the WebGPU context that owns the tensors.
 * @param U - [N, d] f32 image embeddings (unnormalised).
 * @param W - [N, d] f32 text embeddings.
 * @param tPrime - log-temperature t′ (τ = exp t′): a number or a one-element f32 tensor.
 * @param b - bias b: a number or a one-element f32 tensor.
 * @param opts - variant, layout, per-example weights, `check`.
 * @returns the loss and its gradients with respect to U, W, t′ and b.
 * @throws ArgumentError for zero-norm or non-finite rows (unless `check: false`); ShapeError for mismatched shapes.
 */
export async function siglipLoss(
  ctx: GpuContext,
  U: GpuTensor,
  W: GpuTensor,
  tPrime: Scalar,
  b: Scalar,
  opts: LossOptions = {},
): Promise<SiglipLossResult> {
  checkLossCall('siglip', U, W, tPrime, b, opts);
  return contrastive('siglip', ctx, U, W, tPrime, b, opts);
}

/** The CPU backend of clipLoss / siglipLoss: the float64 references, the same status word and errors. */
function contrastiveCpu(
  kind: 'clip' | 'siglip',
  U: CpuTensor,
  W: CpuTensor,
  t: number | CpuTensor,
  b: number | CpuTensor,
  opts: LossOptions<CpuTensor>,
): SiglipLossResult<CpuTensor> {
  const op = kind === 'clip' ? 'clipLoss' : 'siglipLoss';
  const [N, d] = U.shape;
  const tv = cpuScalar(t, op, kind === 'clip' ? 't' : "t'");
  const bv = cpuScalar(b, op, 'b');
  const ww = opts.weights;
  const ro = { weights: ww === undefined ? undefined : isTensor(ww) ? ww.data : ww, maxLogScale: opts.maxLogScale };
  const r =
    kind === 'clip'
      ? { ...clipLossRefUnchecked(U.data, W.data, N, d, tv, ro), db: 0 }
      : siglipLossRefUnchecked(U.data, W.data, N, d, tv, bv, ro);
  let flags = 0;
  if (!Number.isFinite(r.loss) || !Number.isFinite(r.dt) || !Number.isFinite(r.db)) flags |= STATUS.NONFINITE;
  if (!r.dU.every(Number.isFinite) || !r.dW.every(Number.isFinite)) flags |= STATUS.GRAD;
  const st = Uint32Array.of(flags, 0xffffffff, 0xffffffff, 0);
  if (opts.check !== false) {
    const err = lossStatusError(op, st);
    if (err) throw err;
  }
  return {
    loss: cpuF32(Float64Array.of(r.loss), [1]),
    dU: cpuF32(r.dU, U.shape),
    dW: cpuF32(r.dW, W.shape),
    dt: cpuF32(Float64Array.of(r.dt), [1]),
    db: cpuF32(Float64Array.of(r.db), [1]),
    status: new CpuTensor(st, [4], 'u32'),
    variant: opts.variant ?? 'materialized',
    blockRows: N,
    peakBytes: 0,
  };
}

/**
 * CLIP loss and ∂/∂U, ∂/∂W, ∂/∂t. Zero / non-finite rows, bad weights or non-finite results: ArgumentError (on
 * WebGPU after reading the status word, unless `check: false`; the CPU backend checks on the host and always throws).
 */
export const clipLossOp: OpDeclaration<
  (U: Tensor, W: Tensor, t: number | Tensor, opts?: LossOptions<Tensor>) => Promise<ClipLossResult<Tensor>>
> = defineOp<(U: Tensor, W: Tensor, t: number | Tensor, opts?: LossOptions<Tensor>) => Promise<ClipLossResult<Tensor>>>(
  {
    name: 'clipLoss',
    async: true,
    check: (U, W, t, opts = {}) => void checkLossCall('clip', U, W, t, 0, opts),
    webgpu: (ctx, U, W, t, opts = {}) => withoutDb(contrastive('clip', ctx, U, W, t, 0, opts)),
    cpu: async (U, W, t, opts = {}) => {
      const { db: _db, ...r } = contrastiveCpu('clip', U, W, t, 0, opts);
      return r;
    },
    cases: [
      {
        name: 'N=19 d=13',
        args: (k, r) => [k.tensor(rand(r, 19 * 13), [19, 13]), k.tensor(rand(r, 19 * 13), [19, 13]), 2],
        out: (res) => res.dU,
        tol: { rel: 1e-4, abs: 1e-4 },
        selfcheck: true,
      },
    ],
  },
);

/** SigLIP loss and ∂/∂U, ∂/∂W, ∂/∂t′, ∂/∂b. */
export const siglipLossOp: OpDeclaration<
  (
    U: Tensor,
    W: Tensor,
    tPrime: number | Tensor,
    b: number | Tensor,
    opts?: LossOptions<Tensor>,
  ) => Promise<SiglipLossResult<Tensor>>
> = defineOp<
  (
    U: Tensor,
    W: Tensor,
    tPrime: number | Tensor,
    b: number | Tensor,
    opts?: LossOptions<Tensor>,
  ) => Promise<SiglipLossResult<Tensor>>
>({
  name: 'siglipLoss',
  async: true,
  check: (U, W, tPrime, b, opts = {}) => void checkLossCall('siglip', U, W, tPrime, b, opts),
  webgpu: (ctx, U, W, tPrime, b, opts = {}) => contrastive('siglip', ctx, U, W, tPrime, b, opts),
  cpu: async (U, W, tPrime, b, opts = {}) => contrastiveCpu('siglip', U, W, tPrime, b, opts),
});
