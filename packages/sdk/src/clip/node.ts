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
 */
export async function loadClipTokenizer(folderOrFiles: string | ClipModelFiles): Promise<LoadedClipTokenizer> {
  return loadClipTokenizerFrom(
    typeof folderOrFiles === 'string' ? await clipFolder(folderOrFiles) : fileSetOf(folderOrFiles),
  );
}
