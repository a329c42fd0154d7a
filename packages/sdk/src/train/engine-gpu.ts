// The WebGPU trainer. A step: gather the minibatch rows from device-resident features → each tower
// (matmul, bias + GELU, …) → CLIP / SigLIP loss with gradients (no status read-back) → tower backward (fused
// GELU′ + bias column sums, matmuls) → global grad-norm clip (device-side scale) → AdamW in place.
// The host only uploads the batch indices (and per-example weights); nothing is read back except, on
// logged steps, one packed record (loss, grad norm, t, loss status word).
import {
  adamw,
  ArgumentError,
  biasAct,
  biasActBackward,
  clipGradNorm,
  clipLoss,
  gatherRows,
  l2normalize,
  lossStatusError,
  matmul,
  siglipLoss,
  type GpuContext,
  type GpuTensor,
} from '@m4kit/kernels';
import { gatherHost, type Layout, type ResolvedConfig, type ResolvedStage } from './core.js';
import type { Engine, EngineInit, StepResult } from './engine.js';

interface StageData {
  image: GpuTensor | null;
  text: GpuTensor | null;
}

export class GpuEngine implements Engine {
  readonly dtype = 'F32' as const;
  private P: GpuTensor[];
  private M: GpuTensor[];
  private V: GpuTensor[];
  private grads: GpuTensor[] | null = null;
  private readonly cfg: ResolvedConfig;
  private readonly layout: Layout;
  private readonly index: Map<string, number>;
  private readonly stageData = new Map<number, StageData>();
  private readonly keepGrads: boolean;

  constructor(
    private readonly ctx: GpuContext,
    init: EngineInit,
    private readonly stages: ResolvedStage[],
  ) {
    this.cfg = init.cfg;
    this.layout = init.layout;
    this.keepGrads = !!init.keepGrads;
    this.P = this.layout.params.map((p, k) => ctx.tensor(Float32Array.from(init.params[k]), p.shape));
    this.M = this.layout.params.map((p) => ctx.zeros(p.shape));
    this.V = this.layout.params.map((p) => ctx.zeros(p.shape));
    this.index = new Map(this.layout.params.map((p, i) => [p.name, i]));
  }

  private param(name: string): GpuTensor {
    return this.P[this.index.get(name)!];
  }

  /** features stay on the device when they fit one binding; otherwise the batch is gathered on the host */
  private features(stage: number): StageData {
    let s = this.stageData.get(stage);
    if (!s) {
      const d = this.stages[stage].data;
      const fits = (a: Float32Array) => a.length * 4 <= this.ctx.maxBindingSize - 256;
      s = {
        image: fits(d.image) ? this.ctx.tensor(d.image, [d.n, d.imageDim]) : null,
        text: fits(d.text) ? this.ctx.tensor(d.text, [d.n, d.textDim]) : null,
      };
      // a stage's features are released once training has moved past it
      for (const [k, old] of this.stageData) {
        if (k < stage) {
          old.image?.dispose();
          old.text?.dispose();
          this.stageData.delete(k);
        }
      }
      this.stageData.set(stage, s);
    }
    return s;
  }

  /** forward one tower; returns the output and what the backward needs (layer inputs, pre-bias outputs) */
  private forward(tower: 'image' | 'text', x: GpuTensor, temps: GpuTensor[]): { out: GpuTensor; h: GpuTensor[]; a: GpuTensor[] } {
    const layers = this.layout.towers[tower];
    const h: GpuTensor[] = [];
    const a: GpuTensor[] = [];
    let cur = x;
    layers.forEach((_, l) => {
      h.push(cur);
      const pre = matmul(this.ctx, cur, this.param(`${tower}.${l}.weight`));
      temps.push(pre);
      a.push(pre);
      cur = biasAct(this.ctx, pre, this.param(`${tower}.${l}.bias`), l < layers.length - 1 ? 'gelu' : 'none');
      temps.push(cur);
    });
    return { out: cur, h, a };
  }

  private backward(tower: 'image' | 'text', f: { h: GpuTensor[]; a: GpuTensor[] }, dOut: GpuTensor, grads: Map<string, GpuTensor>, temps: GpuTensor[]): void {
    const layers = this.layout.towers[tower];
    let dh = dOut;
    for (let l = layers.length - 1; l >= 0; l--) {
      const last = l === layers.length - 1;
      const r = biasActBackward(this.ctx, dh, last ? null : f.a[l], last ? null : this.param(`${tower}.${l}.bias`), last ? 'none' : 'gelu');
      const dz = r.dx ?? dh;
      if (r.dx) temps.push(r.dx);
      grads.set(`${tower}.${l}.bias`, r.dbias);
      grads.set(`${tower}.${l}.weight`, matmul(this.ctx, f.h[l], dz, { transA: true }));
      if (l > 0) {
        dh = matmul(this.ctx, dz, this.param(`${tower}.${l}.weight`), { transB: true });
        temps.push(dh);
      }
    }
  }

