// Table readers (Node): CSV (csv-parse), JSONL, Parquet (hyparquet), Arrow IPC (apache-arrow).
// Every reader yields row chunks so callers can stream files larger than memory.
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PassThrough, pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { DataError } from './errors.js';
import { checkUniqueColumns, tableFile, type TableFormat } from './formats.js';
import type { Row, TableChunk } from './table.js';
import { arrowRow, parquetColumns, parquetCompressors } from './table-binary.js';
import {
  bomEncoding,
  csvError,
  csvOptions,
  csvRecord,
  jsonRow,
  parseJsonText,
  type TextEncoding,
} from './table-text.js';

export type { Cell, Row, TableChunk, TableFormat } from './table.js';
export type { TextEncoding } from './table-text.js';

/**
 * The format of a file name (the registry in formats.ts); DataError naming the file otherwise.
 * @param path - a file name.
 * @returns its table format.
 * @throws DataError for an unknown extension.
 */
export function detectFormat(path: string): TableFormat {
  return tableFile(path).format;
}

/**
 * Options of `readTable`: format override, rows per chunk, text encoding and a rows-read callback.
 */
export interface ReadOptions {
  format?: TableFormat;
  chunkRows?: number;
  /** text formats: 'utf-8' (default: invalid bytes are an error naming the line) or 'latin1' (ISO-8859-1) */
  encoding?: TextEncoding;
}

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

/** the first bytes of a file (after gunzip for .gz): the BOM, the first character */
async function head(path: string, gzip: boolean): Promise<Uint8Array> {
  if (gzip) {
    for await (const ch of rawStream(path, true)) return new Uint8Array(ch as Buffer);
    return new Uint8Array();
  }
  const fh = await open(path);
  try {
    const b = new Uint8Array(4096);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** a .gz file's bytes decompressed (a broken stream is a DataError naming the file) */
function rawStream(path: string, gzip: boolean): Readable {
  const src = createReadStream(path);
  if (!gzip) return src;
  const out = new PassThrough();
  const gz = createGunzip().on('error', (e) =>
    out.destroy(new DataError(`not a readable gzip file: ${e.message}`, { file: path })),
  );
  src.on('error', (e) => out.destroy(e));
  src.pipe(gz).pipe(out);
  return out;
}

/**
 * The file's bytes as UTF-8: checked line by line (never decoded to U+FFFD), converted from Latin-1 on request, or
 * from the UTF-16 a byte-order mark names (UTF-32 is refused by name). `.gz` files are gunzipped first.
 */
async function textStream(path: string, encoding: TextEncoding = 'utf-8', gzip = false): Promise<Readable> {
  const bom = encoding === 'utf-8' ? bomEncoding(await head(path, gzip), path) : null;
  const src = rawStream(path, gzip);
  if (bom) {
    const dec = new TextDecoder(bom, { fatal: true });
    let first = true;
    const conv = new Transform({
      transform(ch: Buffer, _e, cb) {
        try {
          const s = dec.decode(first ? ch.subarray(2) : ch, { stream: true });
          first = false;
          cb(null, Buffer.from(s, 'utf8'));
        } catch {
          cb(new DataError(`not valid ${bom.toUpperCase()} (the byte-order mark names it)`, { file: path }));
        }
      },
    });
    return pipeline(src, conv, () => {});
  }
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

/**
 * Stream a table file as row chunks.
 * @param path - the table file (CSV/TSV/JSONL/JSON/Parquet/Arrow, text formats optionally .gz).
 * @param opts - format override, chunk size, text encoding and a progress callback.
 * @returns an async generator of row chunks in file order.
 * @throws DataError naming the file and line for unreadable input.
 */
export async function* readTable(path: string, opts: ReadOptions = {}): AsyncGenerator<TableChunk> {
  const { format, spec, gzip, zstd } = tableFile(path, opts.format);
  if (zstd)
    throw new DataError('a zstd-compressed file: read it with --engine duckdb, or decompress it (zstd -d)', {
      file: path,
    });
  const chunkRows = opts.chunkRows ?? 65536;
  try {
    await stat(path);
  } catch {
    throw new DataError('file not found', { file: path });
  }
  if (format === 'csv' || format === 'tsv')
    yield* readCsv(path, format === 'tsv' ? '\t' : ',', chunkRows, opts.encoding, gzip);
  else if (format === 'json' && /^\s*\[/.test(new TextDecoder().decode(await head(path, gzip)).replace(/^\uFEFF/, '')))
    yield parseJsonText(new TextDecoder().decode(await readAll(path, gzip)).replace(/^\uFEFF/, ''), path);
  else if (format === 'jsonl' || format === 'json') yield* readJsonl(path, chunkRows, opts.encoding, gzip);
  else if (format === 'parquet') yield* readParquet(path, chunkRows);
  else if (format === 'arrow') yield* readArrow(path, chunkRows);
  else yield spec.parse(new Uint8Array(await readFile(path)), path); // a registered format without a stream reader
}

async function readAll(path: string, gzip: boolean): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const ch of rawStream(path, gzip)) parts.push(ch as Buffer);
  return new Uint8Array(Buffer.concat(parts));
}

async function* readCsv(
  path: string,
  delimiter: string,
  chunkRows: number,
  encoding?: TextEncoding,
  gzip = false,
): AsyncGenerator<TableChunk> {
  const parser = parse(csvOptions(delimiter));
  pipeline(await textStream(path, encoding, gzip), parser, () => {});
  let columns: string[] | null = null;
  let rows: Row[] = [];
  let lines: number[] = [];
  let offset = 0;
  let lastLine = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      lastLine = rec.info.lines;
      if (!columns) {
        columns = checkUniqueColumns(path, rec.record, 1);
        continue;
      }
      rows.push(csvRecord(columns, rec.record));
      lines.push(rec.info.lines);
      if (rows.length >= chunkRows) {
        yield { columns, rows, offset, lines };
        offset += rows.length;
        rows = [];
        lines = [];
      }
    }
  } catch (e) {
    const err = e as Error & { lines?: number; code?: string };
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
      // csv-parse reports the end of the file; the record that opens the quote starts after the last good one
      throw new DataError(
        `a quoted field opened on this line (or later in this record) is never closed (read to line ${err.lines} of the file)`,
        { file: path, line: lastLine + 1 },
      );
    }
    throw csvError(e, path);
  }
  if (!columns) throw new DataError('empty file: no header line with the column names', { file: path });
  if (rows.length || offset === 0) yield { columns, rows, offset, lines };
}

