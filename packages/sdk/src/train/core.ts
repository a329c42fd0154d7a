// Host-side pieces shared by the GPU trainer and the float64 reference: config validation (before any GPU
// work), the parameter layout and its seeded initialisation, the deterministic sampler and the LR schedule.
import { ArgumentError, ShapeError } from '@m4kit/kernels';
import type { PairedData, TowerConfig, TrainConfig, TrainStage } from './types.js';

/** A bad train() configuration or data set: thrown on the host before any GPU work. */
export class TrainConfigError extends ArgumentError {}

/**
 * Every train default in one place: the optional TrainOptions fields, and the CLI's values for the fields the SDK
 * requires (loss, outDim, batchSize, steps, lr) and for its schedule options.
 */
export interface TrainDefaults {
  readonly loss: 'clip' | 'siglip';
  readonly outDim: number;
  readonly batchSize: number;
  readonly steps: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly warmupSteps: number;
  readonly seed: number;
  readonly logEvery: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly initLogScale: { readonly clip: number; readonly siglip: number };
  readonly initBias: { readonly clip: number; readonly siglip: number };
  readonly switchAt: number;
  readonly sampling: 'keep' | 'weights';
}

// explicitly typed: JSR's publish check refuses inferred types in the public API (`Math.log` is not inferable)
/**
 * Every `train()` default.
 */
export const TRAIN_DEFAULTS: TrainDefaults = Object.freeze({
  loss: 'clip' as 'clip' | 'siglip',
  outDim: 256,
  batchSize: 4096,
  steps: 1000,
  lr: 1e-3,
  weightDecay: 0.01,
  warmupSteps: 0,
  seed: 0,
  logEvery: 10,
  /** AdamW moments and ε (PyTorch defaults) */
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  /** initial log-scale t: CLIP ln(1/0.07), SigLIP ln 10; SigLIP bias −10 (CLIP has none: 0) */
  initLogScale: { clip: Math.log(1 / 0.07), siglip: Math.log(10) },
  initBias: { clip: 0, siglip: -10 },
  /** CLI: two-stage switch point, q as keep probabilities */
  switchAt: 0.5,
  sampling: 'keep' as 'keep' | 'weights',
});

/**
 * A `train()` configuration after `resolveTrainOptions`: every field checked and defaulted.
 */
export interface ResolvedConfig {
  loss: 'clip' | 'siglip';
  outDim: number;
  image: TowerConfig;
  text: TowerConfig;
  batchSize: number;
  steps: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  clipNorm: number | null;
  seed: number;
  logEvery: number;
  beta1: number;
  beta2: number;
  eps: number;
  initLogScale: number;
  initBias: number;
}

/** the *Options name of ResolvedConfig */
export type ResolvedTrainOptions = ResolvedConfig;

/**
 * One training stage after validation: its data and global step range.
 */
export interface ResolvedStage {
  data: PairedData;
  /** global steps [start, end) */
  start: number;
  end: number;
}

