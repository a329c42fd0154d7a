import type { BindingResource, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, M4kitError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr } from '../common.js';
import type { Kernel, ParamFields, ParamValues } from '../kernel.js';
import { matmul } from '../matmul/matmul.js';
import { l2normalize, l2normalizeBackward } from '../normalize/normalize.js';
import { accumulate, transpose } from '../transpose/transpose.js';
import {
  clipColFinalKernel,
  clipColStatsKernel,
  clipGradKernel,
  clipRowStatsKernel,
  finalizeKernel,
  LOSS_KIND,
  prepKernel,
  rowCheckKernel,
  siglipGradKernel,
  STATUS,
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
/** how the N×N×d products run (see `LossOptions.layout`) */
export type LossLayout = 'transposed' | 'direct';

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

export interface SiglipLossResult<T = GpuTensor> extends ClipLossResult<T> {
  /** [1] ∂L/∂b */
  db: T;
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

/** Checked arguments of one call and the plan it runs. */
interface LossCall {
  kind: 'clip' | 'siglip';
  op: string;
  U: GpuTensor;
  W: GpuTensor;
  N: number;
  d: number;
  variant: LossVariant;
  B: number;
  maxLog: number;
}

function checkCall(
  kind: 'clip' | 'siglip',
  ctx: GpuContext,
  U: GpuTensor,
  W: GpuTensor,
  t: Scalar,
  b: Scalar,
  opts: LossOptions,
): LossCall {
  const op = kind === 'clip' ? 'clipLoss' : 'siglipLoss';
  const [N, d] = checkInputs(op, U, W);
  checkScalar(op, kind === 'clip' ? 't' : "t'", t);
  checkScalar(op, 'b', b);
  const maxLog = opts.maxLogScale ?? (kind === 'clip' ? CLIP_MAX_LOG_SCALE : Infinity);
  if (Number.isNaN(maxLog)) throw new ArgumentError(`${op}: maxLogScale must be a number`);
  if (typeof t === 'number' && !(Math.exp(Math.min(t, maxLog)) < 3.4e38))
    throw new ArgumentError(`${op}: exp(t) overflows for t = ${t}`);
  const { variant, B } = plan(ctx, op, N, opts);
  return { kind, op, U, W, N, d, variant, B, maxLog };
}

/** Host-side weight checks; an array becomes a device tensor (owned by the call). */
function uploadWeights(
  ctx: GpuContext,
  c: LossCall,
  weights: LossOptions['weights'],
): { wT: GpuTensor | null; owned: boolean } {
  const { op, N } = c;
  if (weights === undefined) return { wT: null, owned: false };
  if ('kind' in (weights as GpuTensor) && (weights as GpuTensor).kind === 'gpu') {
    const wT = weights as GpuTensor;
    if (wT.size !== N) throw new ShapeError(`${op}: weights ${shapeStr(wT.shape)} must have N = ${N} entries`);
    return { wT, owned: false };
  }
  const w = weights as ArrayLike<number>;
  if (w.length !== N) throw new ShapeError(`${op}: weights has ${w.length} entries, expected N = ${N}`);
  let s = 0;
  for (let i = 0; i < N; i++) {
    if (!(w[i] >= 0) || !Number.isFinite(w[i]))
      throw new ArgumentError(`${op}: weights[${i}] = ${w[i]} must be finite and ≥ 0`);
    s += w[i];
  }
  if (!(s > 0)) throw new ArgumentError(`${op}: weights sum to ${s}; Σω must be > 0`);
  return { wT: ctx.tensor(Float32Array.from(w), [N]), owned: true };
}

/**
 * One call's device state and steps (spec §3): prep → normalise + row checks → per-block sweeps (CLIP: two,
 * SigLIP: one) with the block backward → finalize → back through the normalisations.
 * Each kernel launch is its own submit; uniforms go into `temps` and are released by that submit.
 */
class ContrastiveRun {
  private readonly temps: GPUBuffer[] = [];
  private readonly whole = (x: GpuTensor) => bindRange(x).resource;
  /** τ, b, 1/Σω, ∂τ/∂t (see losses.wgsl.ts) */
  private sc!: GpuTensor;
  /** per-row / per-column statistics, AUX_VECTORS·N */
  private aux!: GpuTensor;
  /** u32 status word: flags, first bad row of U, of W */
  status!: GpuTensor;
  private scalIn!: GpuTensor;
  private wT: GpuTensor | null = null;
  private wOwned = false;
  private wRes!: BindingResource;
  private wBase = 0;
  private hasW = 0;
  X!: GpuTensor;
  Y!: GpuTensor;
  private Yt: GpuTensor | null = null;
  private dX: GpuTensor | null = null;
  private dXfull: GpuTensor | null = null;
  private dY: GpuTensor | null = null;
  private readonly blocks: [number, number][] = [];

  constructor(
    private readonly ctx: GpuContext,
    private readonly c: LossCall,
  ) {
    for (let i0 = 0; i0 < c.N; i0 += c.B) this.blocks.push([i0, Math.min(c.B, c.N - i0)]);
  }

  private get single(): boolean {
    return this.blocks.length === 1;
  }

  private launch<P extends ParamFields>(
    kernel: Kernel<P, Record<string, never>>,
    name: string,
    params: ParamValues<P>,
    bindings: BindingResource[],
    workgroups: [number, number?, number?],
  ): void {
    const op = `${this.c.op}.${name}`;
    const ds = kernel.dispatch(this.ctx, { op, spec: {}, params, bindings, workgroups, temps: this.temps });
    this.ctx.submit(op, [ds], this.temps.splice(0));
  }

  /** Weights, the scalars t and b (numbers or device tensors) → Sc; status word flags bad inputs. */
  prep(t: Scalar, b: Scalar, weights: GpuTensor | null, wOwned: boolean): void {
    const { ctx, c } = this;
    this.wT = weights;
    this.wOwned = wOwned;
    this.hasW = weights ? 1 : 0;
    const wBind = weights ? bindRange(weights) : null;
    this.scalIn = ctx.tensor([typeof t === 'number' ? t : 0, typeof b === 'number' ? b : 0, 0, 0], [4]);
    if (typeof t !== 'number' || typeof b !== 'number') {
      const scalIn = this.scalIn;
      ctx.submit(`${c.op}.scalars`, [], [], (enc) => {
        if (typeof t !== 'number') enc.copyBufferToBuffer(t.buffer, 0, scalIn.buffer, 0, 4);
        if (typeof b !== 'number') enc.copyBufferToBuffer(b.buffer, 0, scalIn.buffer, 4, 4);
      });
    }
    this.status = ctx.tensor(new Uint32Array([0, 0xffffffff, 0xffffffff, 0]), [4], 'u32');
    this.sc = ctx.zeros([8]);
    this.aux = ctx.zeros([AUX_VECTORS * c.N]);
    this.wRes = wBind ? wBind.resource : this.whole(this.scalIn);
    this.wBase = wBind ? wBind.base : 0;
    const params = { n: c.N, hasW: this.hasW, maxLog: Math.min(c.maxLog, 3e38), wBase: this.wBase };
    this.launch(
      prepKernel,
      'prep',
      params,
      [this.whole(this.scalIn), this.wRes, this.whole(this.sc), this.whole(this.status)],
      [1],
    );
  }

  /** Flag rows that are zero / non-finite (mode 0, input) or hold non-finite values (mode 1, gradients). */
  rowCheck(x: GpuTensor, mode: number, bit: number, slot: number): void {
    const { ctx, c } = this;
    for (const [r0, rc] of planRows(ctx, c.op, c.N, [c.d], MAX_WG * WG)) {
      const rx = bindRange(x, r0 * c.d, rc * c.d);
      const params = { rows: rc, cols: c.d, base: rx.base, mode, bit, slot, row0: r0 };
      this.launch(rowCheckKernel, 'rowcheck', params, [rx.resource, this.whole(this.status)], [ceilDiv(rc, WG)]);
    }
  }

  /** X, Y = l2normalize(U, W), rows checked; Yᵀ formed once for the `transposed` layout. */
  normalize(layout: LossLayout): void {
    const { ctx, c } = this;
    this.X = l2normalize(ctx, c.U, NORM_EPS);
    this.Y = l2normalize(ctx, c.W, NORM_EPS);
    this.rowCheck(this.X, 0, STATUS.ROW, 1);
    this.rowCheck(this.Y, 0, STATUS.ROW, 2);
    if (layout === 'transposed') this.Yt = transpose(ctx, this.Y, c.op);
    this.dX = this.single ? null : ctx.empty([c.N, c.d]);
  }

  /** Rows [i0, i0 + rb) of X as their own tensor (X itself for the one-block plan). */
  private rowsOf(i0: number, rb: number): GpuTensor {
    const { ctx, c } = this;
    if (this.single) return this.X;
    const xb = ctx.empty([rb, c.d]);
    const X = this.X;
    ctx.submit(`${c.op}.rows`, [], [], (enc) =>
      enc.copyBufferToBuffer(X.buffer, i0 * c.d * 4, xb.buffer, 0, rb * c.d * 4),
    );
    return xb;
  }

  private logits(xb: GpuTensor): GpuTensor {
    return this.Yt ? matmul(this.ctx, xb, this.Yt) : matmul(this.ctx, xb, this.Y, { transB: true });
  }

  private blockParams(i0: number, rb: number) {
    return { B: rb, n: this.c.N, i0, hasW: this.hasW, wBase: this.wBase };
  }

  /** ∂L/∂X_b = G_b·Y into its rows of dX; ∂L/∂Y += G_bᵀ·X_b. */
  private backBlock(i0: number, rb: number, G: GpuTensor, xb: GpuTensor): void {
    const { ctx, c } = this;
    const dxb = matmul(ctx, G, this.Y);
    if (this.single) this.dXfull = dxb;
    else {
      const dX = this.dX!;
      ctx.submit(`${c.op}.place`, [], [], (enc) =>
        enc.copyBufferToBuffer(dxb.buffer, 0, dX.buffer, i0 * c.d * 4, rb * c.d * 4),
      );
      dxb.dispose();
    }
    let part: GpuTensor;
    if (this.Yt) {
      const Gt = transpose(ctx, G, c.op);
      part = matmul(ctx, Gt, xb);
      Gt.dispose();
    } else part = matmul(ctx, G, xb, { transA: true });
    if (!this.dY) this.dY = part;
    else {
      accumulate(ctx, this.dY, part, c.op);
      part.dispose();
    }
  }

  /** CLIP sweep 1: row statistics and the online column (max, Σexp) merge per block; then c_j per column. */
  clipStatistics(): GpuTensor | null {
    const { c } = this;
    let kept: GpuTensor | null = null;
    this.blocks.forEach(([i0, rb], k) => {
      const xb = this.rowsOf(i0, rb);
      const Sb = this.logits(xb);
      if (xb !== this.X) xb.dispose();
      const sb = this.whole(Sb);
      this.launch(
        clipRowStatsKernel,
        'rowstats',
        this.blockParams(i0, rb),
        [sb, this.whole(this.sc), this.wRes, this.whole(this.aux)],
        [rb],
      );
      const colParams = { B: rb, n: c.N, i0, first: k === 0 ? 1 : 0 };
      this.launch(
        clipColStatsKernel,
        'colstats',
        colParams,
        [sb, this.whole(this.sc), this.whole(this.aux)],
        [ceilDiv(c.N, WG)],
      );
      if (this.single) kept = Sb;
      else Sb.dispose();
    });
    const finalParams = { n: c.N, hasW: this.hasW, wBase: this.wBase };
    this.launch(clipColFinalKernel, 'colfinal', finalParams, [this.wRes, this.whole(this.aux)], [ceilDiv(c.N, WG)]);
    return kept;
  }

  /**
   * The gradient sweep: per block, ∂L/∂S in place on the logits (recomputed unless `kept`, the one-block
   * plan's logits from the statistics sweep), then the block backward.
   */
  gradientSweep(kernel: typeof clipGradKernel, kept: GpuTensor | null): void {
    for (const [i0, rb] of this.blocks) {
      const xb = this.rowsOf(i0, rb);
      const G = kept ?? this.logits(xb);
      this.launch(
        kernel,
        'grad',
        this.blockParams(i0, rb),
        [this.whole(G), this.whole(this.sc), this.wRes, this.whole(this.aux)],
        [rb],
      );
      this.backBlock(i0, rb, G, xb);
      G.dispose();
      if (xb !== this.X) xb.dispose();
    }
    this.Yt?.dispose();
  }

  /** loss, ∂L/∂t, ∂L/∂b from the row / column shares, as three [1] tensors. */
  finalize(): { loss: GpuTensor; dt: GpuTensor; db: GpuTensor } {
    const { ctx, c } = this;
    const out = ctx.empty([4]);
    const params = { n: c.N, kind: LOSS_KIND[c.kind] };
    this.launch(
      finalizeKernel,
      'finalize',
      params,
      [this.whole(this.sc), this.whole(this.aux), this.whole(out), this.whole(this.status)],
      [1],
    );
    const loss = ctx.empty([1]);
    const dt = ctx.empty([1]);
    const db = ctx.empty([1]);
    ctx.submit(`${c.op}.outputs`, [], [], (enc) => {
      enc.copyBufferToBuffer(out.buffer, 0, loss.buffer, 0, 4);
      enc.copyBufferToBuffer(out.buffer, 4, dt.buffer, 0, 4);
      enc.copyBufferToBuffer(out.buffer, 8, db.buffer, 0, 4);
    });
    out.dispose();
    this.X.dispose();
    this.Y.dispose();
    return { loss, dt, db };
  }

  /** dU, dW through the normalisations; gradient rows checked for non-finite values. */
  backThroughNorms(): { dU: GpuTensor; dW: GpuTensor } {
    const { ctx, c } = this;
    const dXr = (this.dXfull ?? this.dX)!;
    const dU = l2normalizeBackward(ctx, c.U, dXr, NORM_EPS);
    dXr.dispose();
    const dW = l2normalizeBackward(ctx, c.W, this.dY!, NORM_EPS);
    this.dY!.dispose();
    this.rowCheck(dU, 1, STATUS.GRAD, 0);
    this.rowCheck(dW, 1, STATUS.GRAD, 0);
    return { dU, dW };
  }

  /** Release the call's scratch (an owned weight tensor, scalars, statistics) and submit leftover uniforms. */
  done(): void {
    if (this.wOwned) this.wT?.dispose();
    this.scalIn.dispose();
    this.sc.dispose();
    this.aux.dispose();
    if (this.temps.length) this.ctx.submit(`${this.c.op}.done`, [], this.temps.splice(0));
  }
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
  const c = checkCall(kind, ctx, U, W, t, b, opts);
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
 */
export async function clipLoss(
  ctx: GpuContext,
  U: GpuTensor,
  W: GpuTensor,
  t: Scalar,
  opts: LossOptions = {},
): Promise<ClipLossResult> {
  const r = await contrastive('clip', ctx, U, W, t, 0, opts);
  r.db.dispose();
  const { db: _db, ...rest } = r;
  return rest;
}

/**
 * SigLIP loss (1/N)·Σ_ij softplus(−z_ij (τ·cos(u_i, w_j) + b)), τ = exp(t′), and its gradients with respect to
 * U, W, t′ and b (numbers or one-element f32 tensors; spec init t′ = ln 10, b = −10).
 */
export async function siglipLoss(
  ctx: GpuContext,
  U: GpuTensor,
  W: GpuTensor,
  tPrime: Scalar,
  b: Scalar,
  opts: LossOptions = {},
): Promise<SiglipLossResult> {
  return contrastive('siglip', ctx, U, W, tPrime, b, opts);
}