async function* readJsonl(
  path: string,
  chunkRows: number,
  encoding?: TextEncoding,
  gzip = false,
): AsyncGenerator<TableChunk> {
  const rl = createInterface({ input: await textStream(path, encoding, gzip), crlfDelay: Infinity });
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
      obj = JSON.parse(lineNo === 1 ? line.replace(/^\uFEFF/, '') : line);
    } catch (e) {
      throw new DataError(`invalid JSON: ${(e as Error).message}`, { file: path, line: lineNo });
    }
    const row = jsonRow(obj, line, path, lineNo);
    for (const k of Object.keys(row)) cols.add(k);
    rows.push(row);
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
  const { columns, inexact } = parquetColumns(path, parquetSchema(metadata) as never);
  const more = Object.keys(inexact).length ? { inexact } : {};
  const compressors = (await parquetCompressors()) as never;
  const n = Number(metadata.num_rows);
  if (n === 0) yield { columns, rows: [], offset: 0, ...more };
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    let rows: Row[];
    try {
      rows = (await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors })) as Row[];
    } catch (e) {
      throw new DataError(`corrupt Parquet data in rows ${start + 1}–${end} (${(e as Error).message})`, { file: path });
    }
    yield { columns, rows, offset: start, ...more };
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
      rows.push(arrowRow((name) => batch.getChild(name)?.get(i), columns));
      if (rows.length >= chunkRows) {
        yield { columns, rows, offset };
        offset += rows.length;
        rows = [];
      }
    }
  }
  if (rows.length || offset === 0) yield { columns, rows, offset };
}
