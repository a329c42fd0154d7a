// The Embed tab's request to its worker (worker.ts), its result and progress; the envelope is the demo's one worker
// protocol (rpc.ts, client.ts). One request embeds the images (and the captions and the 319 bias prompts when
// there is a table) with a CLIP model folder, then measures retrieval and bias; progress streams back; cancel =
// the page terminates the worker.

export interface EmbedRequest {
  type: 'embed';
  /** the model folder: base name → file */
  model: Record<string, Blob>;
  /** in row order */
  images: { name: string; blob: Blob }[];
  /** per image (same order), or null without a caption column */
  captions: string[] | null;
  /** the attribute column: its value per image, or null */
  attribute: { name: string; values: string[] } | null;
  backend: 'webgpu' | 'cpu';
  batch: number;
}

export type EmbedStage = 'load' | 'images' | 'captions' | 'prompts' | 'evaluate';

export interface EmbedResult {
  backend: 'webgpu' | 'cpu';
  precision: 'f32' | 'f16';
  modelFiles: { config: string; weights: string; tokenizer: string | null };
  dim: number;
  /** [images, dim] L2-normalised */
  images: Float32Array;
  /** [images, dim] L2-normalised, or null */
  captions: Float32Array | null;
  /** the bias prompts' features (for the explorer) and their text */
  prompts: { names: string[]; data: Float32Array } | null;
  retrieval: { imageToText: Record<string, number>; textToImage: Record<string, number> } | null;
  bias: {
    attribute: string;
    k: number;
    groups: string[];
    maxSkew: number;
    ndkl: number;
    datasetShares: number[];
    meanShares: number[];
  } | null;
  timeMs: number;
}

export interface EmbedProgress {
  stage: EmbedStage;
  done: number;
  total: number;
}
