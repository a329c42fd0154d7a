// Runtime-neutral table and embedding IO on bytes (browser, Deno, Node): the same parsers and options as the
// Node file readers in read.ts / write.ts / embeddings.ts, so a table parsed here encodes to the same patterns
// and balances to the same numbers as `m4kit balance` on the file, and a table serialised here has the bytes the
// CLI writes. No node:* imports in this file.
// '#csv-parse-sync' (package.json imports): csv-parse's browser build under the 'browser' condition, its plain ESM
// build elsewhere: the browser build's Buffer polyfill assigns __proto__, which Deno refuses without --unsafe-proto
import { parse as parseCsvSync } from '#csv-parse-sync';
import { stringify as stringifyCsvSync } from 'csv-stringify/browser/esm/sync';
import { DataError } from './errors.js';
import { duplicateJsonKey, duplicateKeyMessage } from './json-keys.js';
import { parseNpy } from './tensor-bytes.js';
import type { Cell, Row, TableChunk, TableFormat } from './read.js';
import type { Embeddings } from '../evaluate/search.js';
import type { EncodedTable } from './encode.js';

/** Format from a file name (.csv .tsv .jsonl/.ndjson/.json .parquet .arrow); DataError naming the file otherwise. */
export function tableFormatOf(name: string): TableFormat {
  const p = name.toLowerCase();
  if (p.endsWith('.csv')) return 'csv';
  if (p.endsWith('.tsv') || p.endsWith('.tab')) return 'tsv';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson') || p.endsWith('.json')) return 'jsonl';
  if (p.endsWith('.parquet') || p.endsWith('.pq')) return 'parquet';
  if (p.endsWith('.arrow') || p.endsWith('.feather') || p.endsWith('.ipc')) return 'arrow';
  throw new DataError('unknown table format (use .csv, .tsv, .jsonl, .parquet or .arrow)', { file: name });
}

const asBytes = (b: ArrayBuffer | Uint8Array): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b));

/**
 * Parse a whole table held in memory. `name` is used for the format (unless `opts.format`) and in error messages.
 * Text formats report `lines` (file line per row) so encoder errors name the line, as the file readers do.
 */
export async function parseTableBytes(
  bytes: ArrayBuffer | Uint8Array,
  name: string,
  opts: { format?: TableFormat } = {},
): Promise<TableChunk> {
  const format = opts.format ?? tableFormatOf(name);
  const u8 = asBytes(bytes);
  if (format === 'csv' || format === 'tsv') return parseCsvBytes(u8, name, format === 'tsv' ? '\t' : ',');
  if (format === 'jsonl') return parseJsonlBytes(u8, name);
  if (format === 'parquet') return parseParquetBytes(u8, name);
  return parseArrowBytes(u8, name);
}

/** refuse a header or schema that names a column twice (the last one would silently win), as read.ts does */
function checkUniqueColumns(file: string, columns: string[], line?: number): string[] {
  const dup = [...new Set(columns.filter((c, i) => columns.indexOf(c) !== i))];
  if (dup.length)
    throw new DataError(
      `duplicate column names: ${dup.map((c) => JSON.stringify(c)).join(', ')} (each column needs its own name)`,
      { file, line },
    );
  return columns;
}

function parseCsvBytes(u8: Uint8Array, file: string, delimiter: string): TableChunk {
  let recs: { record: Row; info: { lines: number } }[];
  try {
    // the options of read.ts readCsv (columns from the header, BOM, no trimming, strict quotes)
    recs = parseCsvSync(utf8(u8, file), {
      columns: (h: string[]) => checkUniqueColumns(file, h, 1),
      delimiter,
      info: true,
      skip_empty_lines: true,
      bom: true,
      trim: false,
      relax_quotes: false,
    }) as unknown as { record: Row; info: { lines: number } }[];
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as Error & { lines?: number; cause?: unknown };
    if (err.cause instanceof DataError) throw err.cause;
    throw new DataError(`CSV parse error: ${err.message}`, { file, line: err.lines });
  }
  let columns: string[];
  if (recs.length) columns = Object.keys(recs[0].record);
  else {
    const head = parseCsvSync(utf8(u8, file), { delimiter, to_line: 1, bom: true }) as string[][];
    columns = head[0] ?? [];
  }
  return { columns, rows: recs.map((r) => r.record), offset: 0, lines: recs.map((r) => r.info.lines) };
}

function parseJsonlBytes(u8: Uint8Array, file: string): TableChunk {
  const text = utf8(u8, file);
  const rows: Row[] = [];
  const lines: number[] = [];
  const cols = new Set<string>();
  const all = text.split(/\r?\n/);
  for (let i = 0; i < all.length; i++) {
    const line = all[i];
    if (!line.trim()) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new DataError(`invalid JSON: ${(e as Error).message}`, { file, line: i + 1 });
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj))
      throw new DataError('each line must be a JSON object', { file, line: i + 1 });
    const dup = duplicateJsonKey(line);
    if (dup)
      throw new DataError(duplicateKeyMessage(dup), {
        file,
        line: i + 1,
        column: dup.path.length ? undefined : dup.key,
      });
    for (const k of Object.keys(obj)) cols.add(k);
    rows.push(obj as Row);
    lines.push(i + 1);
  }
  return { columns: [...cols], rows, offset: 0, lines };
}

