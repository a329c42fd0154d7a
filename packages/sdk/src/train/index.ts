export * from './types.js';
export { train, loadTrainedModel, createEngine, TrainAbortedError } from './train.js';
export {
  TrainConfigError,
  TRAIN_DEFAULTS,
  resolveTrainOptions,
  resolveConfig,
  resolveStages,
  layoutOf,
  initParams,
  lrAt,
  Sampler,
  type ResolvedConfig,
  type ResolvedTrainOptions,
  type ResolvedStage,
  type Layout,
  type ParamSpec,
  type SamplerState,
} from './core.js';
export type { Engine, EngineInit, StepResult } from './engine.js';
export { writeSafetensors, readSafetensors, configPathFor, type NamedTensor } from './checkpoint.js';
export { setTrainFileIO, type TrainFileIO } from './io.js';
