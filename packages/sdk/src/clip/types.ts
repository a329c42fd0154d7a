// The contract between the CLIP pieces (issue #23), written first so the loader, the tokenizer, the towers and
// the image path can be built side by side. Change it only together with every implementer.
import type { Kernels, Tensor } from '@m4kit/kernels';

/** Vision tower (open_clip `vision_cfg`, resolved: every default filled in). */
export interface ClipVisionConfig {
  /** input side S (pixels; square after preprocessing) */
  readonly imageSize: number;
  readonly patchSize: number;
  readonly width: number;
  readonly layers: number;
  /** width / head_width (open_clip default head_width 64) */
  readonly heads: number;
  /** hidden = width · mlpRatio (default 4) */
  readonly mlpRatio: number;
}

/** Text tower (open_clip `text_cfg`, resolved). */
export interface ClipTextConfig {
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly width: number;
  readonly heads: number;
  readonly layers: number;
  readonly mlpRatio: number;
}

/** Image preprocessing (open_clip `preprocess_cfg`, resolved). */
export interface ClipPreprocessConfig {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly interpolation: 'bicubic' | 'bilinear';
  readonly resizeMode: 'shortest' | 'longest' | 'squash';
}

/** A resolved open_clip model configuration. */
export interface ClipConfig {
  readonly embedDim: number;
  /** QuickGELU x·σ(1.702x) instead of GELU (erf) */
  readonly quickGelu: boolean;
  readonly vision: ClipVisionConfig;
  readonly text: ClipTextConfig;
  readonly preprocess: ClipPreprocessConfig;
}

/**
 * The float dtypes CLIP weights may be stored in.
 */
export type ClipTensorDType = 'F32' | 'F16' | 'BF16';

/**
 * The weights of a model, read one tensor at a time (open_clip key names, e.g. `visual.conv1.weight`,
 * `transformer.resblocks.0.attn.in_proj_weight`). Tensors are decoded on demand so a consumer can upload one and
 * drop it: peak host memory stays near the file size.
 */
export interface ClipWeightSource {
  readonly entries: ReadonlyMap<string, { readonly dtype: ClipTensorDType; readonly shape: readonly number[] }>;
  /** one tensor as float32 (a fresh array the caller owns) */
  read(name: string): Promise<Float32Array>;
  /**
   * Optional: one tensor in its stored encoding — float32 for F32, the raw binary16 / bfloat16 bits for F16 / BF16
   * (checked finite) — so a consumer that keeps weights on the host (the CPU backend) holds no more than the file.
   */
  readStored?(name: string): Promise<Float32Array | ClipHalfTensor>;
}

/** F16 or BF16 values as stored (little-endian bits), decoded where they are used. */
export interface ClipHalfTensor {
  readonly dtype: 'F16' | 'BF16';
  readonly bits: Uint16Array;
}

/** Which towers to build and how. */
export interface ClipTowerOptions {
  /** 'f16': f16 storage, f32 accumulation (needs `shader-f16`); 'f32' everywhere else */
  readonly precision: 'f32' | 'f16';
  readonly towers?: { readonly text?: boolean; readonly image?: boolean };
}

/**
 * Options of one tower call: an AbortSignal checked between chunks.
 */
export interface ClipEncodeOptions {
  readonly signal?: AbortSignal;
}

/**
 * The two towers on one backend. Outputs are the projected features (n × embedDim, row-major), NOT normalised.
 * On WebGPU they run as WGSL kernels through `Kernels`; on the CPU backend as the float64 reference.
 */
export interface ClipTowers {
  readonly backend: 'webgpu' | 'cpu';
  /** tokens: n × contextLength ids (0-padded, as `tokenize` makes them) */
  encodeText(tokens: Int32Array, n: number, opts?: ClipEncodeOptions): Promise<Float32Array>;
  /** pixels: n × 3 × S × S, already normalised by mean/std (host array, or a device tensor from the preprocess op) */
  encodeImage(pixels: Float32Array | Tensor, n: number, opts?: ClipEncodeOptions): Promise<Float32Array>;
  dispose(): void;
}

/** Builds the towers for `k` (implemented by the WGSL towers on WebGPU, by the float64 reference on CPU). */
export type CreateClipTowers = (
  k: Kernels,
  config: ClipConfig,
  weights: ClipWeightSource,
  opts: ClipTowerOptions,
) => Promise<ClipTowers>;
