// What the explorer shows: row-aligned image (and optional caption) embeddings before / after debiasing,
// a group per image, an optional keep probability q per image, metadata rows, labelled text queries.
export interface Pair {
  before: Float32Array;
  /** absent: no debiased version (the toggle is disabled) */
  after?: Float32Array;
}

export interface ExplorerData {
  /** shown on the page: where the data came from */
  source: string;
  D: number;
  /** images (rows) */
  n: number;
  groupNames: string[];
  /** group index per image */
  group: Uint32Array;
  /** keep probability per image (size / opacity); absent = uniform */
  q?: Float64Array;
  /** metadata per image, shown on hover / click */
  rows: Record<string, string>[];
  images: Pair;
  /** captions, row-aligned with the images (optional) */
  texts?: Pair;
  queries?: Pair & { names: string[] };
  /** the BA module that produced "after", when it was trained here: safetensors bytes + JSON config */
  module?: { name: string; weights: Uint8Array; config: string };
}
