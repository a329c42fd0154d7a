// Table readers (Node): CSV (csv-parse), JSONL, Parquet (hyparquet), Arrow IPC (apache-arrow).
// Every reader yields row chunks so callers can stream files larger than memory.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { DataError } from './errors.js';

export type Cell = string | number | boolean | bigint | null | undefined | Cell[];
export type Row = Record<string, Cell>;
export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet' | 'arrow';

export interface TableChunk {
  /** column names, in file order */
  columns: string[];
  rows: Row[];
  /** 0-based index of the first data row of this chunk */
  offset: number;
  /** file line of each row (text formats), for error messages */
  lines?: number[];
}

export function detectFormat(path: string): TableFormat {
  const p = path.toLowerCase().replace(/\.(gz)$/, '');
  if (p.endsWith('.csv')) return 'csv';
  if (p.endsWith('.tsv') || p.endsWith('.tab')) return 'tsv';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson') || p.endsWith('.json')) return 'jsonl';
  if (p.endsWith('.parquet') || p.endsWith('.pq')) return 'parquet';
  if (p.endsWith('.arrow') || p.endsWith('.feather') || p.endsWith('.ipc') || p.endsWith('.arrows')) return 'arrow';
  throw new DataError(`unknown table format (use .csv, .tsv, .jsonl, .parquet or .arrow)`, { file: path });
}

export interface ReadOptions {
  format?: TableFormat;
  chunkRows?: number;
}

/** Stream a table file as row chunks. */
export async function* readTable(path: string, opts: ReadOptions = {}): AsyncGenerator<TableChunk> {
  const format = opts.format ?? detectFormat(path);
  const chunkRows = opts.chunkRows ?? 65536;
  try {
    await stat(path);
  } catch {
    throw new DataError('file not found', { file: path });
  }
  if (format === 'csv' || format === 'tsv') yield* readCsv(path, format === 'tsv' ? '\t' : ',', chunkRows);
  else if (format === 'jsonl') yield* readJsonl(path, chunkRows);
  else if (format === 'parquet') yield* readParquet(path, chunkRows);
  else yield* readArrow(path, chunkRows);
}

async function* readCsv(path: string, delimiter: string, chunkRows: number): AsyncGenerator<TableChunk> {
  const parser = createReadStream(path).pipe(
    parse({ columns: true, delimiter, info: true, skip_empty_lines: true, bom: true, trim: false, relax_quotes: false }),
  );
  let columns: string[] | null = null;
  let rows: Row[] = [];
  let lines: number[] = [];
  let offset = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: Row; info: { lines: number; columns?: { name: string }[] } }>) {
      if (!columns) columns = Object.keys(rec.record);
      rows.push(rec.record);
      lines.push(rec.info.lines);
      if (rows.length >= chunkRows) {
        yield { columns, rows, offset, lines };
        offset += rows.length;
        rows = [];
        lines = [];
      }
    }
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new DataError(`CSV parse error: ${err.message}`, { file: path, line: err.lines });
  }
  if (!columns) {
    // header only or empty file: recover the header for the column list
    columns = await csvHeader(path, delimiter);
  }
  if (rows.length || offset === 0) yield { columns, rows, offset, lines };
}

async function csvHeader(path: string, delimiter: string): Promise<string[]> {
  const parser = createReadStream(path).pipe(parse({ delimiter, to_line: 1, bom: true }));
  for await (const rec of parser as AsyncIterable<string[]>) return rec;
  return [];
}

async function* readJsonl(path: string, chunkRows: number): AsyncGenerator<TableChunk> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let rows: Row[] = [];
  let lines: number[] = [];
  let offset = 0;
  let lineNo = 0;
  const cols = new Set<string>();
  for await (const line of rl) {
    lineNo++;
    if (!line.trim()) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new DataError(`invalid JSON: ${(e as Error).message}`, { file: path, line: lineNo });
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new DataError('each line must be a JSON object', { file: path, line: lineNo });
    for (const k of Object.keys(obj)) cols.add(k);
    rows.push(obj as Row);
    lines.push(lineNo);
    if (rows.length >= chunkRows) {
      yield { columns: [...cols], rows, offset, lines };
      offset += rows.length;
      rows = [];
      lines = [];
    }
  }
  if (rows.length || offset === 0) yield { columns: [...cols], rows, offset, lines };
}

async function* readParquet(path: string, chunkRows: number): AsyncGenerator<TableChunk> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import('hyparquet');
  const file = await asyncBufferFromFile(path);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new DataError(`not a readable Parquet file: ${(e as Error).message}`, { file: path });
  }
  const columns = parquetSchema(metadata).children.map((c: { element: { name: string } }) => c.element.name);
  const n = Number(metadata.num_rows);
  if (n === 0) yield { columns, rows: [], offset: 0 };
  for (let start = 0; start < n; start += chunkRows) {
    const rows = (await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: Math.min(n, start + chunkRows) })) as Row[];
    yield { columns, rows, offset: start };
  }
}

async function* readArrow(path: string, chunkRows: number): AsyncGenerator<TableChunk> {
  const arrow = await import('apache-arrow');
  let reader;
  try {
    reader = await arrow.RecordBatchReader.from(createReadStream(path));
  } catch (e) {
    throw new DataError(`not a readable Arrow IPC file: ${(e as Error).message}`, { file: path });
  }
  let offset = 0;
  let columns: string[] = [];
  let rows: Row[] = [];
  for await (const batch of reader) {
    columns = batch.schema.fields.map((f) => f.name);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Row = {};
      for (const name of columns) {
        const v = batch.getChild(name)?.get(i);
        row[name] = v && typeof v === 'object' && typeof (v as { toArray?: unknown }).toArray === 'function' ? Array.from((v as { toArray(): ArrayLike<Cell> }).toArray()) : (v as Cell);
      }
      rows.push(row);
      if (rows.length >= chunkRows) {
        yield { columns, rows, offset };
        offset += rows.length;
        rows = [];
      }
    }
  }
  if (rows.length || offset === 0) yield { columns, rows, offset };
}
