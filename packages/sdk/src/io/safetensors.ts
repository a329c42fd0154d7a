// The one safetensors reader / writer (runtime-neutral, no node:*): an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets }, __metadata__?: { string: string } }, then raw little-endian data.
// Hand-written: the format is tiny and fully specified, and the npm readers we know either load the whole file
// (no one-tensor-at-a-time reads by offset) or pull a tensor library. Used by the embedding readers
// (tensor-bytes.ts), training checkpoints (train/checkpoint.ts), the BA module (debias/module.ts) and the CLIP
// weights (clip/weights.ts). Reads take a `ByteRangeReader` (bytes, a Blob, or a Node file handle from
// ./safetensors-file.ts) so one tensor is in host memory at a time.
import { f16BitsToF32, f32ToF16Bits } from '@m4kit/kernels';
import { safetensorsDuplicate } from './json-keys.js';

/** Every dtype the header may name, with its element size in bytes. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The float dtypes m4kit decodes. */
export type SafetensorsFloat = 'F64' | 'F32' | 'F16' | 'BF16';

/**
 * One tensor in a safetensors header: dtype, shape and absolute byte range.
 */
export interface SafetensorsEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** absolute byte offsets in the file: [begin, end) */
  readonly begin: number;
  readonly end: number;
}

/**
 * A validated safetensors header: the tensors in header order, the metadata and where the data starts.
 */
export interface SafetensorsHeader {
  /** tensors in header order (no `__metadata__`) */
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** first byte of the data section */
  readonly dataStart: number;
  /** the file size the header was checked against */
  readonly size: number;
}

/** Turns a message into the caller's error (e.g. `DataError` naming the file, or `ArgumentError` with a prefix). */
export type SafetensorsFail = (message: string) => Error;

/**
 * The header length from the first 8 bytes, checked against the file size.
 * @param first8 - the file's first 8 bytes.
 * @param size - the file's size.
 * @param fail - builds the error for a malformed file.
 * @returns the header length in bytes.
 */
export function safetensorsHeaderLength(first8: Uint8Array, size: number, fail: SafetensorsFail): number {
  if (size < 8 || first8.length < 8) throw fail('not a safetensors file (too short)');
  const hlen = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (hlen > size - 8)
    throw fail(`truncated or not a safetensors file (header length ${hlen}, the file has ${size} bytes)`);
  return hlen;
}

/**
 * Parse and validate the header (`headerBytes` = the hlen bytes after the length): JSON, no name twice, known
 * dtypes, shapes of non-negative integers, offsets that match shape × element size and lie inside the file.
 * @param headerBytes - the JSON header's bytes.
 * @param size - the file's size.
 * @param fail - builds the error for a malformed header.
 * @returns the validated header.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  size: number,
  fail: SafetensorsFail,
): SafetensorsHeader {
  const text = new TextDecoder().decode(headerBytes);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fail('not a safetensors file (bad header)');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw fail('not a safetensors file (bad header)');
  const twice = safetensorsDuplicate(text);
  if (twice) throw fail(twice);
  const dataStart = 8 + headerBytes.length;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const size1 = typeof t?.dtype === 'string' ? SAFETENSORS_DTYPE_BYTES[t.dtype] : undefined;
    if (!t || size1 === undefined)
      throw fail(`tensor "${name}" has dtype ${String(t?.dtype)}, not a safetensors dtype`);
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw fail(`tensor "${name}" has a bad shape ${JSON.stringify(shape)} (expected non-negative integers)`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw fail(`tensor "${name}" has bad data_offsets ${JSON.stringify(off)}`);
    const [a, b] = off as [number, number];
    const want = shape.reduce((p: number, d: number) => p * d, 1) * size1;
    if (b - a !== want)
      throw fail(
        `tensor "${name}": data_offsets [${a}, ${b}] hold ${b - a} bytes, ${t.dtype} [${shape}] needs ${want}`,
      );
    if (dataStart + b > size)
      throw fail(`truncated: tensor "${name}" ends at byte ${dataStart + b}, the file has ${size}`);
    entries.set(name, { dtype: t.dtype as string, shape: shape as number[], begin: dataStart + a, end: dataStart + b });
  }
  return { entries, metadata, dataStart, size };
}

/**
 * The header of a whole file in memory.
 * @param bytes - the whole file.
 * @param fail - builds the error for a malformed header.
 * @returns the validated header.
 */
export function safetensorsHeaderOf(bytes: Uint8Array, fail: SafetensorsFail): SafetensorsHeader {
  const hlen = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length, fail);
  return parseSafetensorsHeader(bytes.subarray(8, 8 + hlen), bytes.length, fail);
}

/**
 * Decode one tensor's raw bytes (F64, F32, F16 or BF16) into float32 (a fresh array, or `raw`'s own buffer).
 * @param raw - the tensor's bytes.
 * @param dtype - its safetensors dtype.
 * @param fail - builds the error for an unsupported dtype.
 * @param name - the tensor's name in errors.
 * @returns the values as float32.
 */
export function decodeF32(raw: Uint8Array, dtype: string, fail: SafetensorsFail, name: string): Float32Array {
  const count = raw.byteLength / (SAFETENSORS_DTYPE_BYTES[dtype] ?? 1);
  switch (dtype) {
    case 'F32':
      return raw.byteOffset % 4 === 0
        ? new Float32Array(raw.buffer, raw.byteOffset, count).slice()
        : new Float32Array(raw.slice().buffer);
    case 'F64':
      return Float32Array.from(
        raw.byteOffset % 8 === 0
          ? new Float64Array(raw.buffer, raw.byteOffset, count)
          : new Float64Array(raw.slice().buffer),
      );
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(count);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      if (dtype === 'F16') for (let i = 0; i < count; i++) out[i] = f16BitsToF32(dv.getUint16(2 * i, true));
      else {
        const u = new Uint32Array(out.buffer);
        for (let i = 0; i < count; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      }
      return out;
    }
    default:
      throw fail(`tensor "${name}" has dtype ${dtype} (F32, F16, BF16 or F64 expected)`);
  }
}

