// Runtime-neutral table and embedding IO on bytes (browser, Deno, Node): the same parsers and options as the
// Node file readers in read.ts / write.ts / embeddings.ts, so a table parsed here encodes to the same patterns
// and balances to the same numbers as `m4kit balance` on the file, and a table serialised here has the bytes the
// CLI writes. No node:* imports in this file.
import { stringify as stringifyCsvSync } from 'csv-stringify/browser/esm/sync';
import { DataError } from './errors.js';
import { tableFile, type ByteColumn, type TableChunk, type TableFormat } from './formats.js';
import { parseNpy } from './tensor-bytes.js';
import type { Embeddings } from '../evaluate/search.js';
import type { EncodedTable } from './encode.js';

export { tableFormatOf, type ByteColumn } from './formats.js';

const asBytes = (b: ArrayBuffer | Uint8Array): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b));

/** gunzip in memory (DecompressionStream: browsers, Deno, Node) */
async function gunzip(u8: Uint8Array, file: string): Promise<Uint8Array> {
  try {
    const s = new Blob([u8 as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(s).arrayBuffer());
  } catch (e) {
    throw new DataError(`not a readable gzip file: ${(e as Error).message}`, { file });
  }
}

/**
 * Parse a whole table held in memory. `name` is used for the format (unless `opts.format`) and in error messages.
 * Text formats report `lines` (file line per row) so encoder errors name the line, as the file readers do.
 * @param bytes - the file's bytes.
 * @param name - the file name (its extension picks the format).
 * @param opts - a format that overrides the extension.
 * @returns one chunk with every row.
 * @throws DataError naming the file (and line) for malformed input.
 */
export async function parseTableBytes(
  bytes: ArrayBuffer | Uint8Array,
  name: string,
  opts: { format?: TableFormat } = {},
): Promise<TableChunk> {
  const { spec, gzip, zstd } = tableFile(name, opts.format);
  if (zstd) throw new DataError('a zstd-compressed file: decompress it (zstd -d) first', { file: name });
  const u8 = gzip ? await gunzip(asBytes(bytes), name) : asBytes(bytes);
  return spec.parse(u8, name);
}

/** Column type of a parsed table, for display: number, boolean, list, string, or empty when every cell is missing. */
export type ColumnKind = 'number' | 'boolean' | 'list' | 'string' | 'empty';

/**
 * Detected type and distinct-value count per column (missing = null, undefined, '', 'NA', 'NaN', as the encoder).
 * @param chunk - a parsed table.
 * @returns per column: its kind, distinct and missing counts.
 */
export function describeColumns(
  chunk: TableChunk,
): { name: string; kind: ColumnKind; distinct: number; missing: number }[] {
  return chunk.columns.map((name) => {
    const seen = new Set<string>();
    let missing = 0;
    let num = 0;
    let bool = 0;
    let list = 0; // anything else counts as a string
    for (const r of chunk.rows) {
      const v = r[name];
      if (
        v === null ||
        v === undefined ||
        v === '' ||
        v === 'NA' ||
        v === 'NaN' ||
        (typeof v === 'number' && Number.isNaN(v))
      ) {
        missing++;
        continue;
      }
      if (seen.size <= 10000) seen.add(Array.isArray(v) ? JSON.stringify(v) : String(v));
      if (Array.isArray(v)) list++;
      else if (typeof v === 'boolean' || v === 'true' || v === 'false') bool++;
      else if (
        typeof v === 'number' ||
        typeof v === 'bigint' ||
        (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
      )
        num++;
    }
    const present = chunk.rows.length - missing;
    const kind: ColumnKind =
      present === 0
        ? 'empty'
        : list === present
          ? 'list'
          : bool === present
            ? 'boolean'
            : num === present
              ? 'number'
              : 'string';
    return { name, kind, distinct: seen.size, missing };
  });
}

/**
 * Serialise columns as CSV/TSV (csv-stringify, as writeTable), JSONL or Parquet (hyparquet-writer).
 * @param columns - equal-length columns.
 * @param format - the output format.
 * @returns the file's bytes.
 * @throws DataError for columns of different lengths.
 */
export async function tableToBytes(columns: ByteColumn[], format: TableFormat): Promise<Uint8Array> {
  const n = columns.length ? columns[0].data.length : 0;
  for (const c of columns)
    if (c.data.length !== n) throw new DataError(`column "${c.name}" has ${c.data.length} rows, expected ${n}`);
  const { spec } = tableFile(`.${format}`, format);
  if (spec.toBytes) return spec.toBytes(columns);
  if (format === 'jsonl' || format === 'json') {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const o: Record<string, unknown> = {};
      for (const c of columns) o[c.name] = c.data[i];
      out.push(JSON.stringify(o) + '\n');
    }
    return new TextEncoder().encode(out.join(''));
  }
  const records: unknown[][] = [];
  for (let i = 0; i < n; i++) records.push(columns.map((c) => c.data[i]));
  const text = stringifyCsvSync(records, {
    header: true,
    columns: columns.map((c) => c.name),
    delimiter: format === 'tsv' ? '\t' : ',',
    cast: { boolean: (v: boolean) => (v ? 'true' : 'false') },
  });
  return new TextEncoder().encode(text);
}

/**
 * The columns `m4kit balance -o` writes: id (or 1-based row), q, keep.
 * @param enc - the encoded table (ids come from it).
 * @param result - q and keep per input row.
 * @param idName - the id column's name (default 'id').
 * @returns the columns, ready for `tableToBytes`.
 */
export function balanceOutputColumns(
  enc: EncodedTable,
  result: { q: Float64Array; keep: Uint8Array },
  idName = 'id',
): ByteColumn[] {
  const cols: ByteColumn[] = [];
  if (enc.ids) cols.push({ name: idName, data: enc.ids, type: typeof enc.ids[0] === 'number' ? 'double' : 'string' });
  else cols.push({ name: 'row', data: Int32Array.from({ length: enc.rows }, (_, i) => i + 1), type: 'int' });
  cols.push({ name: 'q', data: result.q, type: 'double' });
  cols.push({ name: 'keep', data: Array.from(result.keep, (k) => k === 1), type: 'bool' });
  return cols;
}

/**
 * A 2-D little-endian float16/32/64 .npy array (C order) as embeddings; DataError naming the file otherwise.
 * @param bytes - the file's bytes.
 * @param file - the file name in error messages.
 * @returns n×d embeddings.
 * @throws DataError naming the file for anything but a 2-D float .npy.
 */
export function parseNpyBytes(bytes: ArrayBuffer | Uint8Array, file: string): Embeddings {
  return parseNpy(file, asBytes(bytes));
}
