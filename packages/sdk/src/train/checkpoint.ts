// Checkpoints and saved models: safetensors (8-byte little-endian header length, JSON header, raw data) with
// the m4kit state in `__metadata__` (all strings, per the format), plus a JSON config written beside it.
// Runtime-neutral: bytes in, bytes out (the one reader / writer in io/safetensors.ts); file IO is registered by
// the Node entry (see io.ts).
import { ArgumentError } from '@m4kit/kernels';
import { decodeF64, firstNonFinite, safetensorsHeaderOf } from '../io/safetensors.js';

/**
 * A tensor read from or written to safetensors: name, shape, dtype and values.
 */
export interface NamedTensor {
  name: string;
  shape: number[];
  dtype: 'F32' | 'F64';
  data: ArrayLike<number>;
}

/** Serialise tensors with `metadata` in the header: the one writer, in io/safetensors.ts. */
export { writeSafetensors } from '../io/safetensors.js';

/**
 * Parse a whole safetensors file held in memory (F32 / F64 tensors, metadata).
 * @param bytes - the file.
 * @param what - the name in error messages (default 'checkpoint').
 * @returns the tensors by name and the `__metadata__` strings.
 * @throws ArgumentError for a malformed header, an unsupported dtype or a non-finite value.
 */
export function readSafetensors(
  bytes: Uint8Array,
  what = 'checkpoint',
): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const fail = (m: string) => new ArgumentError(`${what}: ${m}`);
  const header = safetensorsHeaderOf(bytes, fail);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, t] of header.entries) {
    if (t.dtype !== 'F32' && t.dtype !== 'F64')
      throw fail(`tensor "${name}" has dtype ${t.dtype}; expected F32 or F64`);
    const raw = bytes.subarray(t.begin, t.end);
    const data = t.dtype === 'F64' ? decodeF64(raw, t.dtype, fail, name) : new Float32Array(raw.slice().buffer);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw fail(`tensor "${name}" holds ${data[bad]} at index ${bad} (every loaded value must be finite)`);
    tensors.set(name, { name, shape: [...t.shape], dtype: t.dtype, data });
  }
  return { tensors, metadata: { ...header.metadata } };
}

/**
 * The JSON config path beside a model or checkpoint: x.safetensors → x.json
 * @param path - a model or checkpoint path.
 * @returns the JSON config path.
 */
export function configPathFor(path: string): string {
  return /\.safetensors$/i.test(path) ? path.replace(/\.safetensors$/i, '.json') : `${path}.json`;
}