async function parseParquetBytes(u8: Uint8Array, file: string): Promise<TableChunk> {
  const { parquetMetadata, parquetReadObjects, parquetSchema } = await import('hyparquet');
  const ab = u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength) as ArrayBuffer;
  let metadata;
  try {
    metadata = parquetMetadata(ab);
  } catch (e) {
    throw new DataError(`not a readable Parquet file: ${(e as Error).message}`, { file });
  }
  const columns = parquetSchema(metadata).children.map((c: { element: { name: string } }) => c.element.name);
  checkUniqueColumns(file, columns);
  const rows = Number(metadata.num_rows) ? ((await parquetReadObjects({ file: ab, metadata })) as Row[]) : [];
  return { columns, rows, offset: 0 };
}

async function parseArrowBytes(u8: Uint8Array, file: string): Promise<TableChunk> {
  const arrow = await import('apache-arrow');
  let table;
  try {
    table = arrow.tableFromIPC(u8);
  } catch (e) {
    throw new DataError(`not a readable Arrow IPC file: ${(e as Error).message}`, { file });
  }
  const columns = checkUniqueColumns(
    file,
    table.schema.fields.map((f) => f.name),
  );
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Row = {};
    for (const name of columns) {
      const v = table.getChild(name)?.get(i);
      row[name] =
        v && typeof v === 'object' && typeof (v as { toArray?: unknown }).toArray === 'function'
          ? Array.from((v as { toArray(): ArrayLike<Cell> }).toArray())
          : (v as Cell);
    }
    rows.push(row);
  }
  return { columns, rows, offset: 0 };
}

/** Column type of a parsed table, for display: number, boolean, list, string, or empty when every cell is missing. */
export type ColumnKind = 'number' | 'boolean' | 'list' | 'string' | 'empty';

/** Detected type and distinct-value count per column (missing = null, undefined, '', 'NA', 'NaN', as the encoder). */
export function describeColumns(
  chunk: TableChunk,
): { name: string; kind: ColumnKind; distinct: number; missing: number }[] {
  return chunk.columns.map((name) => {
    const seen = new Set<string>();
    let missing = 0;
    let num = 0;
    let bool = 0;
    let list = 0;
    let str = 0;
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
      else str++;
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

/** A column to serialise (the shape of write.ts OutColumn). */
export interface ByteColumn {
  name: string;
  data: ArrayLike<string | number | boolean | null>;
  type: 'string' | 'double' | 'int' | 'bool';
}

/** Serialise columns as CSV/TSV (csv-stringify, as writeTable), JSONL or Parquet (hyparquet-writer). */
export async function tableToBytes(
  columns: ByteColumn[],
  format: 'csv' | 'tsv' | 'jsonl' | 'parquet',
): Promise<Uint8Array> {
  const n = columns.length ? columns[0].data.length : 0;
  for (const c of columns)
    if (c.data.length !== n) throw new DataError(`column "${c.name}" has ${c.data.length} rows, expected ${n}`);
  if (format === 'parquet') {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const typeOf = { string: 'STRING', double: 'DOUBLE', int: 'INT32', bool: 'BOOLEAN' } as const;
    return new Uint8Array(
      parquetWriteBuffer({
        columnData: columns.map((c) => ({ name: c.name, data: Array.from(c.data) as never[], type: typeOf[c.type] })),
      }),
    );
  }
  if (format === 'jsonl') {
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

/** The columns `m4kit balance -o` writes: id (or 1-based row), q, keep. */
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

/** A 2-D little-endian float16/32/64 .npy array (C order) as embeddings; DataError naming the file otherwise. */
export function parseNpyBytes(bytes: ArrayBuffer | Uint8Array, file: string): Embeddings {
  return parseNpy(file, asBytes(bytes));
}

/** UTF-8 text of a file's bytes; invalid bytes are an error naming the line (never decoded to U+FFFD). */
function utf8(u8: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(u8);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const nl = u8.indexOf(10, start);
      const part = u8.subarray(start, nl < 0 ? u8.length : nl);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(part);
      } catch {
        const shown = Array.from(part.subarray(0, 60), (b) => String.fromCharCode(b)).join('');
        throw new DataError(`not valid UTF-8 (${JSON.stringify(shown)} read as Latin-1): re-encode the file as UTF-8`, {
          file,
          line,
        });
      }
      if (nl < 0) throw new DataError('not valid UTF-8', { file });
      start = nl + 1;
    }
  }
}
