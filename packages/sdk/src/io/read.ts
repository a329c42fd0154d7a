// Table readers (Node): CSV (csv-parse), JSONL, Parquet (hyparquet), Arrow IPC (apache-arrow).
// Every reader yields row chunks so callers can stream files larger than memory.
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline, Transform, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { DataError } from './errors.js';
import { duplicateJsonKey, duplicateKeyMessage } from './json-keys.js';

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
  /** text formats: 'utf-8' (default: invalid bytes are an error naming the line) or 'latin1' (ISO-8859-1) */
  encoding?: TextEncoding;
}
export type TextEncoding = 'utf-8' | 'latin1';

/** the first line of `buf` (starting at file line `line`) that is not valid UTF-8, as a DataError */
function badUtf8(path: string, buf: Buffer, line: number): DataError | null {
  if (isUtf8(buf)) return null;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    const end = nl < 0 ? buf.length : nl;
    const ln = buf.subarray(start, end);
    if (!isUtf8(ln)) {
      const text = ln.toString('latin1').replace(/\r$/, '');
      const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
      return new DataError(
        `not valid UTF-8 (${JSON.stringify(shown)} read as Latin-1): re-encode the file as UTF-8 (iconv -f latin1 -t utf-8) or pass --encoding latin1`,
        { file: path, line },
      );
    }
    if (nl < 0) return null;
    start = nl + 1;
    line++;
  }
}

/** the file's bytes as UTF-8: checked line by line (never decoded to U+FFFD), or converted from Latin-1 */
function textStream(path: string, encoding: TextEncoding = 'utf-8'): Readable {
  const src = createReadStream(path);
  if (encoding === 'latin1')
    return src.pipe(
      new Transform({ transform: (ch: Buffer, _e, cb) => cb(null, Buffer.from(ch.toString('latin1'), 'utf8')) }),
    );
  let carry: Buffer = Buffer.alloc(0);
  let line = 1;
  const check = new Transform({
    transform(ch: Buffer, _e, cb) {
      const data = carry.length ? Buffer.concat([carry, ch]) : ch;
      const nl = data.lastIndexOf(10);
      const done = data.subarray(0, nl + 1);
      carry = data.subarray(nl + 1);
      const bad = badUtf8(path, done, line);
      if (bad) return cb(bad);
      for (let i = done.indexOf(10); i >= 0; i = done.indexOf(10, i + 1)) line++;
      cb(null, done);
    },
    flush(cb) {
      cb(badUtf8(path, carry, line), carry);
    },
  });
  return pipeline(src, check, () => {});
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
  if (format === 'csv' || format === 'tsv')
    yield* readCsv(path, format === 'tsv' ? '\t' : ',', chunkRows, opts.encoding);
  else if (format === 'jsonl') yield* readJsonl(path, chunkRows, opts.encoding);
  else if (format === 'parquet') yield* readParquet(path, chunkRows);
  else yield* readArrow(path, chunkRows);
}

/** refuse a header (text: line 1) or a schema (binary: no line) that names a column twice (the last would win) */
function checkUniqueColumns(path: string, columns: string[], line?: number): void {
  const dup = [...new Set(columns.filter((c, i) => columns.indexOf(c) !== i))];
  if (dup.length)
    throw new DataError(
      `duplicate column names: ${dup.map((c) => JSON.stringify(c)).join(', ')} (each column needs its own name)`,
      { file: path, line },
    );
}

async function* readCsv(
  path: string,
  delimiter: string,
  chunkRows: number,
  encoding?: TextEncoding,
): AsyncGenerator<TableChunk> {
  let header = false;
  const parser = parse({
    columns: (h: string[]) => {
      checkUniqueColumns(path, h, 1);
      header = true;
      return h;
    },
    delimiter,
    info: true,
    skip_empty_lines: true,
    bom: true,
    trim: false,
    relax_quotes: false,
  });
  pipeline(textStream(path, encoding), parser, () => {});
  let columns: string[] | null = null;
  let rows: Row[] = [];
  let lines: number[] = [];
  let offset = 0;
  let lastLine = 0;
  try {
    for await (const rec of parser as AsyncIterable<{
      record: Row;
      info: { lines: number; columns?: { name: string }[] };
    }>) {
      if (!columns) columns = Object.keys(rec.record);
      rows.push(rec.record);
      lines.push(rec.info.lines);
      lastLine = rec.info.lines;
      if (rows.length >= chunkRows) {
        yield { columns, rows, offset, lines };
        offset += rows.length;
        rows = [];
        lines = [];
      }
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as Error & { lines?: number; code?: string };
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
      // csv-parse reports the end of the file; the record that opens the quote starts after the last good one
      const at = lastLine ? lastLine + 1 : header ? 2 : 1;
      throw new DataError(
        `a quoted field opened on this line (or later in this record) is never closed (read to line ${err.lines} of the file)`,
        { file: path, line: at },
      );
    }
    const inner = (err as { cause?: unknown }).cause;
    if (inner instanceof DataError) throw inner;
    throw new DataError(`CSV parse error: ${err.message}`, { file: path, line: err.lines });
  }
  if (!columns) {
    // header only or empty file: recover the header for the column list
    columns = await csvHeader(path, delimiter);
    if (!columns.length) throw new DataError('empty file: no header line with the column names', { file: path });
  }
  if (rows.length || offset === 0) yield { columns, rows, offset, lines };
}

async function csvHeader(path: string, delimiter: string): Promise<string[]> {
  const parser = createReadStream(path).pipe(parse({ delimiter, to_line: 1, bom: true }));
  for await (const rec of parser as AsyncIterable<string[]>) return rec;
  return [];
}

async function* readJsonl(path: string, chunkRows: number, encoding?: TextEncoding): AsyncGenerator<TableChunk> {
  const rl = createInterface({ input: textStream(path, encoding), crlfDelay: Infinity });
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
    if (!obj || typeof obj !== 'object' || Array.isArray(obj))
      throw new DataError('each line must be a JSON object', { file: path, line: lineNo });
    const dup = duplicateJsonKey(line);
    if (dup)
      throw new DataError(duplicateKeyMessage(dup), {
        file: path,
        line: lineNo,
        column: dup.path.length ? undefined : dup.key,
      });
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
  if (offset === 0 && !rows.length) throw new DataError('empty file: no JSON lines', { file: path });
  if (rows.length) yield { columns: [...cols], rows, offset, lines };
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
  checkUniqueColumns(path, columns);
  const n = Number(metadata.num_rows);
  if (n === 0) yield { columns, rows: [], offset: 0 };
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    let rows: Row[];
    try {
      rows = (await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end })) as Row[];
    } catch (e) {
      throw new DataError(`corrupt Parquet data in rows ${start + 1}–${end} (${(e as Error).message})`, { file: path });
    }
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
    checkUniqueColumns(path, columns);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Row = {};
      for (const name of columns) {
        const v = batch.getChild(name)?.get(i);
        row[name] =
          v && typeof v === 'object' && typeof (v as { toArray?: unknown }).toArray === 'function'
            ? Array.from((v as { toArray(): ArrayLike<Cell> }).toArray())
            : (v as Cell);
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
