// The WebGPU trainer. A step: gather the minibatch rows from device-resident features → each tower
// (matmul, bias + GELU, …) → CLIP / SigLIP loss with gradients (no status read-back) → tower backward (fused
// GELU′ + bias column sums, matmuls) → global grad-norm clip (device-side scale) → AdamW in place.
// The host only uploads the batch indices (and per-example weights); nothing is read back except, on
// logged steps, one packed record (loss, grad norm, t, loss status word).
import { ArgumentError, type Kernels, type Tensor } from '@m4kit/kernels';
import { lossStatusError } from '@m4kit/kernels/advanced';
import { gatherHost, type Layout, type ResolvedConfig, type ResolvedStage } from './core.js';
import type { Engine, EngineInit, StepResult } from './engine.js';

interface StageData {
  image: Tensor | null;
  text: Tensor | null;
}

export class GpuEngine implements Engine {
  readonly dtype = 'F32' as const;
  private P: Tensor[];
  private M: Tensor[];
  private V: Tensor[];
  private grads: Tensor[] | null = null;
  private readonly cfg: ResolvedConfig;
  private readonly layout: Layout;
  private readonly index: Map<string, number>;
  private readonly stageData = new Map<number, StageData>();
  private readonly keepGrads: boolean;

  constructor(
    private readonly k: Kernels,
    init: EngineInit,
    private readonly stages: ResolvedStage[],
  ) {
    this.cfg = init.cfg;
    this.layout = init.layout;
    this.keepGrads = !!init.keepGrads;
    this.P = this.layout.params.map((p, i) => k.tensor(Float32Array.from(init.params[i]), p.shape));
    this.M = this.layout.params.map((p) => k.zeros(p.shape));
    this.V = this.layout.params.map((p) => k.zeros(p.shape));
    this.index = new Map(this.layout.params.map((p, i) => [p.name, i]));
  }

  private param(name: string): Tensor {
    return this.P[this.index.get(name)!];
  }

  /** features stay on the device when they fit one binding; otherwise the batch is gathered on the host */
  private features(stage: number): StageData {
    let s = this.stageData.get(stage);
    if (!s) {
      const d = this.stages[stage].data;
      const fits = (a: Float32Array) => a.length * 4 <= this.k.maxBindingSize - 256;
      s = {
        image: fits(d.image) ? this.k.tensor(d.image, [d.n, d.imageDim]) : null,
        text: fits(d.text) ? this.k.tensor(d.text, [d.n, d.textDim]) : null,
      };
      // a stage's features are released once training has moved past it
      for (const [st, old] of this.stageData) {
        if (st < stage) {
          old.image?.dispose();
          old.text?.dispose();
          this.stageData.delete(st);
        }
      }
      this.stageData.set(stage, s);
    }
    return s;
  }

  /** forward one tower; returns the output and what the backward needs (layer inputs, pre-bias outputs) */
  private forward(tower: 'image' | 'text', x: Tensor, temps: Tensor[]): { out: Tensor; h: Tensor[]; a: Tensor[] } {
    const layers = this.layout.towers[tower];
    const h: Tensor[] = [];
    const a: Tensor[] = [];
    let cur = x;
    layers.forEach((_, l) => {
      h.push(cur);
      const pre = this.k.matmul(cur, this.param(`${tower}.${l}.weight`));
      temps.push(pre);
      a.push(pre);
      cur = this.k.mlp.biasAct(pre, this.param(`${tower}.${l}.bias`), l < layers.length - 1 ? 'gelu' : 'none');
      temps.push(cur);
    });
    return { out: cur, h, a };
  }

  private backward(
    tower: 'image' | 'text',
    f: { h: Tensor[]; a: Tensor[] },
    dOut: Tensor,
    grads: Map<string, Tensor>,
    temps: Tensor[],
  ): void {
    const layers = this.layout.towers[tower];
    let dh = dOut;
    for (let l = layers.length - 1; l >= 0; l--) {
      const last = l === layers.length - 1;
      const bias = last ? null : this.param(`${tower}.${l}.bias`);
      const r = this.k.mlp.biasActBackward(dh, last ? null : f.a[l], bias, last ? 'none' : 'gelu');
      const dz = r.dx ?? dh;
      if (r.dx) temps.push(r.dx);
      grads.set(`${tower}.${l}.bias`, r.dbias);
      grads.set(`${tower}.${l}.weight`, this.k.matmul(f.h[l], dz, { transA: true }));
      if (l > 0) {
        dh = this.k.matmul(dz, this.param(`${tower}.${l}.weight`), { transB: true });
        temps.push(dh);
      }
    }
  }

