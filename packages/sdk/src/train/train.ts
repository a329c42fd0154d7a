import type { Kernels, PairedData, TrainConfig, TrainedModel, TrainHooks, TrainStage } from './types.js';

export async function train(k: Kernels, data: PairedData | TrainStage[], config: TrainConfig, hooks?: TrainHooks): Promise<TrainedModel> {
  void k; void data; void config; void hooks;
  throw new Error('train: not implemented yet');
}