const isInt = (x: unknown, min: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= min;
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * Checks a train() configuration and fills TRAIN_DEFAULTS (the one place train options are resolved).
 * @param c - the configuration as users set it.
 * @returns the resolved configuration.
 * @throws TrainConfigError naming the bad setting.
 */
export function resolveTrainOptions(c: TrainConfig): ResolvedConfig {
  const D = TRAIN_DEFAULTS;
  const e = (m: string) => new TrainConfigError(`train: ${m}`);
  if (!c || typeof c !== 'object') throw e('config must be an object');
  if (c.loss !== 'clip' && c.loss !== 'siglip') throw e(`unknown loss "${String(c.loss)}" (use 'clip' or 'siglip')`);
  if (!isInt(c.outDim, 1)) throw e(`outDim = ${c.outDim} must be an integer ≥ 1`);
  if (!isInt(c.batchSize, 1)) throw e(`batchSize = ${c.batchSize} must be an integer ≥ 1`);
  if (!isInt(c.steps, 1)) throw e(`steps = ${c.steps} must be an integer ≥ 1`);
  if (!(finite(c.lr) && c.lr >= 0)) throw e(`lr = ${c.lr} must be finite and ≥ 0`);
  const wd = c.weightDecay ?? D.weightDecay;
  if (!(finite(wd) && wd >= 0)) throw e(`weightDecay = ${wd} must be finite and ≥ 0`);
  const warm = c.warmupSteps ?? D.warmupSteps;
  if (!isInt(warm, 0)) throw e(`warmupSteps = ${warm} must be an integer ≥ 0`);
  if (warm > c.steps) throw e(`warmupSteps = ${warm} exceeds steps = ${c.steps}`);
  if (c.clipNorm !== undefined && !(finite(c.clipNorm) && c.clipNorm > 0))
    throw e(`clipNorm = ${c.clipNorm} must be finite and > 0`);
  const seed = c.seed ?? D.seed;
  if (!isInt(seed, 0)) throw e(`seed = ${seed} must be an integer ≥ 0`);
  const logEvery = c.logEvery ?? D.logEvery;
  if (!isInt(logEvery, 1)) throw e(`logEvery = ${logEvery} must be an integer ≥ 1`);
  const beta1 = c.beta1 ?? D.beta1;
  const beta2 = c.beta2 ?? D.beta2;
  const eps = c.eps ?? D.eps;
  if (!(beta1 >= 0 && beta1 < 1)) throw e(`beta1 = ${beta1} must be in [0, 1)`);
  if (!(beta2 >= 0 && beta2 < 1)) throw e(`beta2 = ${beta2} must be in [0, 1)`);
  if (!(finite(eps) && eps > 0)) throw e(`eps = ${eps} must be > 0`);
  const tower = (t: TowerConfig | undefined, name: string): TowerConfig => {
    const hidden = t?.hidden ?? [];
    if (!Array.isArray(hidden)) throw e(`${name}.hidden must be an array of widths`);
    hidden.forEach((h, i) => {
      if (!isInt(h, 1)) throw e(`${name}.hidden[${i}] = ${h} must be an integer ≥ 1`);
    });
    return { hidden: [...hidden] };
  };
  const initLogScale = c.initLogScale ?? D.initLogScale[c.loss];
  const initBias = c.initBias ?? D.initBias[c.loss];
  if (!finite(initLogScale) || !finite(initBias)) throw e('initLogScale and initBias must be finite');
  return {
    loss: c.loss,
    outDim: c.outDim,
    image: tower(c.image, 'image'),
    text: tower(c.text, 'text'),
    batchSize: c.batchSize,
    steps: c.steps,
    lr: c.lr,
    weightDecay: wd,
    warmupSteps: warm,
    clipNorm: c.clipNorm ?? null,
    seed,
    logEvery,
    beta1,
    beta2,
    eps,
    initLogScale,
    initBias,
  };
}

/**
 * Checks a train() configuration and fills TRAIN_DEFAULTS.
 * @deprecated the old name of resolveTrainOptions
 */
export const resolveConfig = resolveTrainOptions;

function checkData(d: PairedData, where: string, batchSize: number): void {
  const e = (m: string) => new TrainConfigError(`train: ${where}: ${m}`);
  if (!d || typeof d !== 'object') throw e('data must be a PairedData object');
  if (!isInt(d.n, 0)) throw e(`n = ${d.n} must be an integer ≥ 0`);
  if (d.n === 0) throw e('empty data (n = 0): nothing to train on');
  if (!isInt(d.imageDim, 1) || !isInt(d.textDim, 1))
    throw e(`imageDim = ${d.imageDim} and textDim = ${d.textDim} must be integers ≥ 1`);
  if (!(d.image instanceof Float32Array) || !(d.text instanceof Float32Array))
    throw e('image and text must be Float32Array (row-major)');
  if (d.image.length !== d.n * d.imageDim)
    throw new ShapeError(
      `train: ${where}: image has ${d.image.length} values, expected n × imageDim = ${d.n} × ${d.imageDim}`,
    );
  if (d.text.length !== d.n * d.textDim)
    throw new ShapeError(
      `train: ${where}: text has ${d.text.length} values, expected n × textDim = ${d.n} × ${d.textDim}`,
    );
  for (const [name, a, dim] of [
    ['image', d.image, d.imageDim],
    ['text', d.text, d.textDim],
  ] as const) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i]))
        throw e(`${name} row ${Math.floor(i / dim)}, column ${i % dim} is ${a[i]} (features must be finite)`);
    }
  }
  if (batchSize > d.n) throw e(`batchSize = ${batchSize} exceeds the ${d.n} pairs`);
  for (const [name, a, hi] of [
    ['weights', d.weights, Infinity],
    ['keep', d.keep, 1],
  ] as const) {
    if (a === undefined) continue;
    if (a.length !== d.n) throw new ShapeError(`train: ${where}: ${name} has ${a.length} entries, expected n = ${d.n}`);
    let s = 0;
    for (let i = 0; i < a.length; i++) {
      if (!(a[i] >= 0 && a[i] <= hi) || !Number.isFinite(a[i]))
        throw e(`${name}[${i}] = ${a[i]} must be finite and in [0, ${hi}]`);
      s += a[i];
    }
    if (!(s > 0)) throw e(`${name} are all zero`);
  }
}

