import type { Layout, ResolvedConfig } from './core.js';

/**
 * What a logged training step reads back: loss, gradient norm and scale.
 */
export interface StepResult {
  loss: number;
  gradNorm?: number;
  /** τ = exp(t) before the update */
  scale: number;
}

/** One training backend: the WebGPU engine or the float64 reference (CPU backend and tests). */
export interface Engine {
  readonly dtype: 'F32' | 'F64';
  /** one optimizer step at 0-based global step i with learning rate lr on the rows `idx` of stage `stage` */
  step(i: number, lr: number, stage: number, idx: Uint32Array, log: boolean): Promise<StepResult | undefined>;
  /** gradients of the last step (before clipping), in layout order; only when created with keepGrads */
  lastGrads?(): Promise<Float64Array[]>;
  /** parameters and AdamW moments, in layout order */
  getState(): Promise<{ params: ArrayLike<number>[]; m: ArrayLike<number>[]; v: ArrayLike<number>[] }>;
  setState(s: { params: ArrayLike<number>[]; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void;
  /** n × outDim, L2-normalised */
  embed(tower: 'image' | 'text', x: Float32Array, n: number): Promise<Float32Array>;
  dispose(): void;
}

/**
 * What a training engine starts from: config, layout, initial parameters.
 */
export interface EngineInit {
  cfg: ResolvedConfig;
  layout: Layout;
  params: ArrayLike<number>[];
  keepGrads?: boolean;
}
