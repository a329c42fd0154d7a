// The float64 reference trainer: the same step as the GPU engine (towers → loss → clip → AdamW) with the
// kernels' float64 references. Used by the CPU backend and as the oracle in tests.
import { ArgumentError } from '@m4kit/kernels';
import { biasActBackwardRef, geluGradRef, geluRef, ref } from '@m4kit/kernels/advanced';
import { gatherHost, type Layout, type ResolvedConfig, type ResolvedStage } from './core.js';
import type { Engine, EngineInit, StepResult } from './engine.js';

/** C = A·B (row-major, float64, i-k-j order) */
function mm(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const av = a[i * K + k];
      if (av === 0) continue;
      const o = k * N;
      const r = i * N;
      for (let j = 0; j < N; j++) c[r + j] += av * b[o + j];
    }
  }
  return c;
}

interface TowerCache {
  /** input of each layer */
  h: Float64Array[];
  /** pre-activation of each layer (x·W + b) */
  z: Float64Array[];
}

function towerForward(
  layers: [number, number][],
  P: (l: number) => { W: Float64Array; b: Float64Array },
  x: ArrayLike<number>,
  B: number,
): { out: Float64Array; cache: TowerCache } {
  const cache: TowerCache = { h: [], z: [] };
  let h: Float64Array = Float64Array.from(x);
  layers.forEach(([din, dout], l) => {
    const { W, b } = P(l);
    const z = mm(h, W, B, din, dout);
    for (let i = 0; i < B; i++) for (let j = 0; j < dout; j++) z[i * dout + j] += b[j];
    cache.h.push(h);
    cache.z.push(z);
    h = l < layers.length - 1 ? z.map(geluRef) : z;
  });
  return { out: h, cache };
}

function transpose(a: Float64Array, r: number, c: number): Float64Array {
  const t = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j];
  return t;
}

function towerBackward(
  layers: [number, number][],
  P: (l: number) => { W: Float64Array; b: Float64Array },
  cache: TowerCache,
  dOut: Float64Array,
  B: number,
): { dW: Float64Array; db: Float64Array }[] {
  const grads: { dW: Float64Array; db: Float64Array }[] = new Array(layers.length);
  let dh = dOut;
  for (let l = layers.length - 1; l >= 0; l--) {
    const [din, dout] = layers[l];
    const dz = l < layers.length - 1 ? dh.map((g, k) => g * geluGradRef(cache.z[l][k])) : dh;
    const db = biasActBackwardRef(dz, null, B, dout, null, 'none').dbias;
    const dW = mm(transpose(cache.h[l], B, din), dz, din, B, dout);
    grads[l] = { dW, db };
    if (l > 0) dh = mm(dz, transpose(P(l).W, din, dout), B, dout, din);
  }
  return grads;
}

export class RefEngine implements Engine {
  readonly dtype = 'F64' as const;
  private P: Float64Array[];
  private M: Float64Array[];
  private V: Float64Array[];
  private grads: Float64Array[] | null = null;
  private readonly cfg: ResolvedConfig;
  private readonly layout: Layout;
  private readonly index: Map<string, number>;

  constructor(
    init: EngineInit,
    private readonly stages: ResolvedStage[],
  ) {
    this.cfg = init.cfg;
    this.layout = init.layout;
    this.P = init.params.map((p) => Float64Array.from(p));
    this.M = this.P.map((p) => new Float64Array(p.length));
    this.V = this.P.map((p) => new Float64Array(p.length));
    this.index = new Map(this.layout.params.map((p, i) => [p.name, i]));
  }

  private tp(tower: 'image' | 'text') {
    return (l: number) => ({
      W: this.P[this.index.get(`${tower}.${l}.weight`)!],
      b: this.P[this.index.get(`${tower}.${l}.bias`)!],
    });
  }

  async step(i: number, lr: number, stage: number, idx: Uint32Array, log: boolean): Promise<StepResult | undefined> {
    const d = this.stages[stage].data;
    const B = idx.length;
    const { cfg, layout } = this;
    const fi = towerForward(layout.towers.image, this.tp('image'), gatherHost(d.image, d.imageDim, idx), B);
    const ft = towerForward(layout.towers.text, this.tp('text'), gatherHost(d.text, d.textDim, idx), B);
    const weights = d.weights ? Array.from(idx, (r) => d.weights![r]) : undefined;
    const t = this.P[this.index.get('logit_scale')!][0];
    const L =
      cfg.loss === 'clip'
        ? { ...ref.clipLossRef(fi.out, ft.out, B, cfg.outDim, t, { weights }), db: 0 }
        : ref.siglipLossRef(fi.out, ft.out, B, cfg.outDim, t, this.P[this.index.get('logit_bias')!][0], { weights });
    const gi = towerBackward(layout.towers.image, this.tp('image'), fi.cache, L.dU, B);
    const gt = towerBackward(layout.towers.text, this.tp('text'), ft.cache, L.dW, B);
    const grads = layout.params.map((p) => {
      if (p.name === 'logit_scale') return Float64Array.of(L.dt);
      if (p.name === 'logit_bias') return Float64Array.of(L.db);
      const [tw, l, kind] = p.name.split('.');
      const g = (tw === 'image' ? gi : gt)[Number(l)];
      return kind === 'weight' ? g.dW : g.db;
    });
    this.grads = grads.map((g) => g.slice());
    let clipped = grads;
    let norm: number | undefined;
    if (cfg.clipNorm !== null) {
      const c = ref.clipGradNormRef(grads, cfg.clipNorm);
      clipped = c.grads;
      norm = c.norm;
    }
    layout.params.forEach((p, k) => {
      const r = ref.adamwRef(this.P[k], clipped[k], this.M[k], this.V[k], i + 1, {
        lr,
        beta1: cfg.beta1,
        beta2: cfg.beta2,
        eps: cfg.eps,
        weightDecay: p.decay ? cfg.weightDecay : 0,
      });
      this.P[k] = r.params;
      this.M[k] = r.m;
      this.V[k] = r.v;
    });
    if (!Number.isFinite(L.loss)) throw new ArgumentError(`train: the loss is not finite at step ${i + 1}`);
    return log ? { loss: L.loss, gradNorm: norm, scale: Math.exp(t) } : undefined;
  }

  async lastGrads(): Promise<Float64Array[]> {
    if (!this.grads) throw new ArgumentError('lastGrads: no step yet');
    return this.grads;
  }

  async getState() {
    return { params: this.P, m: this.M, v: this.V };
  }

  setState(s: { params: ArrayLike<number>[]; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void {
    this.P = s.params.map((x) => Float64Array.from(x));
    this.M = s.m.map((x) => Float64Array.from(x));
    this.V = s.v.map((x) => Float64Array.from(x));
  }

  async embed(tower: 'image' | 'text', x: Float32Array, n: number): Promise<Float32Array> {
    const out = towerForward(this.layout.towers[tower], this.tp(tower), x, n).out;
    return Float32Array.from(ref.l2normalizeRef(out, n, this.cfg.outDim));
  }

  dispose(): void {}
}
