// debias(): trains the BA module (spec §2.5) on frozen embeddings and returns a module that maps frozen
// embeddings to debiased ones. Queues, EMA copies, α, τ, the per-step factual/counterfactual coin, the momentum
// distillation mix from epoch 5, evaluation every 2 epochs and early stopping on validation ABLE.
import { ArgumentError, ShapeError, init, type Kernels } from '@m4kit/kernels';
import { OptionError, optionalNumber, RULES, type NumberRule } from '../options.js';
import type { Embeddings } from '../evaluate/search.js';
import { decodeF64, firstNonFinite, safetensorsHeaderOf, writeSafetensors } from '../io/safetensors.js';
import { l2normalizeRows } from '../evaluate/search.js';
import { able } from '../evaluate/metrics.js';
import { biasRetrieval, classEmbeddings, zeroShot } from '../evaluate/tasks.js';
import {
  PARAM_NAMES,
  type BaParams,
  type MatmulBackend,
  checkMatrix,
  cloneParams,
  cpuMatmul,
  emaUpdate,
  gaussian,
  imageForward,
  initBaParams,
  mulberry32,
  paramList,
  textForward,
} from './ba.js';
import { CpuBank, randomUnitRows, type Bank } from './bank.js';
import { Adam, lossAndGrads } from './step.js';

/**
 * A validation set for `debias()`: images with attribute labels, the bias prompts and optional zero-shot data; its
 * ABLE picks the best epoch.
 */
export interface DebiasValidation {
  /** images whose attribute is measured (ranked by the bias prompts) */
  images: Embeddings;
  /** attribute class per image, 0..groups.length−1 */
  labels: ArrayLike<number>;
  groups: string[];
  /** bias query embeddings (e.g. the 319 Berg prompts) */
  prompts: Embeddings;
  promptNames?: string[];
  /**
   * zero-shot task for the alignment term of ABLE: `classes` (one embedding per class), or the official way,
   * `prompts` (every template prompt) with `promptClass`: each prompt is debiased, normalised, then averaged per
   * class (the module is not applied to already-averaged class embeddings).
   */
  zeroShot: {
    images: Embeddings;
    labels: ArrayLike<number>;
    classes?: Embeddings;
    prompts?: Embeddings;
    promptClass?: ArrayLike<number>;
  };
  /** MaxSkew@k (spec: 1000, capped at the number of images) */
  k?: number;
}

/**
 * Options of `debias()`: module widths, optimisation, banks, seed, backend and callbacks (defaults in
 * `DEBIAS_DEFAULTS`).
 */
export interface DebiasOptions {
  hidden1?: number;
  hidden2?: number;
  lr?: number;
  batchSize?: number;
  epochs?: number;
  /** evaluate every n epochs (2) */
  evalEvery?: number;
  /** stop after this many evaluations without improvement (10) */
  patience?: number;
  alpha?: number;
  tau?: number;
  queueSize?: number;
  momentum?: number;
  /** weight of the momentum model in the soft targets (0.4) */
  mixRatio?: number;
  /** first (0-based) epoch that mixes in the momentum targets (5) */
  mixFromEpoch?: number;
  seed?: number;
  /** shuffle batches each epoch (the reference DataLoader does not: false) */
  shuffle?: boolean;
  /** 'webgpu' | 'cpu' (float64 reference) | 'auto' (WebGPU, CPU fallback outside CI) */
  backend?: 'webgpu' | 'cpu' | 'auto';
  /** reuse kernels you own (backend is then taken from them) */
  kernels?: Kernels;
  validation?: DebiasValidation;
  onProgress?: (p: DebiasProgress) => void;
}

/**
 * Progress of `debias()`, passed to `onProgress`: epoch, step and the latest loss.
 */
export interface DebiasProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss?: { total: number; ba: number; cd: number };
  eval?: DebiasEval;
}

/**
 * One validation of `debias()`: MaxSkew, zero-shot top-1 and ABLE after an epoch.
 */
export interface DebiasEval {
  epoch: number;
  maxSkew: number;
  top1: number;
  able: number;
}

