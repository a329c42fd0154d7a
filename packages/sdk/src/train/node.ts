// Node-only training helpers: registers atomic file IO for save()/checkpoints and loads saved models.
import { readFile, writeFile } from 'node:fs/promises';
import type { Kernels } from '@m4kit/kernels';
import { DataError } from '../io/errors.js';
import { atomicWrite } from '../io/write.js';
import { setTrainFileIO } from './io.js';
import { loadTrainedModel } from './train.js';
import type { TrainedModel } from './types.js';

setTrainFileIO({
  writeFile: (path, bytes) => atomicWrite(path, (tmp) => writeFile(tmp, bytes)),
  readFile: async (path) => new Uint8Array(await readFile(path)),
});

/**
 * Load a model written by `TrainedModel.save()` (or a training checkpoint) from a .safetensors file.
 * @param k - the `Kernels` to run the model on.
 * @param path - the .safetensors file.
 * @returns the model.
 * @throws DataError when the file cannot be read; ArgumentError for a malformed file.
 */
export async function loadTrainedModelFile(k: Kernels, path: string): Promise<TrainedModel> {
  const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw new DataError(e.code === 'ENOENT' ? 'file not found' : `cannot read: ${e.message}`, { file: path });
  });
  return loadTrainedModel(k, new Uint8Array(bytes), path);
}
