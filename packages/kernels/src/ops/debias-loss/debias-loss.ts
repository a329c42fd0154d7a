import type { Tensor } from '../../types.js';
import { cpuF32, type CpuTensor } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, shapeStr } from '../common.js';
import { matmul } from '../matmul/matmul.js';
import { accumulate } from '../transpose/transpose.js';
import { transposeKernel, TR } from '../transpose/transpose.wgsl.js';
import { gradKernel, STAT_STRIDE, statsKernel } from './debias-loss.wgsl.js';
import { checkDebiasHyper, debiasLossRefUnchecked, type DebiasLossHyper } from './reference.js';

interface Shaped {
  readonly shape: readonly number[];
}

/**
 * The BA bank loss of spec §2.4 and its gradients (semantics: reference.ts), tiled over the bank columns.
 *
 * Plan, for each tile of Tc bank rows (the banks are given as segments, e.g. [batch features; queue], and a
 * tile never straddles two segments):
 *   sweep 1: S_I = xI·tileIᵀ, S_T = xT·tileTᵀ ([B·R, Tc]; tileᵀ by a transpose kernel, then an untransposed
 *            matmul, which has the fast variants) → `stats` merges per-row online max / Σexp
 *            and the KL numerator into a [B, 20] state;
 *   sweep 2: the same logits recomputed → `grad` writes ∂L/∂z/τ for rows 0, 1 ([B·2, Tc] per bank) and adds
 *            the tile's cross-entropy → dI += G_I·tileI, dT += G_T·tileT (matmul + accumulate).
 * At most 2·B·R·Tc logits exist at once (default Tc: 32 MiB per logit block); the B × N logits never do.
 * The per-row state is read back once and folded in float64 on the host (loss means; finiteness check).
 */

export interface DebiasLossInputs {
  /** [B·R, D]: per item [b_I, ĝ_T*, f̂_T1, (ĝ^m_T1)] */
  xI: GpuTensor;
  /** [B·R, D]: per item [b_T, ĝ_I, f̂_I, (ĝ^m_I)] */
  xT: GpuTensor;
  /** image bank I_all as row segments [n_k, D] (columns of the softmax, in order) */
  bankI: GpuTensor[];
  /** text bank T_all, segments with the same row counts as bankI */
  bankT: GpuTensor[];
}

/** Inputs of `k.losses.debias` (shapes as `DebiasLossInputs`). */
export interface DebiasInputs<T = Tensor> {
  /** [B·R, D]: per item [b_I, ĝ_T*, f̂_T1, (ĝ^m_T1)] */
  xI: T;
  /** [B·R, D]: per item [b_T, ĝ_I, f̂_I, (ĝ^m_I)] */
  xT: T;
  /** image bank as row segments [n_k, D] */
  bankI: T[];
  /** text bank, segments with the same row counts */
  bankT: T[];
}

/**
 * What `k.losses.debias` returns: the BA bank loss's batch means (float64, folded on the host) and the gradients
 * with respect to the query rows, as tensors of the calling backend.
 */
export interface DebiasResult<T = Tensor> {
  /** batch means; total = α(i2t + t2i)/2 + (1 − α)·ba */
  ba: number;
  i2t: number;
  t2i: number;
  total: number;
  /** [B·2, D] */
  dI: T;
  dT: T;
  /** WebGPU: peak bytes of the buffers the call allocated (outputs included); 0 on the CPU backend */
  peakBytes?: number;
}

/** Options of the BA bank loss (spec §2.4): temperatures, weights and the bank segments. */
export interface DebiasLossOptions extends DebiasLossHyper {
  /** query rows per item: 4 with the momentum rows (needed when mix > 0), 3 without (default 4) */
  rowsPerItem?: 3 | 4;
  /** bank rows per tile (default: as many as fit `tileBytes`) */
  tileCols?: number;
  /** bytes of one logit block S_I (default 32 MiB, at most the binding limit) */
  tileBytes?: number;
}

/** The BA bank loss and its gradients with respect to the inputs. */
export interface DebiasLossResult {
  /** batch means (float64 fold of the per-row terms) */
  ba: number;
  i2t: number;
  t2i: number;
  total: number;
  /** [B·2, D]: ∂L/∂xI rows 0, 1 per item */
  dI: GpuTensor;
  /** [B·2, D]: ∂L/∂xT rows 0, 1 per item */
  dT: GpuTensor;
  tileCols: number;
  tiles: number;
  /** peak bytes of the buffers this call allocated (outputs included, caller's inputs excluded) */
  peakBytes: number;
}

const DEFAULT_TILE_BYTES = 32 * 1024 * 1024;

