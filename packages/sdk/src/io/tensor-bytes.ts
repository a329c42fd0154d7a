// .npy and safetensors embedding matrices from bytes: runtime-neutral (no node:*), shared by the file readers
// (./embeddings.ts) and the browser path (./parse-bytes.ts). Both are tiny, fully specified formats (a header +
// raw little-endian data); no maintained npm reader covers both without pulling a tensor library. safetensors
// itself is read by the one reader in ./safetensors.ts.
import { DataError } from './errors.js';
import { decodeF32, safetensorsHeaderOf } from './safetensors.js';
import type { Embeddings } from '../evaluate/search.js';

function toF32(file: string, dtype: string, buf: Uint8Array, count: number): Float32Array {
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  switch (dtype) {
    case 'f4':
    case 'F32':
      return new Float32Array(ab, 0, count);
    case 'f8':
    case 'F64':
      return Float32Array.from(new Float64Array(ab, 0, count));
    case 'f2':
    case 'F16': {
      const h = new Uint16Array(ab, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const v = h[i];
        const s = v & 0x8000 ? -1 : 1;
        const e = (v >> 10) & 0x1f;
        const f = v & 0x3ff;
        out[i] =
          e === 0
            ? s * 2 ** -14 * (f / 1024)
            : e === 31
              ? f
                ? NaN
                : s * Infinity
              : s * 2 ** (e - 15) * (1 + f / 1024);
      }
      return out;
    }
    default:
      throw new DataError(`unsupported dtype "${dtype}" (use float16, float32 or float64)`, { file });
  }
}

/**
 * Parse a 2-D float16/32/64 .npy (C order) into embeddings.
 * @param file - the file name in error messages.
 * @param bytes - the file's bytes.
 * @returns n×d embeddings.
 * @throws DataError naming the file for a bad magic, dtype, order or shape.
 */
export function parseNpy(file: string, bytes: Uint8Array): Embeddings {
  if (bytes.length < 10 || String.fromCharCode(...bytes.subarray(0, 6)) !== '\x93NUMPY')
    throw new DataError('not a .npy file (bad magic)', { file });
  const major = bytes[6];
  const hlen =
    major === 1 ? bytes[8] | (bytes[9] << 8) : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([<>|=]?)(\w+)'/.exec(header);
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) throw new DataError(`unreadable .npy header: ${header.trim()}`, { file });
  if (descr[1] === '>') throw new DataError('big-endian .npy arrays are not supported', { file });
  if (fortran)
    throw new DataError('Fortran-ordered .npy arrays are not supported (save with np.ascontiguousarray)', { file });
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (dims.length !== 2)
    throw new DataError(`expected a 2-D array [rows, dim], got shape (${dims.join(', ')})`, { file });
  const [n, d] = dims;
  const size = ({ f2: 2, f4: 4, f8: 8 } as Record<string, number>)[descr[2]];
  if (!size) throw new DataError(`unsupported dtype "${descr[2]}" (use float16, float32 or float64)`, { file });
  const body = bytes.subarray(hstart + hlen);
  if (body.length < n * d * size)
    throw new DataError(`truncated .npy: shape (${n}, ${d}) needs ${n * d * size} bytes, found ${body.length}`, {
      file,
    });
  return checkFinite(file, { n, d, data: toF32(file, descr[2], body, n * d) });
}

/**
 * Read one 2-D tensor of a safetensors file held in memory as embeddings.
 * @param file - the file name in error messages.
 * @param bytes - the file's bytes.
 * @param tensor - the tensor's name (default: the only tensor).
 * @returns n×d embeddings.
 * @throws DataError naming the file for a missing or ambiguous tensor or a bad shape.
 */
export function parseSafetensors(file: string, bytes: Uint8Array, tensor?: string): Embeddings {
  const fail = (m: string) => new DataError(m, { file });
  const header = safetensorsHeaderOf(bytes, fail);
  const names = [...header.entries.keys()];
  const name = tensor ?? (names.length === 1 ? names[0] : undefined);
  if (!name)
    throw new DataError(`several tensors (${names.join(', ')}): choose one with file.safetensors:NAME`, { file });
  const t = header.entries.get(name);
  if (!t) throw new DataError(`no tensor "${name}" (tensors: ${names.join(', ')})`, { file });
  if (t.shape.length !== 2)
    throw new DataError(`tensor "${name}" has shape [${t.shape}], expected [rows, dim]`, { file });
  return checkFinite(file, {
    n: t.shape[0],
    d: t.shape[1],
    data: decodeF32(bytes.subarray(t.begin, t.end), t.dtype, fail, name),
  });
}

export function checkFinite(file: string, e: Embeddings): Embeddings {
  for (let i = 0; i < e.n; i++) {
    for (let j = 0; j < e.d; j++) {
      const v = e.data[i * e.d + j];
      if (!Number.isFinite(v))
        throw new DataError(
          `dimension ${j + 1} of ${e.d} is ${v} (embeddings must be finite; rows and dimensions count from 1)`,
          { file, row: i + 1 },
        );
    }
  }
  return e;
}

/** .npy element types m4kit writes. */
export type NpyDType = '<f4' | '<i4' | '<i8';

/**
 * A C-ordered .npy (format 1.0, header padded to 64 bytes) holding `data` as `dtype` with `shape`.
 * @param shape - the array's shape.
 * @param dtype - '<f2', '<f4', '<f8', … (little-endian).
 * @param data - shape's product values, C order.
 * @returns the file's bytes.
 * @throws RangeError when data's length does not match the shape.
 */
export function npyBytes(shape: readonly number[], dtype: NpyDType, data: ArrayLike<number>): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new RangeError(`npyBytes: ${data.length} values for shape (${shape.join(', ')})`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const size = dtype === '<i8' ? 8 : 4;
  const out = new Uint8Array(10 + header.length + count * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = 10 + header.length;
  if (dtype === '<f4') out.set(new Uint8Array(Float32Array.from(data).buffer), body);
  else if (dtype === '<i4') out.set(new Uint8Array(Int32Array.from(data).buffer), body);
  else for (let i = 0; i < count; i++) dv.setBigInt64(body + 8 * i, BigInt(data[i]), true);
  return out;
}
