export * from './types.js';
export { train, loadTrainedModel, TrainAbortedError } from './train.js';
export {
  TrainConfigError,
  TRAIN_DEFAULTS,
  resolveTrainOptions,
  type ResolvedTrainOptions,
  type TrainDefaults,
} from './core.js';