/**
 * The module's config, saved beside its weights: format, dimensions, options and loss history.
 */
export interface DebiasConfig {
  format: 'm4kit-ba';
  version: 1;
  dim: number;
  hidden1: number;
  hidden2: number;
  alpha: number;
  tau: number;
  queueSize: number;
  momentum: number;
  mixRatio: number;
  mixFromEpoch: number;
  lr: number;
  batchSize: number;
  seed: number;
  epochsRun: number;
  bestEpoch: number | null;
  history: { epoch: number; loss: number; ba: number; cd: number }[];
  evals: DebiasEval[];
}

/** Inputs of debias(): frozen image embeddings with factual and counterfactual caption embeddings, row-aligned. */
export interface DebiasData {
  images: Embeddings;
  captions: Embeddings;
  counterfactuals: Embeddings;
  /**
   * Further counterfactual caption sets, row-aligned (e.g. `counterfactualCandidates`: age 2 sets, race 6). When
   * given, every epoch each row draws its counterfactual uniformly from [counterfactuals, ...alternatives],
   * seeded by (seed, epoch) (`counterfactualPick`), as the official dataset draws one per item read. Without them
   * the one counterfactual set is used every epoch.
   */
  counterfactualAlternatives?: Embeddings[];
}

/**
 * Which counterfactual set each of `n` rows uses in `epoch` (0..sets−1): a pure function of (seed, epoch), so
 * a run is reproducible and a resumed or repeated epoch draws the same; its own stream, so the per-step coin and
 * the shuffle draw the same with or without alternatives.
 * @param seed - the run's seed.
 * @param epoch - 0-based epoch.
 * @param n - records.
 * @param sets - counterfactual sets (1 to 255).
 * @returns the set chosen for each record this epoch.
 * @throws ArgumentError for a bad set count.
 */
