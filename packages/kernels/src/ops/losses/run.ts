// One contrastive-loss call on the device, in named steps (see losses.ts for the plan and the checks).
import type { BindingResource, GpuContext, GpuTensor } from '../../runtime/context.js';
import { bindRange, ceilDiv, MAX_WG, planRows } from '../common.js';
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
  STATUS,
  WG,
} from './losses.wgsl.js';
import { NORM_EPS } from './reference.js';
/**
 * How the CLIP / SigLIP loss forms the N×N logits: in row blocks ('tiled') or all at once ('materialized').
 */
export type LossVariant = 'tiled' | 'materialized';
/** how the N×N×d products run (see `LossOptions.layout`) */
export type LossLayout = 'transposed' | 'direct';

/** float vectors of N entries in the statistics scratch */
export const AUX_VECTORS = 12;

type Scalar = number | GpuTensor;

/** Checked arguments of one call and the plan it runs. */
export interface LossCall {
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

/**
 * One call's device state and steps (spec §3): prep → normalise + row checks → per-block sweeps (CLIP: two,
 * SigLIP: one) with the block backward → finalize → back through the normalisations.
 * Each kernel launch is its own submit; uniforms go into `temps` and are released by that submit.
 */
export class ContrastiveRun {
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
    bindings: Readonly<Record<string, BindingResource>>,
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
      { In: this.whole(this.scalIn), Wt: this.wRes, Sc: this.whole(this.sc), St: this.whole(this.status) },
      [1],
    );
  }

  /** Flag rows that are zero / non-finite (mode 0, input) or hold non-finite values (mode 1, gradients). */
  rowCheck(x: GpuTensor, mode: number, bit: number, slot: number): void {
    const { ctx, c } = this;
    for (const [r0, rc] of planRows(ctx, c.op, c.N, [c.d], MAX_WG * WG)) {
      const rx = bindRange(x, r0 * c.d, rc * c.d);
      const params = { rows: rc, cols: c.d, base: rx.base, mode, bit, slot, row0: r0 };
      this.launch(rowCheckKernel, 'rowcheck', params, { X: rx.resource, St: this.whole(this.status) }, [
        ceilDiv(rc, WG),
      ]);
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
        { S: sb, Sc: this.whole(this.sc), Wt: this.wRes, Aux: this.whole(this.aux) },
        [rb],
      );
      const colParams = { B: rb, n: c.N, i0, first: k === 0 ? 1 : 0 };
      this.launch(
        clipColStatsKernel,
        'colstats',
        colParams,
        { S: sb, Sc: this.whole(this.sc), Aux: this.whole(this.aux) },
        [ceilDiv(c.N, WG)],
      );
      if (this.single) kept = Sb;
      else Sb.dispose();
    });
    const finalParams = { n: c.N, hasW: this.hasW, wBase: this.wBase };
    this.launch(clipColFinalKernel, 'colfinal', finalParams, { Wt: this.wRes, Aux: this.whole(this.aux) }, [
      ceilDiv(c.N, WG),
    ]);
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
        { S: this.whole(G), Sc: this.whole(this.sc), Wt: this.wRes, Aux: this.whole(this.aux) },
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
      { Sc: this.whole(this.sc), Aux: this.whole(this.aux), Out: this.whole(out), St: this.whole(this.status) },
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
