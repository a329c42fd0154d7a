// Node: safetensors read one tensor at a time from a file handle (positioned reads), so a model never sits in
// host memory whole. The format itself is in ./safetensors.ts.
import { open } from 'node:fs/promises';
import { DataError } from './errors.js';
import { openSafetensors, type ByteRangeReader, type SafetensorsFail, type SafetensorsFile } from './safetensors.js';

/**
 * A positioned-read `ByteRangeReader` over a file (close it when done).
 * @param path - the file.
 * @returns the reader.
 * @throws DataError naming the file when it cannot be opened.
 */
export async function fileReader(path: string): Promise<ByteRangeReader> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'file not found' : `cannot open: ${(e as Error).message}`, { file: path });
  }
  const { size } = await fh.stat();
  return {
    size,
    async read(offset, length) {
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(out, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? out : out.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/**
 * Open a .safetensors file (header validated, tensors read on demand); errors are `DataError`s naming it.
 * @param path - the file.
 * @param fail - builds the error for a malformed file (default: a DataError naming it).
 * @returns the open file; `close()` it when done.
 */
export async function openSafetensorsFile(path: string, fail?: SafetensorsFail): Promise<SafetensorsFile> {
  const reader = await fileReader(path);
  try {
    return await openSafetensors(reader, fail ?? ((m) => new DataError(m, { file: path })));
  } catch (e) {
    await reader.close?.();
    throw e;
  }
}
