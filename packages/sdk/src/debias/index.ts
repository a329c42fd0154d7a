// Debiasing: bias-alignment module (spec §2.2–2.5) and baselines (§2.7). The module's parts (params, banks, the
// hand-written step, Adam) are in `@m4kit/sdk/advanced`.
export * from './baselines.js';
export {
  DEBIAS_DEFAULTS,
  resolveDebiasOptions,
  checkDebiasInputs,
  DebiasModule,
  debias,
  moduleToSafetensors,
  moduleFromSafetensors,
  type DebiasValidation,
  type DebiasOptions,
  type DebiasProgress,
  type DebiasEval,
  type DebiasConfig,
  type DebiasData,
  type ResolvedDebiasOptions,
} from './train.js';
export * from './captions.js';
