// loadClip → ClipModel: the CLIP entry point. Everything is read and checked before any GPU work (config resolved,
// tokenizer built, every weight key / shape / dtype checked against the config); then the towers for the
// Kernels' backend are built (WebGPU: the WGSL towers; CPU: the float64 reference) and the weights file closed.
import { ArgumentError, type Kernels } from '@m4kit/kernels';
import { DataError } from '../io/errors.js';
import { OptionError, RULES, choiceOption, optionalNumber } from '../options.js';
import type { Embeddings } from '../evaluate/search.js';
import { fileLabel, fileSetOf, pickClipFiles, readClipConfig, readClipTokenizer } from './files.js';
import type { ClipFileSet, ClipModelFiles } from './files.js';
import { createReferenceTowers } from './reference.js';
import { ClipAbortedError, createGpuTowers } from './towers-gpu.js';
import type { ClipTokenizer } from './tokenizer.js';
import type { ClipConfig, ClipTowers, CreateClipTowers } from './types.js';
import { openClipWeights } from './weights.js';
import type { ImageInput } from './image/decode.js';
import { embedImageInputs, type EmbedImagesOptions, type ImageEmbeddings } from './images.js';

/** The towers for each backend: the WGSL towers on WebGPU, the float64 reference on the CPU backend. */
const TOWERS: Record<string, CreateClipTowers | undefined> = { cpu: createReferenceTowers, webgpu: createGpuTowers };

/**
 * Options of `loadClip`: the backend, the precision and which towers to build.
 */
export interface LoadClipOptions {
  /** the backend the towers run on (`init()` from @m4kit/kernels) */
  kernels: Kernels;
  /**
   * 'auto' (default): f32. 'f16' keeps the weight matrices as binary16 on the device (half their memory; needs
   * shader-f16) but each matmul first widens its matrix to f32 — no f16 matmul yet — which made the towers slower on
   * every adapter measured (bench/clip.mjs --precision=f16), so 'auto' never picks it. The CPU backend is float64.
   */
  precision?: 'auto' | 'f32' | 'f16';
  /** build only some towers (both by default): a text-only model needs no image weights on the device */
  towers?: { text?: boolean; image?: boolean };
}

/**
 * Options of `embedTexts` / `embedImages`: normalisation, batch size, progress and abort.
 */
export interface ClipEmbedOptions {
  /** L2-normalise each row (default true) */
  normalize?: boolean;
  /** rows per tower call (default 64 texts / 32 images) */
  batch?: number;
  /** called after each batch with rows done and the total */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * A loaded CLIP model: tokenise, embed texts and images on its backend, `dispose()` the device weights.
 */
export interface ClipModel {
  readonly config: ClipConfig;
  readonly backend: 'webgpu' | 'cpu';
  readonly precision: 'f32' | 'f16';
  /** which files were read: config, weights, tokenizer (null when the text tower was not asked for) */
  readonly files: { readonly config: string; readonly weights: string; readonly tokenizer: string | null };
  readonly tokenizer: ClipTokenizer | null;
  /** token ids, n × contextLength, 0-padded (open_clip's tokenizer) */
  tokenize(texts: readonly string[]): Int32Array;
  /** text features [n, embedDim] (float32), L2-normalised unless `normalize: false` */
  embedTexts(texts: readonly string[], opts?: ClipEmbedOptions): Promise<Embeddings>;
  /**
   * image features [n, embedDim] (float32), L2-normalised unless `normalize: false`, rows in input order: images as
   * paths (Node/Deno), bytes, Blobs, ImageBitmaps or RGBA — decoded, preprocessed as open_clip does on the device
   * (`k.imagePreprocess`) and embedded (clip/images.ts; `skipBad` leaves undecodable ones out, listed) — or pixels
   * already preprocessed and normalised, n × 3 × S × S (S = vision.imageSize)
   */
  embedImages(images: readonly ImageInput[] | Float32Array, opts?: EmbedImagesOptions): Promise<ImageEmbeddings>;
  dispose(): void;
}

function resolvePrecision(k: Kernels, raw: unknown): 'f32' | 'f16' {
  const p = choiceOption('precision', raw, ['auto', 'f32', 'f16'] as const, 'auto');
  if (k.backend === 'cpu') {
    if (p === 'f16')
      throw new OptionError('precision', 'precision "f16" needs the WebGPU backend (the CPU backend runs in float64)');
    return 'f32';
  }
  // 'auto' is f32: f16 is storage only (a cast per matmul), slower than f32 wherever measured (see LoadClipOptions)
  return p === 'auto' ? 'f32' : p;
}

function normalizeRows(out: Float32Array, n: number, d: number, what: string, first: number): void {
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += out[r * d + j] * out[r * d + j];
    const norm = Math.sqrt(s);
    if (!(norm > 0) || !Number.isFinite(norm))
      throw new DataError(`${what} ${first + r + 1}: its feature vector has norm ${norm} (cannot L2-normalise)`);
    for (let j = 0; j < d; j++) out[r * d + j] /= norm;
  }
}

