// Images → CLIP image features: decode (clip/image/decode.ts) → open_clip's preprocessing on the device
// (`k.imagePreprocess`, byte-exact with PIL) → the vision tower (`ClipTowers.encodeImage`, which takes the device
// tensor directly) → optional L2 normalisation. Batches are decoded one ahead of the tower so host decoding overlaps
// GPU work. `ClipModel.embedImages` calls `embedImageInputs`; it is also usable with any `ClipTowers`.
import type { Kernels, Tensor } from '@m4kit/kernels';
import { DataError } from '../io/errors.js';
import { OptionError, RULES, optionalNumber } from '../options.js';
import type { Embeddings } from '../evaluate/search.js';
import { decodeImage, imageLabel, type DecodeOptions, type ImageInput } from './image/decode.js';
import type { RgbaImage } from './image/types.js';
import type { ClipConfig, ClipTowers } from './types.js';
import { ClipAbortedError } from './towers-gpu.js';

/**
 * Options of image embedding: normalisation, batch size, skipping undecodable inputs, progress and abort.
 */
export interface EmbedImagesOptions {
  /** L2-normalise each row (default true) */
  normalize?: boolean;
  /** images per tower call (default 32) */
  batch?: number;
  /** called after each batch: inputs done (skipped ones included) and the total */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** leave out inputs that cannot be decoded (listed in `skipped`) instead of failing on the first one */
  skipBad?: boolean;
  /** labels for messages (default: the path, or `image #i`) */
  labels?: readonly string[];
  decoder?: DecodeOptions['decoder'];
}

/**
 * An input `embedImages` left out under `skipBad`: its position, label and why.
 */
export interface SkippedImage {
  /** 0-based position in the input list */
  index: number;
  label: string;
  reason: string;
}

export interface ImageEmbeddings extends Embeddings {
  data: Float32Array;
  /** input index of each output row (all of them, in order, unless some were skipped) */
  rows: number[];
  skipped: SkippedImage[];
}

/**
 * open_clip's preprocessing of decoded images into a device tensor [n, 3, S, S] for this model.
 * @param k - the `Kernels` that run the preprocessing.
 * @param config - the model's config (image size, mean / std, resize mode).
 * @param images - decoded RGBA8 images.
 * @returns a [n, 3, S, S] tensor.
 */
export function preprocessForClip(k: Kernels, config: ClipConfig, images: readonly RgbaImage[]): Tensor {
  const p = config.preprocess;
  return k.imagePreprocess(images, {
    size: config.vision.imageSize,
    mean: p.mean,
    std: p.std,
    interpolation: p.interpolation,
    resizeMode: p.resizeMode,
  });
}

/**
 * Divide each row by its L2 norm; a zero or non-finite row is a DataError naming its input.
 * @param out - n×d features, normalised in place.
 * @param d - feature width.
 * @param labels - one label per row, for the error.
 * @throws DataError naming the input of a zero or non-finite row.
 */
export function normalizeImageRows(out: Float32Array, d: number, labels: readonly string[]): void {
  for (let r = 0; r < labels.length; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += out[r * d + j]! * out[r * d + j]!;
    const norm = Math.sqrt(s);
    if (!(norm > 0) || !Number.isFinite(norm))
      throw new DataError(`its image feature vector has norm ${norm} (cannot L2-normalise)`, { file: labels[r] });
    for (let j = 0; j < d; j++) out[r * d + j]! /= norm;
  }
}

/**
 * Embed images (paths in Node/Deno, bytes, Blobs, ImageBitmaps or decoded RGBA) with a model's vision tower.
 * Rows come in input order; with `skipBad` undecodable inputs are left out and listed.
 * @param k - the `Kernels` the towers run on.
 * @param config - the model's config.
 * @param towers - the image tower.
 * @param images - the inputs.
 * @param opts - normalisation, batch, skipBad, progress, signal.
 * @returns n×d features (input order) and the skipped inputs.
 * @throws DataError for an undecodable input (unless skipBad); ClipAbortedError when the signal fires.
 */
export async function embedImageInputs(
  k: Kernels,
  config: ClipConfig,
  towers: Pick<ClipTowers, 'encodeImage'>,
  images: readonly ImageInput[],
  opts: EmbedImagesOptions = {},
): Promise<ImageEmbeddings> {
  if (!Array.isArray(images)) throw new OptionError('images', 'embedImages: images must be an array');
  const batch = optionalNumber('batch', opts.batch, RULES.positiveInt, 32);
  const normalize = opts.normalize ?? true;
  if (typeof normalize !== 'boolean') throw new OptionError('normalize', 'normalize must be true or false');
  if (opts.labels && opts.labels.length !== images.length)
    throw new OptionError('labels', `labels: ${opts.labels.length} labels for ${images.length} images`);
  const E = config.embedDim;
  const total = images.length;
  const label = (i: number) => opts.labels?.[i] ?? imageLabel(images[i]!, i);
  const skipped: SkippedImage[] = [];
  const rows: number[] = [];
  const parts: Float32Array[] = [];

  const decodeBatch = async (first: number) => {
    const ok: { index: number; img: RgbaImage }[] = [];
    for (let i = first; i < Math.min(total, first + batch); i++) {
      if (opts.signal?.aborted) throw new ClipAbortedError(i, total);
      try {
        ok.push({ index: i, img: await decodeImage(images[i]!, label(i), { decoder: opts.decoder }) });
      } catch (e) {
        if (!opts.skipBad || !(e instanceof DataError)) throw e;
        skipped.push({ index: i, label: label(i), reason: e.message });
      }
    }
    return ok;
  };

  let next = total > 0 ? decodeBatch(0) : null;
  for (let first = 0; first < total; first += batch) {
    const ok = await next!;
    // decode the next batch while this one runs on the device
    next = first + batch < total ? decodeBatch(first + batch) : null;
    next?.catch(() => undefined); // surfaced when awaited
    if (opts.signal?.aborted) throw new ClipAbortedError(first, total);
    if (ok.length > 0) {
      const px = preprocessForClip(
        k,
        config,
        ok.map((o) => o.img),
      );
      let out: Float32Array;
      try {
        const input = k.backend === 'cpu' ? Float32Array.from(await px.read()) : px;
        out = Float32Array.from(await towers.encodeImage(input, ok.length, { signal: opts.signal }));
      } finally {
        px.dispose();
      }
      const bad = out.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        throw new DataError(`image feature ${(bad % E) + 1} is ${out[bad]}`, {
          file: label(ok[Math.floor(bad / E)]!.index),
        });
      if (normalize)
        normalizeImageRows(
          out,
          E,
          ok.map((o) => label(o.index)),
        );
      parts.push(out);
      for (const o of ok) rows.push(o.index);
    }
    opts.onProgress?.(Math.min(total, first + batch), total);
  }
  const data = new Float32Array(rows.length * E);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { n: rows.length, d: E, data, rows, skipped };
}
