// The train() contract (issue 6, train half). Fields may be added; these are never renamed.
import type { Kernels } from '@m4kit/kernels';

export type { Kernels };

/** Row i of image pairs with row i of text (frozen features, row-major f32). */
export interface PairedData {
  image: Float32Array;
  imageDim: number;
  text: Float32Array;
  textDim: number;
  n: number;
  /** optional per-example loss weights (e.g. M4's q), length n */
  weights?: Float32Array;
  /** optional per-example keep probabilities: Bernoulli-resampled every epoch */
  keep?: Float32Array;
}

/** [] = linear projection; [h] = Linear→GELU→Linear, … */
export interface TowerConfig {
  hidden: number[];
}

export interface TrainConfig {
  loss: 'clip' | 'siglip';
  /** shared embedding width */
  outDim: number;
  image?: TowerConfig;
  text?: TowerConfig;
  batchSize: number;
  steps: number;
  /** AdamW, cosine schedule with linear warm-up */
  lr: number;
  weightDecay?: number;
  warmupSteps?: number;
  clipNorm?: number;
  seed?: number;
  logEvery?: number;
}

/** two-stage: fractions of `steps`, sum to 1 */
export interface TrainStage {
  data: PairedData;
  fraction: number;
}

export interface TrainedModel {
  config: TrainConfig;
  /** n × outDim, L2-normalised */
  embedImage(x: Float32Array, n: number): Promise<Float32Array>;
  embedText(x: Float32Array, n: number): Promise<Float32Array>;
  history: { step: number; loss: number }[];
  /** safetensors + JSON config (Node entry) */
  save(path: string): Promise<void>;
}

export interface TrainHooks {
  onStep?(step: number, loss: number | undefined): void;
  signal?: AbortSignal;
}