/**
 * Validate data (one set or stages) against the config; every stage must share the feature widths.
 * @param data - one paired data set, or stages with their step fractions.
 * @param cfg - the resolved config.
 * @returns each stage with its global step range.
 * @throws TrainConfigError for empty or inconsistent data.
 */
export function resolveStages(data: PairedData | TrainStage[], cfg: ResolvedConfig): ResolvedStage[] {
  const stages: TrainStage[] = Array.isArray(data) ? data : [{ data, fraction: 1 }];
  if (stages.length === 0) throw new TrainConfigError('train: empty stage list');
  let sum = 0;
  stages.forEach((s, k) => {
    if (!(finite(s?.fraction) && s.fraction > 0))
      throw new TrainConfigError(`train: stage ${k}: fraction = ${s?.fraction} must be > 0`);
    sum += s.fraction;
    checkData(s.data, Array.isArray(data) ? `stage ${k}` : 'data', cfg.batchSize);
    if (s.data.imageDim !== stages[0].data.imageDim || s.data.textDim !== stages[0].data.textDim) {
      throw new ShapeError(
        `train: stage ${k} has dims image ${s.data.imageDim} / text ${s.data.textDim}, stage 0 has ${stages[0].data.imageDim} / ${stages[0].data.textDim}`,
      );
    }
  });
  if (Math.abs(sum - 1) > 1e-6) throw new TrainConfigError(`train: stage fractions sum to ${sum}, expected 1`);
  const out: ResolvedStage[] = [];
  let acc = 0;
  let start = 0;
  stages.forEach((s, k) => {
    acc += s.fraction;
    const end = k === stages.length - 1 ? cfg.steps : Math.round(acc * cfg.steps);
    out.push({ data: s.data, start, end: Math.max(start, end) });
    start = Math.max(start, end);
  });
  return out;
}

// ---------------------------------------------------------------- parameters

/**
 * One trainable tensor: name, shape and whether weight decay applies.
 */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** AdamW weight decay applies to weight matrices only (not biases, t, b) */
  decay: boolean;
}

/** The trainable tensors of a configuration and each tower's Linear shapes. */
export interface Layout {
  params: ParamSpec[];
  /** per tower: [in, out] of each Linear */
  towers: { image: [number, number][]; text: [number, number][] };
}

/**
 * The trainable tensors of a configuration (towers' Linears, logit scale, SigLIP bias) in checkpoint order.
 * @param cfg - the resolved config.
 * @param imageDim - image feature width.
 * @param textDim - text feature width.
 * @returns the parameter list and tower shapes.
 */
export function layoutOf(cfg: ResolvedConfig, imageDim: number, textDim: number): Layout {
  const params: ParamSpec[] = [];
  const towers = { image: [] as [number, number][], text: [] as [number, number][] };
  for (const [tw, dIn] of [
    ['image', imageDim],
    ['text', textDim],
  ] as const) {
    const widths = [dIn, ...cfg[tw].hidden, cfg.outDim];
    for (let l = 0; l + 1 < widths.length; l++) {
      towers[tw].push([widths[l], widths[l + 1]]);
      params.push({ name: `${tw}.${l}.weight`, shape: [widths[l], widths[l + 1]], decay: true });
      params.push({ name: `${tw}.${l}.bias`, shape: [widths[l + 1]], decay: false });
    }
  }
  params.push({ name: 'logit_scale', shape: [1], decay: false });
  if (cfg.loss === 'siglip') params.push({ name: 'logit_bias', shape: [1], decay: false });
  return { params, towers };
}