  async step(i: number, lr: number, stage: number, idx: Uint32Array, log: boolean): Promise<StepResult | undefined> {
    const { ctx, cfg } = this;
    const d = this.stages[stage].data;
    const B = idx.length;
    const temps: GpuTensor[] = [];
    const feat = this.features(stage);
    const idxT = ctx.tensor(idx, [B], 'u32');
    temps.push(idxT);
    const xi = feat.image ? gatherRows(ctx, feat.image, idxT) : ctx.tensor(gatherHost(d.image, d.imageDim, idx), [B, d.imageDim]);
    const xt = feat.text ? gatherRows(ctx, feat.text, idxT) : ctx.tensor(gatherHost(d.text, d.textDim, idx), [B, d.textDim]);
    temps.push(xi, xt);
    let wT: GpuTensor | undefined;
    if (d.weights) {
      const w = new Float32Array(B);
      let s = 0;
      for (let k = 0; k < B; k++) s += w[k] = d.weights[idx[k]];
      if (!(s > 0)) throw new ArgumentError(`train: every example in the batch of step ${i + 1} has weight 0 (Σω must be > 0)`);
      wT = ctx.tensor(w, [B]);
      temps.push(wT);
    }
    const fi = this.forward('image', xi, temps);
    const ft = this.forward('text', xt, temps);
    const tT = this.param('logit_scale');
    const L = cfg.loss === 'clip' ? await clipLoss(ctx, fi.out, ft.out, tT, { check: false, weights: wT }) : await siglipLoss(ctx, fi.out, ft.out, tT, this.param('logit_bias'), { check: false, weights: wT });
    temps.push(L.loss, L.dU, L.dW, L.status);
    const grads = new Map<string, GpuTensor>();
    this.backward('image', fi, L.dU, grads, temps);
    this.backward('text', ft, L.dW, grads, temps);
    grads.set('logit_scale', L.dt);
    if ('db' in L) grads.set('logit_bias', (L as { db: GpuTensor }).db);
    const list = this.layout.params.map((p) => grads.get(p.name)!);
    if (this.keepGrads) {
      for (const g of this.grads ?? []) g.dispose();
      this.grads = list.map((g) => {
        const c = ctx.empty(g.shape);
        ctx.submit('train.keepgrad', [], [], (enc) => enc.copyBufferToBuffer(g.buffer, 0, c.buffer, 0, g.size * 4));
        return c;
      });
    }
    let norm: GpuTensor | null = null;
    if (cfg.clipNorm !== null) {
      const c = clipGradNorm(ctx, list, cfg.clipNorm);
      norm = c.norm;
      temps.push(c.norm, c.scale);
    }
    // the packed log record is copied before the update so t is the value this step used
    let rec: GpuTensor | null = null;
    if (log) {
      rec = ctx.zeros([8]);
      ctx.submit('train.log', [], [], (enc) => {
        enc.copyBufferToBuffer(L.loss.buffer, 0, rec!.buffer, 0, 4);
        if (norm) enc.copyBufferToBuffer(norm.buffer, 0, rec!.buffer, 4, 4);
        enc.copyBufferToBuffer(tT.buffer, 0, rec!.buffer, 8, 4);
        enc.copyBufferToBuffer(L.status.buffer, 0, rec!.buffer, 16, 16);
      });
    }
    this.layout.params.forEach((p, k) => {
      adamw(ctx, this.P[k], list[k], this.M[k], this.V[k], i + 1, { lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: p.decay ? cfg.weightDecay : 0 });
    });
    for (const g of list) temps.push(g);
    for (const t of temps) t.dispose();
    if (!rec) return undefined;
    const r = (await rec.read()) as Float32Array;
    rec.dispose();
    const st = new Uint32Array(r.buffer, r.byteOffset + 16, 4);
    const err = lossStatusError(cfg.loss === 'clip' ? 'clipLoss' : 'siglipLoss', st);
    if (err) throw new ArgumentError(`train: step ${i + 1}: ${err.message}`);
    if (!Number.isFinite(r[0])) throw new ArgumentError(`train: the loss is not finite at step ${i + 1}`);
    return { loss: r[0], gradNorm: norm ? r[1] : undefined, scale: Math.exp(r[2]) };
  }

  async lastGrads(): Promise<Float64Array[]> {
    if (!this.grads) throw new ArgumentError('lastGrads: no step yet (create the engine with keepGrads)');
    const out: Float64Array[] = [];
    for (const g of this.grads) out.push(Float64Array.from(await g.read()));
    return out;
  }

  async getState() {
    const rd = async (ts: GpuTensor[]) => {
      const out: Float32Array[] = [];
      for (const t of ts) out.push((await t.read()) as Float32Array);
      return out;
    };
    return { params: await rd(this.P), m: await rd(this.M), v: await rd(this.V) };
  }

  setState(s: { params: ArrayLike<number>[]; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void {
    const put = (ts: GpuTensor[], src: ArrayLike<number>[]) => ts.map((t, k) => {
      t.dispose();
      return this.ctx.tensor(Float32Array.from(src[k]), t.shape);
    });
    this.P = put(this.P, s.params);
    this.M = put(this.M, s.m);
    this.V = put(this.V, s.v);
  }

  async embed(tower: 'image' | 'text', x: Float32Array, n: number): Promise<Float32Array> {
    const din = this.layout.towers[tower][0][0];
    const D = this.cfg.outDim;
    const out = new Float32Array(n * D);
    const widest = Math.max(din, D, ...this.layout.towers[tower].map((l) => l[1]));
    const chunk = Math.max(1, Math.min(8192, Math.floor((this.ctx.maxBindingSize - 256) / 4 / widest)));
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const rc = Math.min(chunk, n - r0);
      const temps: GpuTensor[] = [];
      const X = this.ctx.tensor(x.subarray(r0 * din, (r0 + rc) * din), [rc, din]);
      temps.push(X);
      const f = this.forward(tower, X, temps);
      const E = l2normalize(this.ctx, f.out);
      out.set((await E.read()) as Float32Array, r0 * D);
      E.dispose();
      for (const t of temps) t.dispose();
    }
    return out;
  }

  dispose(): void {
    for (const t of [...this.P, ...this.M, ...this.V, ...(this.grads ?? [])]) t.dispose();
    for (const s of this.stageData.values()) {
      s.image?.dispose();
      s.text?.dispose();
    }
    this.stageData.clear();
  }
}
