// debias() options and inputs: the types, DEBIAS_DEFAULTS, the one resolver (resolveDebiasOptions) and the checks of
// the data before any GPU work (checkDebiasInputs).
import { ArgumentError, ShapeError, type Kernels } from '@m4kit/kernels';
import { OptionError, optionalNumber, RULES, type NumberRule } from '../options.js';
import type { Embeddings } from '../evaluate/search.js';
import { checkMatrix } from './ba.js';

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

/** The embedding values as float64 (no copy when they already are). */
export function toF64(e: Embeddings): Float64Array {
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
