// Debiasing: bias-alignment module (spec §2.2–2.5) and baselines (§2.7).
export * from './baselines.js';
