// Embedding matrices from .npy, .safetensors, Parquet (list / fixed-size-list column) or JSON (array of arrays,
// or JSONL with one array per line / an object field). NumPy's .npy and safetensors are tiny, fully specified
// formats (a header + raw little-endian data); no maintained npm reader covers both without pulling a tensor
// library, so they are parsed here (~60 lines) — Parquet and Arrow go through hyparquet / apache-arrow.
import { readFile } from 'node:fs/promises';
import { DataError } from './errors.js';
import { readTable } from './read.js';
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
        out[i] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
      }
      return out;
    }
    default:
      throw new DataError(`unsupported dtype "${dtype}" (use float16, float32 or float64)`, { file });
  }
}

export function parseNpy(file: string, bytes: Uint8Array): Embeddings {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== '\x93NUMPY') throw new DataError('not a .npy file (bad magic)', { file });
  const major = bytes[6];
  const hlen = major === 1 ? bytes[8] | (bytes[9] << 8) : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([<>|=]?)(\w+)'/.exec(header);
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) throw new DataError(`unreadable .npy header: ${header.trim()}`, { file });
  if (descr[1] === '>') throw new DataError('big-endian .npy arrays are not supported', { file });
  if (fortran) throw new DataError('Fortran-ordered .npy arrays are not supported (save with np.ascontiguousarray)', { file });
  const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (dims.length !== 2) throw new DataError(`expected a 2-D array [rows, dim], got shape (${dims.join(', ')})`, { file });
  const [n, d] = dims;
  return checkFinite(file, { n, d, data: toF32(file, descr[2], bytes.subarray(hstart + hlen), n * d) });
}

export function parseSafetensors(file: string, bytes: Uint8Array, tensor?: string): Embeddings {
  const hlen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  } catch {
    throw new DataError('not a safetensors file (bad header)', { file });
  }
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = tensor ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new DataError(`several tensors (${names.join(', ')}): choose one with file.safetensors:NAME`, { file });
  const t = header[name];
  if (!t) throw new DataError(`no tensor "${name}" (tensors: ${names.join(', ')})`, { file });
  if (t.shape.length !== 2) throw new DataError(`tensor "${name}" has shape [${t.shape}], expected [rows, dim]`, { file });
  const [a, b] = t.data_offsets;
  return checkFinite(file, { n: t.shape[0], d: t.shape[1], data: toF32(file, t.dtype, bytes.subarray(8 + hlen + a, 8 + hlen + b), t.shape[0] * t.shape[1]) });
}

function checkFinite(file: string, e: Embeddings): Embeddings {
  for (let i = 0; i < e.n; i++) {
    for (let j = 0; j < e.d; j++) {
      if (!Number.isFinite(e.data[i * e.d + j])) throw new DataError(`row ${i} has a non-finite value (NaN or ±Inf) in dimension ${j}`, { file, row: i + 1 });
    }
  }
  return e;
}

/**
 * Read an embedding matrix. `path` may carry a selector: `x.safetensors:NAME` (tensor), `x.parquet:COLUMN`,
 * `x.jsonl:FIELD` (default: the only list column / field).
 */
export async function readEmbeddings(spec: string): Promise<Embeddings> {
  const m = /^(.*\.(?:npy|safetensors|parquet|pq|jsonl|ndjson|json|arrow))(?::(.+))?$/i.exec(spec);
  if (!m) throw new DataError('embeddings must be .npy, .safetensors, .parquet, .arrow, .json or .jsonl', { file: spec });
  const [, file, sel] = m;
  const lower = file.toLowerCase();
  if (lower.endsWith('.npy') || lower.endsWith('.safetensors')) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch {
      throw new DataError('file not found', { file });
    }
    return lower.endsWith('.npy') ? parseNpy(file, bytes) : parseSafetensors(file, bytes, sel);
  }
  if (lower.endsWith('.json')) {
    let arr: unknown;
    try {
      arr = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new DataError(`cannot read JSON: ${(e as Error).message}`, { file });
    }
    if (Array.isArray(arr) && (arr.length === 0 || Array.isArray(arr[0]))) return fromRows(file, arr as number[][]);
  }
  // tables: one list-valued column per row
  const rows: number[][] = [];
  let column = sel;
  for await (const ch of readTable(file, { format: lower.endsWith('.parquet') || lower.endsWith('.pq') ? 'parquet' : lower.endsWith('.arrow') ? 'arrow' : 'jsonl' })) {
    if (!column) {
      const first = ch.rows[0] ?? {};
      const lists = ch.columns.filter((c) => Array.isArray(first[c]) || ArrayBuffer.isView(first[c] as unknown as object));
      if (lists.length !== 1) throw new DataError(`choose the embedding column with ${file}:COLUMN (list columns: ${lists.join(', ') || 'none'})`, { file });
      column = lists[0];
    }
    for (let i = 0; i < ch.rows.length; i++) {
      const v = ch.rows[i][column];
      if (!Array.isArray(v) && !ArrayBuffer.isView(v as unknown as object)) throw new DataError('expected a list of numbers', { file, row: ch.offset + i + 1, column });
      rows.push(Array.from(v as ArrayLike<number>, Number));
    }
  }
  return fromRows(file, rows);
}

function fromRows(file: string, rows: number[][]): Embeddings {
  const n = rows.length;
  const d = n ? rows[0].length : 0;
  const data = new Float32Array(n * d);
  rows.forEach((r, i) => {
    if (r.length !== d) throw new DataError(`row has dimension ${r.length}, expected ${d} (as row 1)`, { file, row: i + 1 });
    data.set(r, i * d);
  });
  return checkFinite(file, { n, d, data });
}