/**
 * Decode one tensor into float64 (F64 exactly; F32 / F16 / BF16 widened).
 * @param raw - the tensor's bytes.
 * @param dtype - its safetensors dtype.
 * @param fail - builds the error for an unsupported dtype.
 * @param name - the tensor's name in errors.
 * @returns the values as float64.
 */
export function decodeF64(raw: Uint8Array, dtype: string, fail: SafetensorsFail, name: string): Float64Array {
  if (dtype === 'F64') return new Float64Array(raw.slice().buffer);
  if (dtype === 'F32' && raw.byteOffset % 4 === 0)
    return Float64Array.from(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));
  return Float64Array.from(decodeF32(raw, dtype, fail, name));
}

/** Where a tensor's bytes come from: one range at a time. */
export interface ByteRangeReader {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/**
 * A reader over bytes already in memory (ranges are views, no copy).
 * @param bytes - the file's bytes.
 * @returns the reader.
 */
export function bytesReader(bytes: Uint8Array): ByteRangeReader {
  return { size: bytes.length, read: async (o, n) => bytes.subarray(o, o + n) };
}

/**
 * A reader over a Blob / File (browser): only the requested slice is read.
 * @param blob - a Blob or File.
 * @returns the reader.
 */
export function blobReader(blob: Blob): ByteRangeReader {
  return { size: blob.size, read: async (o, n) => new Uint8Array(await blob.slice(o, o + n).arrayBuffer()) };
}

/** An open safetensors file: the validated header, tensors read one at a time by offset. */
export interface SafetensorsFile extends SafetensorsHeader {
  raw(name: string): Promise<Uint8Array>;
  f32(name: string): Promise<Float32Array>;
  f64(name: string): Promise<Float64Array>;
  close(): Promise<void>;
}

/**
 * Open a safetensors file through a range reader: the header is read and validated first, each tensor is read only
 * when asked for.
 * @param reader - where the bytes come from (`bytesReader`, `blobReader`, `fileReader`).
 * @param fail - builds the error for a malformed file.
 * @returns the open file (header, `tensor(name)` readers, `close()`).
 */
export async function openSafetensors(reader: ByteRangeReader, fail: SafetensorsFail): Promise<SafetensorsFile> {
  const hlen = safetensorsHeaderLength(await reader.read(0, Math.min(8, reader.size)), reader.size, fail);
  const header = parseSafetensorsHeader(await reader.read(8, hlen), reader.size, fail);
  const raw = async (name: string): Promise<Uint8Array> => {
    const e = header.entries.get(name);
    if (!e) throw fail(`no tensor "${name}"`);
    const out = await reader.read(e.begin, e.end - e.begin);
    if (out.byteLength !== e.end - e.begin)
      throw fail(`truncated: tensor "${name}" ends at byte ${e.end}, read ${e.begin + out.byteLength}`);
    return out;
  };
  return {
    ...header,
    raw,
    f32: async (name) => decodeF32(await raw(name), header.entries.get(name)!.dtype, fail, name),
    f64: async (name) => decodeF64(await raw(name), header.entries.get(name)!.dtype, fail, name),
    close: async () => {
      await reader.close?.();
    },
  };
}

/** One tensor to write. `data` is converted to `dtype` (F16: round to nearest even; BF16: round to nearest even). */
export interface SafetensorsTensor {
  name: string;
  shape: readonly number[];
  dtype: SafetensorsFloat;
  data: ArrayLike<number>;
}

function encode(t: SafetensorsTensor): Uint8Array {
  switch (t.dtype) {
    case 'F64': {
      const a = t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    case 'F32': {
      const a = Float32Array.from(t.data);
      return new Uint8Array(a.buffer);
    }
    case 'F16':
    case 'BF16': {
      const out = new Uint8Array(2 * t.data.length);
      const dv = new DataView(out.buffer);
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      for (let i = 0; i < t.data.length; i++) {
        let h: number;
        if (t.dtype === 'F16') h = f32ToF16Bits(t.data[i]);
        else {
          f[0] = t.data[i];
          const x = u[0];
          h = Number.isNaN(f[0]) ? 0x7fc0 : ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
        }
        dv.setUint16(2 * i, h, true);
      }
      return out;
    }
  }
}

/**
 * Serialise tensors (in the given order, contiguous) with `metadata` first in the header; the header is padded with
 * spaces to a multiple of 8 bytes so the data section is aligned.
 * @param tensors - the tensors (name, dtype, shape, values).
 * @param metadata - `__metadata__` strings.
 * @returns the file's bytes.
 */
export function writeSafetensors(tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const blobs = tensors.map(encode);
  let off = 0;
  tensors.forEach((t, i) => {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + blobs[i].byteLength] };
    off += blobs[i].byteLength;
  });
  const text = JSON.stringify(header);
  let json = new TextEncoder().encode(text);
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = new TextEncoder().encode(text + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const b of blobs) {
    out.set(b, p);
    p += b.byteLength;
  }
  return out;
}

/** The index of the first non-finite value, or -1. */
export function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}