/** mulberry32 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/**
 * PyTorch nn.Linear's default: weight and bias ~ U(−1/√in, 1/√in); t and b from the config. Seeded.
 * @param layout - the parameter layout.
 * @param cfg - the resolved config (seed, initial t and b).
 * @returns one array per parameter.
 */
export function initParams(layout: Layout, cfg: ResolvedConfig): Float32Array[] {
  const r = rng(mix(cfg.seed, 0x9a7a));
  return layout.params.map((p) => {
    const a = new Float32Array(p.shape.reduce((x, y) => x * y, 1));
    if (p.name === 'logit_scale') a[0] = cfg.initLogScale;
    else if (p.name === 'logit_bias') a[0] = cfg.initBias;
    else {
      const fanIn = p.name.endsWith('.weight')
        ? p.shape[0]
        : layout.params.find((q) => q.name === p.name.replace('.bias', '.weight'))!.shape[0];
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < a.length; i++) a[i] = (2 * r() - 1) * bound;
    }
    return a;
  });
}

// ---------------------------------------------------------------- sampling

/**
 * The sampler's position: epoch and offset in that epoch's order (what a checkpoint stores).
 */
export interface SamplerState {
  epoch: number;
  pos: number;
}

/**
 * Minibatches for one stage: each epoch draws the Bernoulli keep flags (when `keep` is given), shuffles the kept
 * rows, and the batches run through epochs back to back. Epoch e's order is a pure function of (seed, stage, e),
 * so a checkpoint needs only (epoch, pos) to resume exactly.
 */
export class Sampler {
  private order: Uint32Array = new Uint32Array(0);
  private loaded = -1;
  constructor(
    private readonly data: PairedData,
    private readonly seed: number,
    private readonly stage: number,
    public state: SamplerState = { epoch: 0, pos: 0 },
  ) {}

  private epochOrder(e: number): Uint32Array {
    const r = rng(mix(this.seed, 0x5eed, this.stage, e));
    const n = this.data.n;
    const keep = this.data.keep;
    let idx: number[] = [];
    if (keep) {
      for (let i = 0; i < n; i++) if (r() < keep[i]) idx.push(i);
    } else idx = Array.from({ length: n }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return Uint32Array.from(idx);
  }

  next(B: number): Uint32Array {
    const out = new Uint32Array(B);
    let k = 0;
    let empty = 0;
    while (k < B) {
      if (this.loaded !== this.state.epoch) {
        this.order = this.epochOrder(this.state.epoch);
        this.loaded = this.state.epoch;
      }
      if (this.state.pos >= this.order.length) {
        if (this.order.length === 0 && ++empty > 10000)
          throw new TrainConfigError('train: keep probabilities almost never keep a row');
        this.state = { epoch: this.state.epoch + 1, pos: 0 };
        continue;
      }
      const take = Math.min(B - k, this.order.length - this.state.pos);
      out.set(this.order.subarray(this.state.pos, this.state.pos + take), k);
      k += take;
      this.state = { epoch: this.state.epoch, pos: this.state.pos + take };
    }
    return out;
  }
}

/**
 * Learning rate at 0-based step i: linear warm-up over `warmupSteps`, then cosine decay towards 0.
 * @param cfg - the resolved config (lr, warm-up, steps).
 * @param i - 0-based step.
 * @returns the learning rate.
 */
export function lrAt(cfg: ResolvedConfig, i: number): number {
  const w = cfg.warmupSteps;
  if (i < w) return (cfg.lr * (i + 1)) / w;
  const span = Math.max(1, cfg.steps - w);
  return cfg.lr * 0.5 * (1 + Math.cos((Math.PI * (i - w)) / span));
}

export function gatherHost(x: Float32Array, d: number, idx: Uint32Array): Float32Array {
  const y = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) y.set(x.subarray(idx[i] * d, idx[i] * d + d), i * d);
  return y;
}
