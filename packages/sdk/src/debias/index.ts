// Debiasing: bias-alignment module (spec §2.2–2.5) and baselines (§2.7).
export * from './baselines.js';
export { cloneParams, debiasRowLossRef, emaUpdate, initBaParams, paramList } from './ba.js';
export type { BaParams, Mlp, RowLoss, RowLossOptions } from './ba.js';
export { bankLossRef, CpuBank, type Bank, type BankLossInput, type BankLossOutput } from './bank.js';
export { Adam, featureLoss, lossAndGrads, type FeatureLoss, type FeatureLossInput } from './step.js';
export { createGpuBank } from './bank-gpu.js';
export * from './train.js';
export * from './captions.js';
