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

/**
 * What `train()` trains: the loss, the projection towers and the optimisation settings (defaults in
 * `TRAIN_DEFAULTS`).
 */
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
  /** AdamW moments and ε (PyTorch defaults 0.9, 0.999, 1e-8) */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** initial log-scale t (CLIP default ln(1/0.07); SigLIP t′ = ln 10) and SigLIP bias b (default −10) */
  initLogScale?: number;
  initBias?: number;
}

/** train() options (the `*Options` name; `TrainConfig` stays, as this contract never renames). */
export type TrainOptions = TrainConfig;

/** two-stage: fractions of `steps`, sum to 1 */
export interface TrainStage {
  data: PairedData;
  fraction: number;
}

/**
 * A trained (or loaded) model: embed image and text features into the shared space, save it.
 */
export interface TrainedModel {
  config: TrainConfig;
  /** n × outDim, L2-normalised */
  embedImage(x: Float32Array, n: number): Promise<Float32Array>;
  embedText(x: Float32Array, n: number): Promise<Float32Array>;
  history: { step: number; loss: number }[];
  /** safetensors + JSON config (Node entry) */
  save(path: string): Promise<void>;
  /** release the device buffers (parameters, optimizer state, features) */
  dispose(): void;
}

/**
 * Callbacks and files of a `train()` run: progress, logging, checkpoints, evaluation, resume and abort.
 */
export interface TrainHooks {
  /** after every step; `loss` is defined on logged steps only (the one read-back) */
  onStep?(step: number, loss: number | undefined): void;
  signal?: AbortSignal;
  /** write a checkpoint (safetensors: parameters, AdamW state, sampler position; JSON config) every N steps */
  checkpointEvery?: number;
  /** checkpoint path (Node entry: a file; needs `checkpointEvery`); the final state is written there too */
  checkpointPath?: string;
  /** resume bit-exactly from a checkpoint written by an earlier run (path, Node entry, or the file's bytes) */
  resume?: string | Uint8Array;
  /** call `onEval` with the current model every N steps (and after the last) */
  evalEvery?: number;
  onEval?(model: TrainedModel, step: number): Promise<void> | void;
  /** one record per logged step (loss, lr, grad-norm, examples/s), e.g. for a JSONL metrics log */
  onLog?(record: TrainLogRecord): void;
}

/**
 * One logged step of `train()` (passed to `onLog`).
 */
export interface TrainLogRecord {
  step: number;
  stage: number;
  loss: number;
  lr: number;
  /** global gradient norm before clipping (read with the loss; only when clipNorm is set) */
  gradNorm?: number;
  /** temperature τ = exp(t) */
  scale: number;
  elapsedMs: number;
}
