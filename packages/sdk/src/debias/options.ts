// The options of debias() (spec §2.5): what users set (`DebiasOptions`), every default (`DEBIAS_DEFAULTS`) and the
// one door that checks them (`resolveDebiasOptions`), as train/core.ts does for train().
import type { Kernels } from '@m4kit/kernels';
import { OptionError, optionalNumber, RULES, type NumberRule } from '../options.js';
import type { DebiasEval, DebiasValidation } from './validation.js';

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