function checkFinite(out: Float32Array, n: number, d: number, what: string, first: number): void {
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new DataError(`${what} ${first + Math.floor(bad / d) + 1}: feature ${(bad % d) + 1} is ${out[bad]}`);
  void n;
}

/**
 * Load a model from its files (runtime-neutral; `@m4kit/sdk/node`'s loadClip also takes a folder path).
 * @param files - the model's files (config, .safetensors weights, vocabulary).
 * @param opts - the `Kernels` backend, precision and towers.
 * @returns the model (call `dispose()` when done).
 * @throws DataError naming the file for a missing, malformed or unsupported config, weights or vocabulary.
 *
 * @example
 * ```js
 * import { readdirSync, readFileSync } from 'node:fs';
 * import { init } from '@m4kit/kernels';
 * import { loadClip } from '@m4kit/sdk';
 * // the model's files by name (in a browser: the File objects of an <input type=file multiple>); here the tiny
 * // random-weight open_clip model of m4kit's repository (data/clip-tiny/gelu)
 * const dir = 'data/clip-tiny/gelu';
 * const files = Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))]));
 * const k = await init({ backend: 'cpu' });
 * const model = await loadClip(files, { kernels: k });
 * const t = await model.embedTexts(['a photo of a dog', 'a photo of a cat']);
 * console.log(`${t.n} × ${t.d} text embeddings on ${model.backend}`);
 * model.dispose();
 * k.destroy();
 * ```
 */
export async function loadClip(files: ClipModelFiles, opts: LoadClipOptions): Promise<ClipModel> {
  return loadClipFrom(fileSetOf(files), opts);
}