class Mem {
  cur = 0;
  peak = 0;
  private live = new Set<GpuTensor>();
  add(t: GpuTensor): GpuTensor {
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
  freeAll(keep: GpuTensor[]): void {
    for (const t of [...this.live]) if (!keep.includes(t)) this.free(t);
  }
}

/** Host shape checks of the bank loss (shared with the CPU backend); returns B (items), D and N (bank rows). */
export function checkDebiasInputs(
  op: string,
  inp: { xI: Shaped; xT: Shaped; bankI: Shaped[]; bankT: Shaped[] },
  R: number,
  maxItems = Infinity,
): { B: number; D: number; N: number } {
  const { xI, xT, bankI, bankT } = inp;
  if (xI.shape.join() !== xT.shape.join())
    throw new ShapeError(`${op}: xI ${shapeStr(xI.shape)} and xT ${shapeStr(xT.shape)} differ`);
  const [rows, D] = xI.shape;
  if (rows < R || rows % R !== 0)
    throw new ShapeError(`${op}: xI has ${rows} rows, not a positive multiple of rowsPerItem = ${R}`);
  if (D < 1) throw new ShapeError(`${op}: D must be ≥ 1`);
  const B = rows / R;
  if (B > maxItems) throw new ShapeError(`${op}: B = ${B} exceeds ${maxItems} items`);
  if (bankI.length === 0 || bankI.length !== bankT.length)
    throw new ShapeError(`${op}: bankI and bankT need the same number (≥ 1) of segments`);
  let N = 0;
  for (let k = 0; k < bankI.length; k++) {
    const [a, b] = [bankI[k], bankT[k]];
    if (a.shape[1] !== D || b.shape[1] !== D)
      throw new ShapeError(`${op}: bank segment ${k} has ${a.shape[1]}/${b.shape[1]} columns, expected D = ${D}`);
    if (a.shape[0] !== b.shape[0])
      throw new ShapeError(`${op}: bank segment ${k}: bankI has ${a.shape[0]} rows, bankT ${b.shape[0]}`);
    N += a.shape[0];
  }
  if (N < 1) throw new ShapeError(`${op}: the banks are empty`);
  return { B, D, N };
}

// what `checkDebiasInputs` returns, without its checks: the unchecked bodies recompute it (the door checked)
function debiasDims(inp: { xI: Shaped; bankI: Shaped[] }, R: number): { B: number; D: number; N: number } {
  const [rows, D] = inp.xI.shape;
  return { B: rows / R, D, N: inp.bankI.reduce((n, b) => n + b.shape[0], 0) };
}

function namedInputs(inp: DebiasInputs): [string, Tensor][] {
  return [
    ['xI', inp.xI],
    ['xT', inp.xT],
    ...inp.bankI.map((b, k): [string, Tensor] => [`bankI[${k}]`, b]),
    ...inp.bankT.map((b, k): [string, Tensor] => [`bankT[${k}]`, b]),
  ];
}

/** The host checks of the bank loss (both backends): hyper-parameters, dtypes, ranks, shapes. */
export function checkDebiasLoss(inp: DebiasInputs, opts: DebiasLossOptions): { B: number; D: number; N: number } {
  const op = 'debiasLoss';
  const R = opts.rowsPerItem ?? 4;
  checkDebiasHyper(op, opts, R);
  for (const [name, t] of namedInputs(inp)) {
    if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32, got ${t.dtype}`);
    if (t.shape.length !== 2) throw new ShapeError(`${op}: ${name} must be rank 2, got ${shapeStr(t.shape)}`);
  }
  return checkDebiasInputs(op, inp, R);
}

/**
 * The BA bank loss (spec §2.4) and its input gradients on the GPU, the logits formed one bank tile at a time so the
 * batch × bank logit matrix never exists (the launcher behind `k.losses.debias`).
 * @param ctx - the WebGPU context that owns every input tensor.
 * @param inp - query rows `xI`, `xT` ([B·R, D], R = `rowsPerItem`) and the banks as row segments.
 * @param opts - temperatures, mixing weights and tiling (`DebiasLossOptions`).
 * @returns the loss means and ∂L/∂xI, ∂L/∂xT ([B·2, D]) plus the peak bytes allocated.
 * @throws ArgumentError for bad hyper-parameters, non-f32 inputs or a non-finite loss row; ShapeError for
 *   mismatched shapes.
 */
export async function debiasLoss(
  ctx: GpuContext,
  inp: DebiasLossInputs,
  opts: DebiasLossOptions,
): Promise<DebiasLossResult> {
  for (const [name, t] of namedInputs(inp) as [string, GpuTensor][]) {
    if (t.ctx !== ctx) throw new ArgumentError(`debiasLoss: ${name} belongs to another context`);
  }
  checkDebiasLoss(inp, opts);
  return debiasLossUnchecked(ctx, inp, opts);
}

async function debiasLossUnchecked(
  ctx: GpuContext,
  inp: DebiasLossInputs,
  opts: DebiasLossOptions,
): Promise<DebiasLossResult> {
  const op = 'debiasLoss';
  const R = opts.rowsPerItem ?? 4;
  const { xI, xT, bankI, bankT } = inp;
  const { B, D, N } = debiasDims(inp, R);
  if (B > MAX_WG) throw new ShapeError(`${op}: B = ${B} exceeds ${MAX_WG} items`);
  const limit = ctx.maxBindingSize - 256;
  const rowBytes = Math.max(R * B * 4, D * 4);
  if (rowBytes > limit)
    throw new ShapeError(
      `${op}: one logit column of ${R}·${B} rows exceeds the binding limit (${ctx.maxBindingSize} B)`,
    );
  let Tc: number;
  if (opts.tileCols !== undefined) {
    if (!(Number.isInteger(opts.tileCols) && opts.tileCols >= 1))
      throw new ArgumentError(`${op}: tileCols = ${opts.tileCols} must be an integer ≥ 1`);
    Tc = opts.tileCols;
  } else {
    Tc = Math.floor(Math.min(opts.tileBytes ?? DEFAULT_TILE_BYTES, limit) / (R * B * 4));
    if (Tc > 4) Tc -= Tc % 4; // vec4 matmul variants need K, N % 4 == 0
  }
  Tc = Math.max(1, Math.min(Tc, N, Math.floor(limit / rowBytes)));

  const mem = new Mem();
  const launch = (name: string, ds: (temps: GPUBuffer[]) => DispatchSpec) => {
    const temps: GPUBuffer[] = [];
    ctx.submit(`${op}.${name}`, [ds(temps)], temps);
  };
  const whole = (x: GpuTensor) => bindRange(x).resource;

  // tiles: [segment, first row, rows]
  const tiles: [number, number, number][] = [];
  for (let k = 0; k < bankI.length; k++)
    for (let r0 = 0; r0 < bankI[k].shape[0]; r0 += Tc) tiles.push([k, r0, Math.min(Tc, bankI[k].shape[0] - r0)]);
  const tileOf = (bank: GpuTensor, r0: number, n: number): GpuTensor => {
    if (r0 === 0 && n === bank.shape[0]) return bank;
    const t = mem.add(ctx.empty([n, D]));
    ctx.submit(`${op}.tile`, [], [], (enc) => enc.copyBufferToBuffer(bank.buffer, r0 * D * 4, t.buffer, 0, n * D * 4));
    return t;
  };
  // tileᵀ [D, n] straight from the segment, so the logits are an untransposed matmul (the fast variants)
  const transposedOf = (bank: GpuTensor, r0: number, n: number): GpuTensor => {
    const t = mem.add(ctx.empty([D, n]));
    const src = bindRange(bank, r0 * D, n * D);
    const params = { rows: n, cols: D, inBase: src.base, outBase: 0 };
    const workgroups: [number, number] = [ceilDiv(D, TR), ceilDiv(n, TR)];
    const bindings = { In: src.resource, Out: whole(t) };
    launch('transpose', (temps) =>
      transposeKernel.dispatch(ctx, { op: `${op}.transpose`, spec: {}, params, bindings, workgroups, temps }),
    );
    return t;
  };
  const params = (cols: number, first: boolean) => ({
    B,
    R,
    cols,
    first: first ? 1 : 0,
    invTau: 1 / opts.tau,
    sBa: (1 - opts.alpha) / B,
    sCd: (0.5 * opts.alpha) / B,
    mix: opts.mix,
  });

  const stat = mem.add(ctx.zeros([B * STAT_STRIDE]));
  let dI: GpuTensor | null = null;
  let dT: GpuTensor | null = null;
  try {
    for (let sweep = 0; sweep < 2; sweep++) {
      for (let ti = 0; ti < tiles.length; ti++) {
        const [k, r0, n] = tiles[ti];
        const tIt = transposedOf(bankI[k], r0, n);
        const tTt = transposedOf(bankT[k], r0, n);
        const SI = mem.add(matmul(ctx, xI, tIt));
        const ST = mem.add(matmul(ctx, xT, tTt));
        mem.free(tIt);
        mem.free(tTt);
        if (sweep === 0) {
          const bindings = { SI: whole(SI), ST: whole(ST), Stat: whole(stat) };
          const p = params(n, ti === 0);
          launch('stats', (temps) =>
            statsKernel.dispatch(ctx, { op: `${op}.stats`, spec: {}, params: p, bindings, workgroups: [B], temps }),
          );
        } else {
          const GI = mem.add(ctx.empty([2 * B, n]));
          const GT = mem.add(ctx.empty([2 * B, n]));
          const bindings = { SI: whole(SI), ST: whole(ST), Stat: whole(stat), GI: whole(GI), GT: whole(GT) };
          const p = params(n, false);
          launch('grad', (temps) =>
            gradKernel.dispatch(ctx, { op: `${op}.grad`, spec: {}, params: p, bindings, workgroups: [B], temps }),
          );
          mem.free(SI);
          mem.free(ST);
          const tI = tileOf(bankI[k], r0, n);
          const tT = tileOf(bankT[k], r0, n);
          const pI = mem.add(matmul(ctx, GI, tI));
          const pT = mem.add(matmul(ctx, GT, tT));
          if (tI !== bankI[k]) mem.free(tI);
          if (tT !== bankT[k]) mem.free(tT);
          mem.free(GI);
          mem.free(GT);
          if (!dI) dI = pI;
          else {
            accumulate(ctx, dI, pI, `${op}.accumulate`);
            mem.free(pI);
          }
          if (!dT) dT = pT;
          else {
            accumulate(ctx, dT, pT, `${op}.accumulate`);
            mem.free(pT);
          }
        }
        mem.free(SI);
        mem.free(ST);
      }
    }
    const st = await stat.read();
    mem.freeAll([dI!, dT!]);
    const { ba, i2t, t2i } = foldDebiasStats(op, st, B, opts);
    return {
      ba,
      i2t,
      t2i,
      total: opts.alpha * 0.5 * (i2t + t2i) + (1 - opts.alpha) * ba,
      dI: dI!,
      dT: dT!,
      tileCols: Tc,
      tiles: tiles.length,
      peakBytes: mem.peak,
    };
  } catch (e) {
    mem.freeAll([]);
    throw e;
  }
}

/**
 * Per-row state → batch means in float64; a non-finite row is an ArgumentError naming it.
 * @param op - op name for the error message.
 * @param st - the [B, 20] per-row state read back from the `stats` kernel.
 * @param B - batch rows.
 * @param h - the loss hyper-parameters (τ, α, mix).
 * @returns the batch means of the BA (KL) term and of the two cross-entropy directions.
 * @throws ArgumentError naming the first batch row whose loss is not finite.
 */
export function foldDebiasStats(
  op: string,
  st: ArrayLike<number>,
  B: number,
  h: DebiasLossHyper,
): { ba: number; i2t: number; t2i: number } {
  let ba = 0;
  let i2t = 0;
  let t2i = 0;
  for (let i = 0; i < B; i++) {
    const o = i * STAT_STRIDE;
    const kl = st[o + 16] / st[o + 12] - Math.log(st[o + 12]) + Math.log(st[o + 8]);
    const ci = st[o + 17];
    const ct = st[o + 18];
    if (!Number.isFinite(kl) || !Number.isFinite(ci) || !Number.isFinite(ct)) {
      throw new ArgumentError(
        `${op}: batch row ${i}: the loss is not finite (non-finite inputs, or logits out of range for τ = ${h.tau})`,
      );
    }
    ba += kl;
    i2t += ci;
    t2i += ct;
  }
  return { ba: ba / B, i2t: i2t / B, t2i: t2i / B };
}

/**
 * The debias module's bank loss (spec §2.4) and ∂/∂xI, ∂/∂xT (`debiasLoss`; banks as row segments). Non-finite
 * rows: ArgumentError. The WebGPU result also reports its tiling (`DebiasLossResult`).
 */
export const debiasLossOp: OpDeclaration<(inp: DebiasInputs, opts: DebiasLossOptions) => Promise<DebiasResult>> =
  defineOp<(inp: DebiasInputs, opts: DebiasLossOptions) => Promise<DebiasResult>>({
    name: 'debiasLoss',
    async: true,
    check: (inp, opts) => void checkDebiasLoss(inp, opts),
    webgpu: debiasLossUnchecked,
    cpu: async (inp, opts) => {
      const op = 'debiasLoss';
      const R = opts.rowsPerItem ?? 4;
      const { B, D, N } = debiasDims(inp, R);
      const cat = (segs: CpuTensor[]) => {
        const out = new Float64Array(N * D);
        let o = 0;
        for (const g of segs) {
          out.set(g.data, o);
          o += g.size;
        }
        return out;
      };
      const r = debiasLossRefUnchecked(inp.xI.data, inp.xT.data, cat(inp.bankI), cat(inp.bankT), B, R, N, D, opts);
      for (let i = 0; i < B; i++) {
        if (!Number.isFinite(r.rowKl[i]) || !Number.isFinite(r.rowI2t[i]) || !Number.isFinite(r.rowT2i[i])) {
          const why = `non-finite inputs, or logits out of range for τ = ${opts.tau}`;
          throw new ArgumentError(`${op}: batch row ${i}: the loss is not finite (${why})`);
        }
      }
      const { ba, i2t, t2i, total } = r;
      return { ba, i2t, t2i, total, dI: cpuF32(r.dI, [B * 2, D]), dT: cpuF32(r.dT, [B * 2, D]) };
    },
  });
