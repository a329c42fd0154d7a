// Checkpoints and saved models: safetensors (8-byte little-endian header length, JSON header, raw data) with
// the m4kit state in `__metadata__` (all strings, per the format), plus a JSON config written beside it.
// Runtime-neutral: bytes in, bytes out; file IO is registered by the Node entry (see io.ts).
import { ArgumentError } from '@m4kit/kernels';
import { safetensorsDuplicate } from '../io/json-keys.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  dtype: 'F32' | 'F64';
  data: ArrayLike<number>;
}

export function writeSafetensors(tensors: NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of tensors) {
    const bytes = t.data.length * (t.dtype === 'F64' ? 8 : 4);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const t of tensors) {
    const arr = t.dtype === 'F64' ? Float64Array.from(t.data) : Float32Array.from(t.data);
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), p);
    p += arr.byteLength;
  }
  return out;
}

export function readSafetensors(
  bytes: Uint8Array,
  what = 'checkpoint',
): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new ArgumentError(`${what}: not a safetensors file (too short)`);
  const hlen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (hlen > bytes.length - 8)
    throw new ArgumentError(
      `${what}: truncated or not a safetensors file (header length ${hlen}, the file has ${bytes.length} bytes)`,
    );
  let header: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  } catch {
    throw new ArgumentError(`${what}: not a safetensors file (bad header)`);
  }
  const twice = safetensorsDuplicate(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  if (twice) throw new ArgumentError(`${what}: ${twice}`);
  const base = 8 + hlen;
  const tensors = new Map<string, NamedTensor>();
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (t.dtype !== 'F32' && t.dtype !== 'F64')
      throw new ArgumentError(`${what}: tensor "${name}" has dtype ${t.dtype}; expected F32 or F64`);
    const [a, b] = t.data_offsets;
    if (base + b > bytes.length)
      throw new ArgumentError(
        `${what}: truncated: tensor "${name}" ends at byte ${base + b}, the file has ${bytes.length}`,
      );
    const buf = bytes.slice(base + a, base + b).buffer;
    const data = t.dtype === 'F64' ? new Float64Array(buf) : new Float32Array(buf);
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0)
      throw new ArgumentError(
        `${what}: tensor "${name}" holds ${data[bad]} at index ${bad} (every loaded value must be finite)`,
      );
    tensors.set(name, { name, shape: t.shape, dtype: t.dtype, data });
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}

/** The JSON config path beside a model or checkpoint: x.safetensors → x.json */
export function configPathFor(path: string): string {
  return /\.safetensors$/i.test(path) ? path.replace(/\.safetensors$/i, '.json') : `${path}.json`;
}