export function counterfactualPick(seed: number, epoch: number, n: number, sets: number): Uint8Array {
  if (!Number.isInteger(sets) || sets < 1 || sets > 255)
    throw new ArgumentError(`debias: ${sets} counterfactual sets (1 to 255)`);
  const pick = new Uint8Array(n);
  if (sets === 1) return pick;
  const rnd = mulberry32((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  for (let i = 0; i < n; i++) pick[i] = Math.floor(rnd() * sets);
  return pick;
}

const ALL_KEYS = new Set([
  'hidden1',
  'hidden2',
  'lr',
  'batchSize',
  'epochs',
  'evalEvery',
  'patience',
  'alpha',
  'tau',
  'queueSize',
  'momentum',
  'mixRatio',
  'mixFromEpoch',
  'seed',
  'shuffle',
  'backend',
  'kernels',
  'validation',
  'onProgress',
]);

/** Every debias() default in one place ([JV] train.py hyper-parameters, spec §2.5). */
export const DEBIAS_DEFAULTS = Object.freeze({
  hidden1: 512,
  hidden2: 1024,
  lr: 5e-6,
  batchSize: 512,
  epochs: 100,
  evalEvery: 2,
  patience: 10,
  alpha: 0.3,
  tau: 0.07,
  queueSize: 65536,
  momentum: 0.995,
  mixRatio: 0.4,
  mixFromEpoch: 5,
  seed: 42,
  shuffle: false,
  backend: 'auto' as 'webgpu' | 'cpu' | 'auto',
});

const DEBIAS_RULES: Record<string, NumberRule> = {
  hidden1: RULES.positiveInt,
  hidden2: RULES.positiveInt,
  batchSize: RULES.positiveInt,
  epochs: RULES.positiveInt,
  evalEvery: RULES.positiveInt,
  patience: RULES.positiveInt,
  queueSize: RULES.positiveInt,
  mixFromEpoch: RULES.nonNegativeInt,
  seed: RULES.nonNegativeInt,
  alpha: { what: 'in [0, 1]', ok: (x) => Number.isFinite(x) && x >= 0 && x <= 1 },
  momentum: { what: 'in [0, 1]', ok: (x) => Number.isFinite(x) && x >= 0 && x <= 1 },
  mixRatio: { what: 'in [0, 1]', ok: (x) => Number.isFinite(x) && x >= 0 && x <= 1 },
  lr: { what: '> 0', ok: (x) => Number.isFinite(x) && x > 0 },
  tau: { what: '> 0', ok: (x) => Number.isFinite(x) && x > 0 },
};

/**
 * `debias()` options after `resolveDebiasOptions`: every field checked and defaulted.
 */
export type ResolvedDebiasOptions = Readonly<Omit<typeof DEBIAS_DEFAULTS, 'backend'>>;

/**
 * Checks debias() options and fills DEBIAS_DEFAULTS; unknown keys are refused by name.
 * @param o - options as users set them.
 * @returns the resolved options.
 * @throws OptionError naming an unknown key or a bad value.
 */
export function resolveDebiasOptions(o: DebiasOptions): ResolvedDebiasOptions {
  for (const k of Object.keys(o)) if (!ALL_KEYS.has(k)) throw new OptionError(k, `debias: unknown option "${k}"`);
  const D = DEBIAS_DEFAULTS;
  const r: Record<string, number | boolean> = {};
  for (const [k, rule] of Object.entries(DEBIAS_RULES)) {
    r[k] = optionalNumber(`debias: ${k}`, (o as Record<string, unknown>)[k], rule, D[k as keyof typeof D] as number);
  }
  r.shuffle = o.shuffle ?? D.shuffle;
  if (o.backend !== undefined && !['webgpu', 'cpu', 'auto'].includes(o.backend)) {
    throw new OptionError('backend', `debias: unknown backend "${o.backend}" (webgpu, cpu or auto)`);
  }
  return Object.freeze(r) as unknown as ResolvedDebiasOptions;
}
const resolve = resolveDebiasOptions;

function toF64(e: Embeddings): Float64Array {
  return e.data instanceof Float64Array ? e.data : Float64Array.from(e.data);
}

/**
 * All input checks of debias() — shapes, emptiness, finiteness, validation sets — before any GPU work.
 * @param data - training embeddings, captions, counterfactuals and optional validation sets.
 * @param opts - the options (checked too).
 * @throws ArgumentError / ShapeError / OptionError naming the bad input.
 */
export function checkDebiasInputs(data: DebiasData, opts: DebiasOptions = {}): void {
  resolve(opts);
  const { images, captions, counterfactuals } = data;
  const alts = data.counterfactualAlternatives ?? [];
  if (!Array.isArray(alts))
    throw new ArgumentError('debias: counterfactualAlternatives must be an array of embeddings');
  if (alts.length > 254) throw new ArgumentError(`debias: ${alts.length + 1} counterfactual sets (at most 255)`);
  for (const [name, e] of [
    ['images', images],
    ['captions', captions],
    ['counterfactual captions', counterfactuals],
    ...alts.map((a, k) => [`counterfactual caption set ${k + 2}`, a] as const),
  ] as const) {
    if (!e || typeof e.n !== 'number') throw new ArgumentError(`debias: missing ${name}`);
    if (e.n === 0) throw new ArgumentError(`debias: ${name} are empty (0 rows)`);
    if (e.d === 0) throw new ShapeError(`debias: ${name} have dimension 0`);
    checkMatrix(name, e.data, e.n, e.d);
  }
  if (captions.d !== images.d || counterfactuals.d !== images.d)
    throw new ShapeError(
      `debias: dimensions differ: images ${images.d}, captions ${captions.d}, counterfactual captions ${counterfactuals.d}`,
    );
  if (captions.n !== images.n || counterfactuals.n !== images.n)
    throw new ShapeError(
      `debias: row counts differ: images ${images.n}, captions ${captions.n}, counterfactual captions ${counterfactuals.n} (row i of each must be the same example)`,
    );
  alts.forEach((a, k) => {
    if (a.d !== images.d || a.n !== images.n)
      throw new ShapeError(
        `debias: counterfactual caption set ${k + 2} is ${a.n} × ${a.d}, the images ${images.n} × ${images.d} ` +
          '(row i of each must be the same example)',
      );
  });
  const v = opts.validation;
  if (v) {
    const zsText = v.zeroShot?.prompts
      ? (['zero-shot template prompts', v.zeroShot.prompts] as const)
      : (['zero-shot classes', v.zeroShot?.classes] as const);
    for (const [name, e] of [
      ['validation images', v.images],
      ['validation prompts', v.prompts],
      ['zero-shot images', v.zeroShot?.images],
      zsText,
    ] as const) {
      if (!e) throw new ArgumentError(`debias: missing ${name}`);
      if (e.n === 0) throw new ArgumentError(`debias: ${name} are empty (0 rows)`);
      if (e.d !== images.d)
        throw new ShapeError(`debias: ${name} have dimension ${e.d}, the training embeddings ${images.d}`);
      checkMatrix(name, e.data, e.n, e.d);
    }
    if (v.labels.length !== v.images.n)
      throw new ShapeError(`debias: ${v.images.n} validation images but ${v.labels.length} attribute labels`);
    if (v.zeroShot.labels.length !== v.zeroShot.images.n)
      throw new ShapeError(`debias: ${v.zeroShot.images.n} zero-shot images but ${v.zeroShot.labels.length} labels`);
    const pc = v.zeroShot.promptClass;
    if (v.zeroShot.prompts) {
      if (!pc || pc.length !== v.zeroShot.prompts.n)
        throw new ShapeError(
          `debias: ${v.zeroShot.prompts.n} zero-shot template prompts but ${pc?.length ?? 0} prompt class ids`,
        );
      const nc = Math.max(...Array.from(pc)) + 1;
      const seen = new Set(Array.from(pc));
      for (let c = 0; c < nc; c++)
        if (!seen.has(c)) throw new ArgumentError(`debias: zero-shot class ${c} has no template prompt`);
      for (let i = 0; i < v.zeroShot.labels.length; i++)
        if (!(v.zeroShot.labels[i] >= 0 && v.zeroShot.labels[i] < nc))
          throw new ArgumentError(`debias: zero-shot label ${v.zeroShot.labels[i]} at row ${i} has no prompt class`);
    }
    if (v.groups.length < 2) throw new ArgumentError('debias: validation needs at least two attribute groups');
    for (let i = 0; i < v.labels.length; i++) {
      if (!Number.isInteger(v.labels[i]) || v.labels[i] < 0 || v.labels[i] >= v.groups.length)
        throw new ArgumentError(
          `debias: validation label ${v.labels[i]} at row ${i} is outside 0..${v.groups.length - 1}`,
        );
    }
  }
}

/** A trained BA module: maps frozen embeddings to debiased ones (images through mlp1 and mlp2, texts through mlp2). */
export class DebiasModule {
  constructor(
    readonly params: BaParams,
    readonly config: DebiasConfig,
  ) {}
  get dim(): number {
    return this.params.mlp2.D;
  }

  /**
   * Debiased embeddings g (unnormalised, as the module outputs them; `normalize: true` for unit rows).
   * `kernels` (optional) runs the matmuls on the GPU in row chunks; default float64 on the host.
   */
  async apply(
    e: Embeddings,
    opts: { modality?: 'image' | 'text'; normalize?: boolean; kernels?: Kernels; chunk?: number } = {},
  ): Promise<Embeddings> {
    const modality = opts.modality ?? 'image';
    if (modality !== 'image' && modality !== 'text')
      throw new ArgumentError(`apply: modality must be "image" or "text", got "${modality}"`);
    if (e.d !== this.dim) throw new ShapeError(`apply: embeddings have dimension ${e.d}, the module ${this.dim}`);
    checkMatrix('embeddings', e.data, e.n, e.d);
    const mm = opts.kernels ? gpuMatmul(opts.kernels) : cpuMatmul;
    const D = this.dim;
    const out = new Float64Array(e.n * D);
    const chunk = opts.chunk ?? 4096;
    for (let r0 = 0; r0 < e.n; r0 += chunk) {
      const rows = Math.min(chunk, e.n - r0);
      const x = Float64Array.from(e.data.subarray(r0 * D, (r0 + rows) * D));
      const g =
        modality === 'image'
          ? (await imageForward(mm, this.params, x, rows)).g
          : (await textForward(mm, this.params, x, rows)).g;
      out.set(g, r0 * D);
    }
    const res = { n: e.n, d: D, data: out };
    return opts.normalize ? l2normalizeRows(res) : res;
  }
}

/**
 * Matmuls through the kernels (float32 on the GPU, results widened to float64).
 * @param k - the `Kernels` to run on.
 * @returns a matmul backend for the BA module's steps.
 */
export function gpuMatmul(k: Kernels): MatmulBackend {
  const run = async (
    A: Float64Array,
    aShape: number[],
    B: Float64Array,
    bShape: number[],
    opts: { transA?: boolean; transB?: boolean },
  ) => {
    const a = k.tensor(A, aShape);
    const b = k.tensor(B, bShape);
    const c = k.matmul(a, b, opts);
    const out = await c.read();
    a.dispose();
    b.dispose();
    c.dispose();
    return out instanceof Float64Array ? out : Float64Array.from(out);
  };
  return {
    nt: (A, B, m, kk, n) => run(A, [m, kk], B, [n, kk], { transB: true }),
    nn: (A, B, m, kk, n) => run(A, [m, kk], B, [kk, n], {}),
    tn: (A, B, kk, m, n) => run(A, [kk, m], B, [kk, n], { transA: true }),
  };
}

async function evaluateAble(
  mod: DebiasModule,
  v: DebiasValidation,
  kernels: Kernels,
  mmKernels: Kernels | undefined,
): Promise<{ maxSkew: number; top1: number; able: number }> {
  const imgs = await mod.apply(v.images, { kernels: mmKernels });
  const prompts = await mod.apply(v.prompts, { modality: 'text', kernels: mmKernels });
  const names = v.promptNames ?? Array.from({ length: prompts.n }, (_, i) => `prompt ${i}`);
  const br = await biasRetrieval(kernels, imgs, v.labels, v.groups, prompts, names, { k: v.k ?? 1000 });
  const zsImages = await mod.apply(v.zeroShot.images, { kernels: mmKernels });
  const z = v.zeroShot;
  const classes = z.prompts
    ? classEmbeddings(
        await mod.apply(z.prompts, { modality: 'text', kernels: mmKernels }),
        z.promptClass!,
        Math.max(...Array.from(z.promptClass!)) + 1,
      )
    : l2normalizeRows(await mod.apply(z.classes!, { modality: 'text', kernels: mmKernels }));
  const zs = await zeroShot(kernels, zsImages, classes, v.zeroShot.labels);
  // harmonic mean: 0 when nothing is classified correctly
  return { maxSkew: br.maxSkew, top1: zs.top1, able: zs.top1 > 0 ? able(br.maxSkew, zs.top1) : 0 };
}

/**
 * Train the BA module (spec §2.5). Inputs are frozen, unnormalised embeddings; row i of captions and
 * counterfactuals describe image i (factual / attribute-swapped caption). Returns the module with the best
 * validation ABLE (or the last one without validation).
 * @param data - training embeddings, captions, counterfactuals and optional validation sets.
 * @param opts - widths, learning rate, epochs, banks, backend and callbacks (`DebiasOptions`).
 * @returns the module (best validation epoch, or the last), the loss history and the evaluations.
 * @throws ArgumentError / ShapeError / OptionError for bad inputs (before any GPU work); ArgumentError when the
 *   loss becomes non-finite.
 */
export async function debias(
  data: DebiasData,
  opts: DebiasOptions = {},
): Promise<{ module: DebiasModule; history: DebiasConfig['history']; evals: DebiasEval[] }> {
  checkDebiasInputs(data, opts);
  const o = resolve(opts);
  const D = data.images.d;
  const N = data.images.n;
  const ownKernels = !opts.kernels;
  const kernels = opts.kernels ?? (await init({ backend: opts.backend ?? 'auto' }));
  try {
    const onGpu = kernels.backend === 'webgpu';
    const mm = onGpu ? gpuMatmul(kernels) : cpuMatmul;
    const rnd = mulberry32(o.seed);
    const normal = gaussian(mulberry32(o.seed ^ 0x9e3779b9));
    const params = initBaParams(D, o.hidden1, o.hidden2, o.seed);
    const mom = cloneParams(params);
    const bank: Bank = onGpu
      ? await (
          await import('./bank-gpu.js')
        ).createGpuBank(
          kernels,
          D,
          o.queueSize,
          randomUnitRows(o.queueSize, D, normal),
          randomUnitRows(o.queueSize, D, normal),
        )
      : new CpuBank(D, o.queueSize, randomUnitRows(o.queueSize, D, normal), randomUnitRows(o.queueSize, D, normal));
    const adam = new Adam(paramList(params), o.lr);
    const eI = toF64(data.images);
    const eT1 = toF64(data.captions);
    const cfSets = [data.counterfactuals, ...(data.counterfactualAlternatives ?? [])].map(toF64);
    const steps = Math.ceil(N / o.batchSize);
    const history: DebiasConfig['history'] = [];
    const evals: DebiasEval[] = [];
    let best: { params: BaParams; able: number; epoch: number } | undefined;
    let sinceBest = 0;
    let epochsRun = 0;
    const order = Array.from({ length: N }, (_, i) => i);
    try {
      for (let epoch = 0; epoch < o.epochs; epoch++) {
        if (o.shuffle) {
          for (let i = N - 1; i > 0; i--) {
            const j = Math.floor(rnd() * (i + 1));
            [order[i], order[j]] = [order[j], order[i]];
          }
        }
        const mix = epoch >= o.mixFromEpoch ? o.mixRatio : 0;
        const pick = counterfactualPick(o.seed, epoch, N, cfSets.length);
        let sum = { total: 0, ba: 0, cd: 0 };
        for (let s = 0; s < steps; s++) {
          const r0 = s * o.batchSize;
          const B = Math.min(o.batchSize, N - r0);
          const take = (src: Float64Array | Float64Array[]) => {
            const x = new Float64Array(B * D);
            for (let i = 0; i < B; i++) {
              const row = order[r0 + i];
              const from = Array.isArray(src) ? src[pick[row]] : src;
              x.set(from.subarray(row * D, (row + 1) * D), i * D);
            }
            return x;
          };
          emaUpdate(mom, params, o.momentum); // at the start of every forward pass
          const counterfactual = rnd() >= 0.5; // ĝ_T* = ĝ_T1 with p = 0.5, else ĝ_T2
          const res = await lossAndGrads(mm, bank, params, {
            B,
            D,
            eI: take(eI),
            eT1: take(eT1),
            eT2: take(cfSets),
            counterfactual,
            tau: o.tau,
            alpha: o.alpha,
            mix,
            momentum: mom,
          });
          if (!Number.isFinite(res.total))
            throw new ArgumentError(`debias: the loss became non-finite at epoch ${epoch}, step ${s} (lower lr?)`);
          adam.step(paramList(params), paramList(res.grads));
          bank.enqueue(res.fI, res.fT, B);
          sum = { total: sum.total + res.total / steps, ba: sum.ba + res.ba / steps, cd: sum.cd + res.cd / steps };
          opts.onProgress?.({
            epoch,
            epochs: o.epochs,
            step: s + 1,
            stepsPerEpoch: steps,
            loss: { total: res.total, ba: res.ba, cd: res.cd },
          });
        }
        history.push({ epoch, loss: sum.total, ba: sum.ba, cd: sum.cd });
        epochsRun = epoch + 1;
        if (opts.validation && (epoch + 1) % o.evalEvery === 0) {
          const mod = new DebiasModule(params, {} as DebiasConfig);
          const ev = { epoch, ...(await evaluateAble(mod, opts.validation, kernels, onGpu ? kernels : undefined)) };
          evals.push(ev);
          opts.onProgress?.({ epoch, epochs: o.epochs, step: steps, stepsPerEpoch: steps, eval: ev });
          if (!best || ev.able > best.able) {
            best = { params: cloneParams(params), able: ev.able, epoch };
            sinceBest = 0;
          } else if (++sinceBest >= o.patience) break;
        }
      }
    } finally {
      bank.dispose();
    }
    const config: DebiasConfig = {
      format: 'm4kit-ba',
      version: 1,
      dim: D,
      hidden1: o.hidden1,
      hidden2: o.hidden2,
      alpha: o.alpha,
      tau: o.tau,
      queueSize: o.queueSize,
      momentum: o.momentum,
      mixRatio: o.mixRatio,
      mixFromEpoch: o.mixFromEpoch,
      lr: o.lr,
      batchSize: o.batchSize,
      seed: o.seed,
      epochsRun,
      bestEpoch: best ? best.epoch : null,
      history,
      evals,
    };
    return { module: new DebiasModule(best ? best.params : params, config), history, evals };
  } finally {
    if (ownKernels) kernels.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// safetensors + JSON config (runtime-neutral bytes; file IO in debias/io.ts)

/**
 * Serialise the parameters as safetensors (F32 by default, or F64), with the config in __metadata__.
 * @param mod - the module.
 * @param dtype - 'F32' (default) or 'F64'.
 * @returns the safetensors file's bytes.
 */
export function moduleToSafetensors(mod: DebiasModule, dtype: 'F32' | 'F64' = 'F32'): Uint8Array {
  const arrays = paramList(mod.params);
  const m1 = mod.params.mlp1;
  const m2 = mod.params.mlp2;
  const shapes = [[m1.h, m1.D], [m1.h], [m1.D, m1.h], [m1.D], [m2.h, m2.D], [m2.h], [m2.D, m2.h], [m2.D]];
  return writeSafetensors(
    arrays.map((data, i) => ({ name: PARAM_NAMES[i], shape: shapes[i], dtype, data })),
    { config: JSON.stringify(mod.config) },
  );
}

/**
 * Inverse of moduleToSafetensors; `config` overrides the embedded one (the JSON file beside the weights).
 * @param bytes - a file written by `moduleToSafetensors`.
 * @param config - a config overriding the embedded one.
 * @param file - the name in error messages.
 * @returns the module.
 * @throws ArgumentError for missing tensors, wrong shapes or metadata.
 */
export function moduleFromSafetensors(
  bytes: Uint8Array,
  config?: DebiasConfig,
  file = 'module.safetensors',
): DebiasModule {
  const fail = (m: string) => new ArgumentError(`${file}: ${m}`);
  const header = safetensorsHeaderOf(bytes, fail);
  const meta = header.metadata;
  const cfg: DebiasConfig = config ?? (meta?.config ? JSON.parse(meta.config) : undefined);
  if (!cfg || cfg.format !== 'm4kit-ba')
    throw new ArgumentError(`${file}: no m4kit-ba config (expected it in the JSON file or the safetensors metadata)`);
  const arrays = PARAM_NAMES.map((name) => {
    const t = header.entries.get(name);
    if (!t) throw new ArgumentError(`${file}: missing tensor "${name}"`);
    if (t.dtype !== 'F32' && t.dtype !== 'F64')
      throw new ArgumentError(`${file}: tensor "${name}" has dtype ${t.dtype} (F32 or F64 expected)`);
    const x = decodeF64(bytes.subarray(t.begin, t.end), t.dtype, fail, name);
    const bad = firstNonFinite(x);
    if (bad >= 0)
      throw new ArgumentError(
        `${file}: tensor "${name}" holds ${x[bad]} at index ${bad} (every loaded value must be finite)`,
      );
    return x;
  });
  const { dim: D, hidden1: h1, hidden2: h2 } = cfg;
  const want = [h1 * D, h1, D * h1, D, h2 * D, h2, D * h2, D];
  arrays.forEach((a, i) => {
    if (a.length !== want[i])
      throw new ShapeError(`${file}: tensor "${PARAM_NAMES[i]}" has ${a.length} values, the config says ${want[i]}`);
  });
  const params: BaParams = {
    mlp1: { D, h: h1, W1: arrays[0], b1: arrays[1], W2: arrays[2], b2: arrays[3] },
    mlp2: { D, h: h2, W1: arrays[4], b1: arrays[5], W2: arrays[6], b2: arrays[7] },
  };
  return new DebiasModule(params, cfg);
}
