// Embedding matrices from .npy, .safetensors, Parquet (list / fixed-size-list column) or JSON (array of arrays,
// or JSONL with one array per line / an object field). .npy and safetensors bytes are parsed in ./tensor-bytes.ts
// (runtime-neutral, shared with the browser path); Parquet and Arrow go through hyparquet / apache-arrow.
import { readFile } from 'node:fs/promises';
import { DataError } from './errors.js';
import { checkFinite, parseNpy, parseSafetensors } from './tensor-bytes.js';
import { readTable } from './read.js';
import { embeddingValueOf } from './values.js';
import type { Embeddings } from '../evaluate/search.js';

export { parseNpy, parseSafetensors } from './tensor-bytes.js';

/**
 * Read an embedding matrix. `path` may carry a selector: `x.safetensors:NAME` (tensor), `x.parquet:COLUMN`,
 * `x.jsonl:FIELD` (default: the only list column / field).
 * @param spec - a file path, optionally with ":tensor" or ":column" / ":field".
 * @returns the n×d embeddings (float32).
 * @throws DataError naming the file for an unknown format, a missing tensor / column or a bad value.
 */
export async function readEmbeddings(spec: string): Promise<Embeddings> {
  const m = /^(.*\.(?:npy|safetensors|parquet|pq|jsonl|ndjson|json|arrow))(?::(.+))?$/i.exec(spec);
  if (!m)
    throw new DataError('embeddings must be .npy, .safetensors, .parquet, .arrow, .json or .jsonl', { file: spec });
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
  for await (const ch of readTable(file, {
    format:
      lower.endsWith('.parquet') || lower.endsWith('.pq') ? 'parquet' : lower.endsWith('.arrow') ? 'arrow' : 'jsonl',
  })) {
    if (!column) {
      const first = ch.rows[0] ?? {};
      const lists = ch.columns.filter(
        (c) => Array.isArray(first[c]) || ArrayBuffer.isView(first[c] as unknown as object),
      );
      if (lists.length !== 1)
        throw new DataError(
          `choose the embedding column with ${file}:COLUMN (list columns: ${lists.join(', ') || 'none'})`,
          { file },
        );
      column = lists[0];
    }
    for (let i = 0; i < ch.rows.length; i++) {
      const v = ch.rows[i][column];
      if (!Array.isArray(v) && !ArrayBuffer.isView(v as unknown as object))
        throw new DataError('expected a list of numbers', { file, row: ch.offset + i + 1, column });
      const where = { file, row: ch.offset + i + 1, column };
      rows.push(
        ArrayBuffer.isView(v as unknown as object)
          ? Array.from(v as unknown as ArrayLike<number>)
          : (v as unknown[]).map((x, dim) => (typeof x === 'number' ? x : embeddingValueOf(x, { ...where, dim }))),
      );
    }
  }
  return fromRows(file, rows);
}

function fromRows(file: string, rows: number[][]): Embeddings {
  const n = rows.length;
  const d = n ? rows[0].length : 0;
  const data = new Float32Array(n * d);
  rows.forEach((r, i) => {
    if (!Array.isArray(r) && !ArrayBuffer.isView(r))
      throw new DataError('expected a list of numbers', { file, row: i + 1 });
    if (r.length !== d)
      throw new DataError(`row has dimension ${r.length}, expected ${d} (as row 1)`, { file, row: i + 1 });
    // null / strings are refused, never read as 0 by Float32Array.set
    if (Array.isArray(r))
      r.forEach((x, dim) => typeof x === 'number' || embeddingValueOf(x, { file, row: i + 1, dim }));
    data.set(r, i * d);
  });
  return checkFinite(file, { n, d, data });
}
