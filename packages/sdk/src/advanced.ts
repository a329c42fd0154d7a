// `@m4kit/sdk/advanced` — NOT STABLE: what the pipelines are built from (the balance engines and solvers, the BA
// module's parts, the training internals, the CLIP towers, the strict value readers). Names and signatures may
// change in any release. Application code uses the root (`balanceEncoded`, `debias`, `train`, `loadClip`, …) and
// `@m4kit/sdk/node` (`balanceFile`, …). Runtime-neutral, like the root.

// balance: the solver ↔ engine contract, the engines, the solvers
export type { BalanceData, MomentsSums, MomentsEngine } from './balance/types.js';
export { createCpuEngine, validateBalanceData, validatePi, type CpuEngineOptions } from './balance/engine-cpu.js';
export {
  createGpuEngine,
  type GpuEngineOptions,
  type GpuRowEncoding,
  type GpuMomentsEngineHandle,
} from './balance/engine-gpu.js';
export { mergeEngines, addMomentsSums } from './balance/engine-merge.js';
export {
  createDuckdbEngine,
  createSqlRowsEngine,
  type DuckdbEngine,
  type DuckRowsData,
  type SqlRows,
} from './balance/engine-duckdb.js';
export { compressPatterns, expandPatternQ, type CompressedPatterns } from './balance/patterns.js';
export {
  solveBatch,
  maxFeasibleEta,
  type SolveOptions,
  type SolveResult,
  type MaxFeasibleEtaOptions,
  type MaxFeasibleEtaResult,
} from './balance/solve.js';
export { newtonCore, solveModel, dualityGap, type NewtonArgs, type NewtonResult } from './balance/newton.js';
export { solveStreaming, type StreamOptions, type StreamResult } from './balance/stream.js';
export { keepHashStages, jsNumberText } from './balance/sql.js';
export { solverReport } from './pipeline/driver.js';
export {
  feasibleEtaOptionsFrom,
  resolveFeasibleEtaOptions,
  resolveSolveOptions,
  resolveStreamOptions,
  solverOptionsFrom,
  streamEpochs,
  type ResolvedFeasibleEtaOptions,
  type ResolvedSolveOptions,
  type ResolvedStreamOptions,
} from './balance/solver-options.js';

// debias: the BA module's parts
export { cloneParams, emaUpdate, initBaParams, paramList } from './debias/ba.js';
export type { BaParams, Mlp, MatmulBackend } from './debias/ba.js';
export { bankLossRef, CpuBank, type Bank, type BankLossInput, type BankLossOutput } from './debias/bank.js';
export { Adam, featureLoss, lossAndGrads, type FeatureLoss, type FeatureLossInput } from './debias/step.js';
export { createGpuBank } from './debias/bank-gpu.js';
export { gpuMatmul } from './debias/module.js';
export { counterfactualPick } from './debias/data.js';

// train: the step engine, parameter layout, sampler, schedule, checkpoint bytes
export { createEngine } from './train/train.js';
export {
  resolveConfig,
  resolveStages,
  layoutOf,
  initParams,
  lrAt,
  Sampler,
  type ResolvedConfig,
  type ResolvedStage,
  type Layout,
  type ParamSpec,
  type SamplerState,
} from './train/core.js';
export type { Engine, EngineInit, StepResult } from './train/engine.js';
export { writeSafetensors, readSafetensors, configPathFor, type NamedTensor } from './train/checkpoint.js';
export { setTrainFileIO, type TrainFileIO } from './train/io.js';

// clip: towers, weights, tokenizer text helpers
export { createGpuTowers } from './clip/towers-gpu.js';
export { createReferenceTowers, buildReferenceTowers, type ReferenceTowers } from './clip/reference.js';
export { expectedClipTensors, validateClipWeights, openClipWeights, type ClipWeights } from './clip/weights.js';
export { mlpHidden } from './clip/config.js';
export { cleanText, htmlUnescape, bytesToUnicode, gunzip } from './clip/tokenizer.js';

// io: safetensors internals and the strict value readers
export {
  safetensorsHeaderOf,
  safetensorsHeaderLength,
  parseSafetensorsHeader,
  decodeF32,
  decodeF64,
  SAFETENSORS_DTYPE_BYTES,
} from './io/safetensors.js';
export {
  categoryOf,
  numberOf,
  probabilityOf,
  idOf,
  embeddingValueOf,
  isMissing,
  nearDuplicateWarnings,
  checkExactColumns,
  type Where as ValueWhere,
} from './io/values.js';
export { searchTopKRef } from './evaluate/search.js';