  async step(i: number, lr: number, stage: number, idx: Uint32Array, log: boolean): Promise<StepResult | undefined> {
    const { k, cfg } = this;
    const d = this.stages[stage].data;
    const B = idx.length;
    const temps: Tensor[] = [];
    const feat = this.features(stage);
    const idxT = k.tensor(idx, [B], 'u32');
    temps.push(idxT);
    const xi = feat.image
      ? k.mlp.gatherRows(feat.image, idxT)
      : k.tensor(gatherHost(d.image, d.imageDim, idx), [B, d.imageDim]);
    const xt = feat.text
      ? k.mlp.gatherRows(feat.text, idxT)
      : k.tensor(gatherHost(d.text, d.textDim, idx), [B, d.textDim]);
    temps.push(xi, xt);
    let wT: Tensor | undefined;
    if (d.weights) {
      const w = new Float32Array(B);
      let s = 0;
      for (let j = 0; j < B; j++) s += w[j] = d.weights[idx[j]];
      if (!(s > 0))
        throw new ArgumentError(`train: every example in the batch of step ${i + 1} has weight 0 (Σω must be > 0)`);
      wT = k.tensor(w, [B]);
      temps.push(wT);
    }
    const fi = this.forward('image', xi, temps);
    const ft = this.forward('text', xt, temps);
    const tT = this.param('logit_scale');
    const lossOpts = { check: false, weights: wT };
    const L =
      cfg.loss === 'clip'
        ? await k.losses.clip(fi.out, ft.out, tT, lossOpts)
        : await k.losses.siglip(fi.out, ft.out, tT, this.param('logit_bias'), lossOpts);
    temps.push(L.loss, L.dU, L.dW, L.status);
    const grads = new Map<string, Tensor>();
    this.backward('image', fi, L.dU, grads, temps);
    this.backward('text', ft, L.dW, grads, temps);
    grads.set('logit_scale', L.dt);
    if ('db' in L) grads.set('logit_bias', (L as { db: Tensor }).db);
    const list = this.layout.params.map((p) => grads.get(p.name)!);
    if (this.keepGrads) {
      for (const g of this.grads ?? []) g.dispose();
      this.grads = list.map((g) => {
        const c = k.empty(g.shape);
        k.copy(g, c);
        return c;
      });
    }
    let norm: Tensor | null = null;
    if (cfg.clipNorm !== null) {
      const c = k.optim.clipGradNorm(list, cfg.clipNorm);
      norm = c.norm;
      temps.push(c.norm, c.scale);
    }
    // the packed log record is copied before the update so t is the value this step used
    let rec: Tensor | null = null;
    if (log) {
      // [loss, grad norm, t, 0, status word ×4 (u32 bits)]
      rec = k.zeros([8]);
      k.copy(L.loss, rec, { count: 1 });
      if (norm) k.copy(norm, rec, { dstOffset: 1, count: 1 });
      k.copy(tT, rec, { dstOffset: 2, count: 1 });
      k.copy(L.status, rec, { dstOffset: 4, count: 4 });
    }
    this.layout.params.forEach((p, j) => {
      const options = {
        lr,
        beta1: cfg.beta1,
        beta2: cfg.beta2,
        eps: cfg.eps,
        weightDecay: p.decay ? cfg.weightDecay : 0,
      };
      k.optim.adamw(this.P[j], list[j], this.M[j], this.V[j], i + 1, options);
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
    const rd = async (ts: Tensor[]) => {
      const out: Float32Array[] = [];
      for (const t of ts) out.push((await t.read()) as Float32Array);
      return out;
    };
    return { params: await rd(this.P), m: await rd(this.M), v: await rd(this.V) };
  }

  setState(s: { params: ArrayLike<number>[]; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void {
    const put = (ts: Tensor[], src: ArrayLike<number>[]) =>
      ts.map((t, j) => {
        t.dispose();
        return this.k.tensor(Float32Array.from(src[j]), t.shape);
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
    const chunk = Math.max(1, Math.min(8192, Math.floor((this.k.maxBindingSize - 256) / 4 / widest)));
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const rc = Math.min(chunk, n - r0);
      const temps: Tensor[] = [];
      const X = this.k.tensor(x.subarray(r0 * din, (r0 + rc) * din), [rc, din]);
      temps.push(X);
      const f = this.forward(tower, X, temps);
      const E = this.k.l2normalize(f.out);
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
