// Node/Deno: image paths are read from the filesystem (registered when `@m4kit/sdk/node` is imported).
import { readFile } from 'node:fs/promises';
import { DataError } from '../../io/errors.js';
import { setImageFileReader } from './decode.js';

/**
 * Read an image file's bytes; a missing or unreadable file is a DataError naming it.
 * @param path - the image file.
 * @returns its bytes.
 * @throws DataError naming the file.
 */
export async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DataError(
      err.code === 'ENOENT' ? 'image file not found' : err.code === 'EISDIR' ? 'is a directory' : err.message,
      { file: path },
    );
  }
}

setImageFileReader(readImageFile);
