// Debiasing: bias-alignment module (spec §2.2–2.5) and baselines (§2.7). The module's parts (params, banks, the
// hand-written step, Adam) are in `@m4kit/sdk/advanced`.
export * from './baselines.js';
export { debias } from './train.js';
export {
  DEBIAS_DEFAULTS,
  resolveDebiasOptions,
  type DebiasOptions,
  type DebiasProgress,
  type ResolvedDebiasOptions,
} from './options.js';
export { checkDebiasInputs, type DebiasData } from './data.js';
export { DebiasModule, moduleToSafetensors, moduleFromSafetensors, type DebiasConfig } from './module.js';
export type { DebiasValidation, DebiasEval } from './validation.js';
export * from './captions.js';
