// The one table-format registry: file extension → format, how the JS readers parse it, how it is written, and
// DuckDB's reader / COPY options. Every reader (read.ts streams, parse-bytes.ts on bytes, duckdb.ts) and every
// writer (write.ts, parse-bytes.ts tableToBytes, duckdb.ts copyAtomic) asks it, so they cannot disagree on an
// extension. No node:* imports (browser). Add a format: ARCHITECTURE.md "Add a table format".
import { DataError } from './errors.js';
import type { ByteColumn, TableChunk, TableFormat } from './table.js';
import { arrowBytes, parquetBytes, parseArrowBytes, parseParquetBytes } from './table-binary.js';
import { decodeText, parseCsvText, parseJsonText } from './table-text.js';

export type { ByteColumn, Cell, Row, TableChunk, TableFormat } from './table.js';
export { checkUniqueColumns } from './table.js';

/**
 * One entry of the table-format registry: extensions, text or binary, its parser, writer and DuckDB options.
 */
export interface TableFormatSpec {
  format: TableFormat;
  /** lower-case extensions with the dot; the first is the one named in messages */
  extensions: readonly string[];
  /** text formats: decoded (UTF-8 strict, or the encoding a BOM names), may be gzip-compressed (.gz) */
  text: boolean;
  /** the whole table from bytes (text formats: from the decoded text) */
  parse(bytes: Uint8Array, file: string): Promise<TableChunk>;
  /** binary formats: serialise columns (text formats are written as a stream by the writers) */
  toBytes?(columns: ByteColumn[]): Promise<Uint8Array>;
  /**
   * DuckDB: the table function scanning `path` (an SQL string literal) and the COPY options; absent = js only.
   * `auto`: the CLI's `--engine auto` may pick DuckDB for this format (its output is byte-identical to the built-in
   * readers', tested); JSON stays with the built-in readers there (DuckDB infers JSON value types).
   */
  duckdb?: { read(path: string): string; copy: string; auto: boolean };
}

const csvScan = (delim: string) => (p: string) =>
  `read_csv(${p}, header = true, all_varchar = true, delim = '${delim}', quote = '"', escape = '"')`;
const text = (f: (t: string, file: string) => TableChunk) => async (b: Uint8Array, file: string) =>
  f(decodeText(b, file), file);

/** Every table format m4kit reads and writes. */
export const TABLE_FORMATS: readonly TableFormatSpec[] = [
  {
    format: 'csv',
    extensions: ['.csv'],
    text: true,
    parse: text((t, f) => parseCsvText(t, f, ',')),
    duckdb: { read: csvScan(','), copy: `FORMAT csv, HEADER true, DELIMITER ','`, auto: true },
  },
  {
    format: 'tsv',
    extensions: ['.tsv', '.tab'],
    text: true,
    parse: text((t, f) => parseCsvText(t, f, '\t')),
    duckdb: { read: csvScan('\t'), copy: `FORMAT csv, HEADER true, DELIMITER '\t'`, auto: true },
  },
  {
    format: 'jsonl',
    extensions: ['.jsonl', '.ndjson'],
    text: true,
    parse: text(parseJsonText),
    duckdb: { read: (p) => `read_json(${p}, format = 'newline_delimited')`, copy: 'FORMAT json', auto: false },
  },
  {
    // one JSON array of objects, or JSON Lines (read either way by both engines); written as JSON Lines
    format: 'json',
    extensions: ['.json'],
    text: true,
    parse: text(parseJsonText),
    duckdb: { read: (p) => `read_json(${p}, format = 'auto')`, copy: 'FORMAT json', auto: false },
  },
  {
    format: 'parquet',
    extensions: ['.parquet', '.pq'],
    text: false,
    parse: parseParquetBytes,
    toBytes: parquetBytes,
    duckdb: { read: (p) => `read_parquet(${p})`, copy: 'FORMAT parquet', auto: true },
  },
  {
    // IPC file (.arrow, .feather) or stream (.arrows, .ipc): apache-arrow reads both; written as an IPC file
    format: 'arrow',
    extensions: ['.arrow', '.feather', '.ipc', '.arrows'],
    text: false,
    parse: parseArrowBytes,
    toBytes: arrowBytes,
  },
];

/** A file name's format: the registry entry and whether the name ends in .gz (text formats only). */
export interface TableFile {
  format: TableFormat;
  spec: TableFormatSpec;
  gzip: boolean;
  /** .zst: read by the duckdb engine only (the JS readers refuse it by name) */
  zstd: boolean;
}

const known = () => TABLE_FORMATS.flatMap((f) => f.extensions).join(' ');

/**
 * The format of a file name (extension, case-insensitive, optional .gz for text formats); DataError otherwise.
 * @param name - a file name.
 * @param format - a format that overrides the extension.
 * @returns the format, its registry entry and whether the name ends in .gz / .zst.
 * @throws DataError for an unknown extension or a compression the format does not take.
 */
export function tableFile(name: string, format?: TableFormat): TableFile {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const zstd = lower.endsWith('.zst');
  const base = gzip ? lower.slice(0, -3) : zstd ? lower.slice(0, -4) : lower;
  const spec = format
    ? TABLE_FORMATS.find((f) => f.format === format)
    : TABLE_FORMATS.find((f) => f.extensions.some((e) => base.endsWith(e)));
  if (!spec) throw new DataError(`unknown table format (use ${known()}; text formats may end in .gz)`, { file: name });
  if ((gzip || zstd) && !spec.text)
    throw new DataError(`a compressed ${spec.format} file is not read: decompress it first`, { file: name });
  return { format: spec.format, spec, gzip, zstd };
}

/**
 * Format from a file name; DataError naming the file otherwise.
 * @param name - a file name.
 * @returns its table format.
 * @throws DataError for an unknown extension.
 */
export function tableFormatOf(name: string): TableFormat {
  return tableFile(name).format;
}