export async function loadClipFrom(set: ClipFileSet, opts: LoadClipOptions): Promise<ClipModel> {
  const k = opts?.kernels;
  if (!k || typeof k.tensor !== 'function')
    throw new ArgumentError('loadClip: pass { kernels } (await init() from @m4kit/kernels)');
  const want = { text: opts.towers?.text ?? true, image: opts.towers?.image ?? true };
  if (!want.text && !want.image)
    throw new OptionError('towers', 'towers: at least one of text and image must be built');
  const precision = resolvePrecision(k, opts.precision);
  const create = TOWERS[k.backend];
  if (!create)
    throw new ArgumentError(
      `loadClip: no CLIP towers for the ${k.backend} backend (WebGPU or CPU Kernels: init({ backend: 'cpu' }))`,
    );
  const picked = pickClipFiles(set, want.text);
  const config = await readClipConfig(set, picked.config);
  const tokenizer = want.text && picked.tokenizer ? await readClipTokenizer(set, picked.tokenizer, config) : null;
  const weightsFile = fileLabel(set, picked.weights);
  const weights = await openClipWeights(await set.open(picked.weights), config, weightsFile);
  let towers: ClipTowers;
  try {
    towers = await create(k, config, weights, { precision, towers: want });
  } finally {
    await weights.close();
  }
  const E = config.embedDim;
  let disposed = false;
  const alive = (what: string) => {
    if (disposed) throw new ArgumentError(`${what}: the model was disposed`);
  };

  async function run(
    total: number,
    batchDefault: number,
    o: ClipEmbedOptions | undefined,
    what: 'text' | 'image',
    call: (first: number, n: number) => Promise<Float32Array>,
  ): Promise<Embeddings> {
    const batch = optionalNumber('batch', o?.batch, RULES.positiveInt, batchDefault);
    const normalize = o?.normalize ?? true;
    if (typeof normalize !== 'boolean') throw new OptionError('normalize', 'normalize must be true or false');
    const data = new Float32Array(total * E);
    for (let first = 0; first < total; first += batch) {
      if (o?.signal?.aborted) throw new ClipAbortedError(first, total);
      const n = Math.min(batch, total - first);
      const out = await call(first, n);
      checkFinite(out, n, E, what, first);
      if (normalize) normalizeRows(out, n, E, what, first);
      data.set(out, first * E);
      o?.onProgress?.(first + n, total);
    }
    return { n: total, d: E, data };
  }

  return {
    config,
    backend: towers.backend,
    precision,
    files: {
      config: fileLabel(set, picked.config),
      weights: weightsFile,
      tokenizer: tokenizer ? fileLabel(set, picked.tokenizer!) : null,
    },
    tokenizer,
    tokenize(texts) {
      alive('tokenize');
      if (!tokenizer)
        throw new ArgumentError('tokenize: the model was loaded without its text tower (towers.text = false)');
      return tokenizer.tokenize(texts);
    },
    async embedTexts(texts, o) {
      alive('embedTexts');
      if (!tokenizer)
        throw new ArgumentError('embedTexts: the model was loaded without its text tower (towers.text = false)');
      return run(texts.length, 64, o, 'text', (first, n) =>
        towers.encodeText(tokenizer.tokenize(texts.slice(first, first + n)), n, { signal: o?.signal }),
      );
    },
    async embedImages(pixels, o) {
      alive('embedImages');
      if (!want.image) throw new ArgumentError('embedImages: the model was loaded without its image tower');
      if (!(pixels instanceof Float32Array)) return embedImageInputs(k, config, towers, pixels, o);
      const S = config.vision.imageSize;
      const per = 3 * S * S;
      if (pixels.length % per !== 0)
        throw new ArgumentError(
          `embedImages: expected normalised pixels as a Float32Array of n × 3 × ${S} × ${S} values, got ` +
            `${pixels.length} values`,
        );
      const e = await run(pixels.length / per, 32, o, 'image', (first, n) =>
        towers.encodeImage(pixels.subarray(first * per, (first + n) * per), n, { signal: o?.signal }),
      );
      return { ...e, data: Float32Array.from(e.data), rows: Array.from({ length: e.n }, (_, i) => i), skipped: [] };
    },
    dispose() {
      if (!disposed) towers.dispose();
      disposed = true;
    },
  };
}

/** What `loadClipTokenizer` returns: the resolved config, the tokenizer and the vocabulary file it came from. */
export interface LoadedClipTokenizer {
  readonly config: ClipConfig;
  readonly tokenizer: ClipTokenizer;
  readonly file: string;
}

/** A model folder's tokenizer alone (config + vocabulary; no weights read, no Kernels): for `m4kit tokenize`. */
export async function loadClipTokenizerFrom(set: ClipFileSet): Promise<LoadedClipTokenizer> {
  const picked = pickClipFiles(set, true, false);
  const config = await readClipConfig(set, picked.config);
  const tokenizer = await readClipTokenizer(set, picked.tokenizer!, config);
  return { config, tokenizer, file: fileLabel(set, picked.tokenizer!) };
}

/**
 * `loadClipTokenizerFrom` on a model's files (runtime-neutral).
 * @param files - the model's files.
 * @returns the tokenizer and its context length.
 * @throws DataError for a missing or malformed config or vocabulary.
 */
export async function loadClipTokenizer(files: ClipModelFiles): Promise<LoadedClipTokenizer> {
  return loadClipTokenizerFrom(fileSetOf(files));
}
