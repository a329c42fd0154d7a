// Node: a CLIP model folder on disk (files opened lazily; the weights read one tensor at a time by offset).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../io/errors.js';
import { fileReader } from '../io/safetensors-file.js';
import { fileSetOf, type ClipFileSet, type ClipModelFiles } from './files.js';
import {
  loadClipFrom,
  loadClipTokenizerFrom,
  type ClipModel,
  type LoadClipOptions,
  type LoadedClipTokenizer,
} from './model.js';

/**
 * The files of a model folder (directory entries, not recursive).
 * @param dir - the model folder.
 * @returns its files.
 * @throws DataError naming the folder when it is missing or not a directory.
 */
export async function clipFolder(dir: string): Promise<ClipFileSet> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new DataError('not a directory (pass the model folder)', { file: dir });
    names = await readdir(dir);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError('model folder not found', { file: dir });
  }
  const files = new Map(names.map((n) => [n, { open: () => fileReader(join(dir, n)) }]));
  return fileSetOf(files, dir);
}

/**
 * Load a CLIP model from a folder path (or, as in the browser entry, from its files).
 * @param folderOrFiles - the model folder, or its files.
 * @param opts - the `Kernels` backend, precision and towers.
 * @returns the model (call `dispose()` when done).
 * @throws DataError naming the file for a missing, malformed or unsupported config, weights or vocabulary.
 *
 * @example
 * ```js
 * import { init } from '@m4kit/kernels/node';
 * import { loadClip } from '@m4kit/sdk/node';
 * const k = await init({ backend: 'cpu' }); // init() runs the towers on WebGPU
 * const model = await loadClip('data/clip-tiny/gelu', { kernels: k }); // an open_clip model folder
 * const texts = await model.embedTexts(['a photo of a dog', 'a photo of a cat']);
 * // images as paths, encoded bytes, Blobs or RGBA pixels (here one 4 × 4 red square)
 * const red = { width: 4, height: 4, data: new Uint8Array(64).map((_, i) => (i % 4 === 1 || i % 4 === 2 ? 0 : 255)) };
 * const images = await model.embedImages([red]);
 * let cos = 0;
 * for (let j = 0; j < texts.d; j++) cos += images.data[j] * texts.data[j];
 * console.log(`image · "a photo of a dog" = ${cos.toFixed(3)} (unit rows, ${texts.d}-d)`);
 * model.dispose();
 * k.destroy();
 * ```
 */
export async function loadClip(folderOrFiles: string | ClipModelFiles, opts: LoadClipOptions): Promise<ClipModel> {
  return loadClipFrom(
    typeof folderOrFiles === 'string' ? await clipFolder(folderOrFiles) : fileSetOf(folderOrFiles),
    opts,
  );
}

/**
 * A model folder's tokenizer alone (config + vocabulary; the weights are not read).
 * @param folderOrFiles - the model folder, or its files.
 * @returns the tokenizer and its context length.
 * @throws DataError for a missing or malformed config or vocabulary.
 *
 * @example
 * ```js
 * import { loadClipTokenizer } from '@m4kit/sdk/node';
 * const { tokenizer } = await loadClipTokenizer('data/clip-tiny/gelu'); // reads the config and vocabulary only
 * const ids = tokenizer.tokenize(['a photo of a dog']); // [1, contextLength], 0-padded, as open_clip's tokenizer
 * console.log(Array.from(ids.slice(0, 8)));
 * ```
 */
export async function loadClipTokenizer(folderOrFiles: string | ClipModelFiles): Promise<LoadedClipTokenizer> {
  return loadClipTokenizerFrom(
    typeof folderOrFiles === 'string' ? await clipFolder(folderOrFiles) : fileSetOf(folderOrFiles),
  );
}
