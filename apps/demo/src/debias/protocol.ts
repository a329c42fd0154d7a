// Requests from the Debias tab to its worker (worker.ts), the result and the progress; the envelope is the
// demo's one worker protocol (rpc.ts, client.ts). One request trains and evaluates everything; progress streams
// back; cancel = the page terminates the worker.
import type { DebiasConfig, DebiasEval } from '@m4kit/sdk';

export interface FileIn {
  name: string;
  bytes: ArrayBuffer;
}

/** The files of a run (row i of the three training matrices = one example; eval metadata row i = eval image i). */
export interface DebiasFiles {
  trainImages: FileIn;
  trainCaptions: FileIn;
  trainCounterfactuals: FileIn;
  /** per training row (CLIP-clip fits its mutual information on the training images) */
  trainMeta?: FileIn;
  /** validation set for early stopping (optional; without it the evaluation set is used, and the page says so) */
  valImages?: FileIn;
  valMeta?: FileIn;
  evalImages: FileIn;
  evalMeta: FileIn;
  biasPrompts: FileIn;
  /** one name per line (optional) */
  biasPromptNames?: FileIn;
  zeroshotPrompts: FileIn;
  /** per zero-shot prompt, column "class" */
  zeroshotPromptMeta: FileIn;
  /** biased-prompts baseline: spurious prompts (optional) and calibration candidates */
  spuriousPrompts?: FileIn;
  candidatePrompts?: FileIn;
}

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  queueSize: number;
  lr: number;
  hidden1: number;
  hidden2: number;
  tau: number;
  alpha: number;
  seed: number;
  evalEvery: number;
  patience: number;
}

export interface DebiasRequest {
  files: DebiasFiles;
  /** attribute columns of the eval metadata; the first drives validation ABLE (early stopping) */
  attributes: string[];
  classColumn: string;
  /** MaxSkew@k / NDKL@k */
  k: number;
  train: TrainSettings;
  backend: 'webgpu' | 'cpu';
  clipClip: { enabled: boolean; m: number };
  biasedPrompts: { enabled: boolean; lambda: number; pairs: string };
  /** shown in the results and used for the download's file name */
  name: string;
}

export interface AttributeMetrics {
  attribute: string;
  groups: string[];
  maxSkew: number;
  ndkl: number;
  able: number;
}

export interface MethodResult {
  id: 'original' | 'ba' | 'clip-clip' | 'biased-prompts';
  label: string;
  /** what the method changed (dimensions kept, rank removed, …) */
  note: string;
  /** CLIP-clip: the kept dimensions; biased prompts: the rank of the removed subspace */
  detail?: { keep?: number[]; rank?: number };
  top1: number;
  perAttribute: AttributeMetrics[];
}

export interface DebiasDone {
  name: string;
  backend: string;
  train: { rows: number; dim: number };
  eval: { rows: number; prompts: number; classes: number; k: number };
  /** rows of the validation set; separate = false: the evaluation set served as validation */
  validation: { rows: number; separate: boolean };
  methods: MethodResult[];
  training: {
    history: DebiasConfig['history'];
    evals: DebiasEval[];
    bestEpoch: number | null;
    epochsRun: number;
    epochs: number;
    stoppedEarly: boolean;
    ms: number;
  };
  module: { weights: Uint8Array; config: string };
}

export type ToDebiasWorker = { type: 'run'; req: DebiasRequest };

export type DebiasProgress =
  | { stage: 'status'; text: string }
  | { stage: 'step'; epoch: number; epochs: number; step: number; steps: number; loss: number }
  | { stage: 'eval'; ev: DebiasEval };
