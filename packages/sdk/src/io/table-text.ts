// Text tables on decoded text (CSV/TSV via csv-parse, JSON Lines / JSON arrays) and the text decoding every text
// reader shares: UTF-8 strict (never U+FFFD), the encoding a UTF-16 BOM names, UTF-32 refused by name. The streaming
// Node reader (read.ts) uses the same CSV options and `csvRecord`. No node:* imports (browser).
// '#csv-parse-sync' (package.json imports): csv-parse's browser build under the 'browser' condition, its plain ESM
// build elsewhere: the browser build's Buffer polyfill assigns __proto__, which Deno refuses without --unsafe-proto
import { parse as parseCsvSync } from '#csv-parse-sync';
import { DataError } from './errors.js';
import { checkUniqueColumns, type Row, type TableChunk } from './table.js';
import { duplicateJsonKey, duplicateKeyMessage } from './json-keys.js';

/**
 * The csv-parse options of every CSV reader: rows as arrays (the record object is built by `csvRecord`, so a column
 * named "__proto__" stays a column), CRLF and LF both end a record (a file mixing them reads "a", never "a\r"),
 * BOM stripped, no trimming, strict quotes.
 */
export const csvOptions = (delimiter: string) => ({
  delimiter,
  info: true,
  record_delimiter: ['\r\n', '\n'],
  skip_empty_lines: true,
  bom: true,
  trim: false,
  relax_quotes: false,
});

/** One CSV record as a row object: every header name an own property (also "__proto__", "constructor"). */
export function csvRecord(columns: string[], cells: string[]): Row {
  const r: Row = {};
  for (let j = 0; j < columns.length; j++) {
    if (columns[j] === '__proto__')
      Object.defineProperty(r, '__proto__', { value: cells[j], enumerable: true, writable: true, configurable: true });
    else r[columns[j]] = cells[j];
  }
  return r;
}

/** csv-parse's error as a DataError naming the file and line */
export function csvError(e: unknown, file: string): DataError {
  if (e instanceof DataError) return e;
  const err = e as Error & { lines?: number; cause?: unknown };
  if (err.cause instanceof DataError) return err.cause;
  return new DataError(`CSV parse error: ${err.message}`, { file, line: err.lines });
}

export function parseCsvText(text: string, file: string, delimiter: string): TableChunk {
  let recs: { record: string[]; info: { lines: number } }[];
  try {
    recs = parseCsvSync(text, csvOptions(delimiter)) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    throw csvError(e, file);
  }
  if (!recs.length) throw new DataError('empty file: no header line with the column names', { file });
  const columns = checkUniqueColumns(file, recs[0].record, 1);
  const body = recs.slice(1);
  return {
    columns,
    rows: body.map((r) => csvRecord(columns, r.record)),
    offset: 0,
    lines: body.map((r) => r.info.lines),
  };
}

/** One parsed JSON value that must be a row object; `line` for messages. Checks repeated keys in `src`. */
export function jsonRow(obj: unknown, src: string, file: string, line?: number, row?: number): Row {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj))
    throw new DataError(line !== undefined ? 'each line must be a JSON object' : 'each element must be a JSON object', {
      file,
      line,
      row,
    });
  const dup = duplicateJsonKey(src);
  if (dup)
    throw new DataError(duplicateKeyMessage(dup), { file, line, row, column: dup.path.length ? undefined : dup.key });
  return obj as Row;
}

/** JSON Lines (one object a line), or a JSON array of objects when the text starts with "[" */
export function parseJsonText(text: string, file: string): TableChunk {
  const rows: Row[] = [];
  const lines: number[] = [];
  const cols = new Set<string>();
  if (/^\s*\[/.test(text)) {
    let arr: unknown[];
    try {
      arr = JSON.parse(text) as unknown[];
    } catch (e) {
      throw new DataError(`invalid JSON: ${(e as Error).message}`, { file });
    }
    arr.forEach((o, i) => {
      const r = jsonRow(o, JSON.stringify(o), file, undefined, i + 1);
      for (const k of Object.keys(r)) cols.add(k);
      rows.push(r);
    });
    if (!rows.length) throw new DataError('empty file: the JSON array holds no rows', { file });
    return { columns: [...cols], rows, offset: 0 };
  }
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
    const r = jsonRow(obj, line, file, i + 1);
    for (const k of Object.keys(r)) cols.add(k);
    rows.push(r);
    lines.push(i + 1);
  }
  if (!rows.length) throw new DataError('empty file: no JSON lines', { file });
  return { columns: [...cols], rows, offset: 0, lines };
}

/**
 * How text tables are decoded: 'utf-8' (strict, default) or 'latin1'.
 */
export type TextEncoding = 'utf-8' | 'latin1';

/** The encoding a byte-order mark names (null: none or UTF-8's), or a DataError for UTF-32, which is not read. */
export function bomEncoding(head: Uint8Array, file: string): 'utf-16le' | 'utf-16be' | null {
  const [a, b, c, d] = head;
  if ((a === 0xff && b === 0xfe && c === 0 && d === 0) || (a === 0 && b === 0 && c === 0xfe && d === 0xff))
    throw new DataError(
      `the file is UTF-32 (byte-order mark ${a === 0 ? '00 00 FE FF' : 'FF FE 00 00'}): re-encode it as UTF-8 ` +
        `(iconv -f UTF-32 -t UTF-8)`,
      { file },
    );
  if (a === 0xff && b === 0xfe) return 'utf-16le';
  if (a === 0xfe && b === 0xff) return 'utf-16be';
  return null;
}

/** The text of a file's bytes: UTF-16 when its BOM says so, else UTF-8 (invalid bytes: an error naming the line). */
export function decodeText(u8: Uint8Array, file: string, encoding: TextEncoding = 'utf-8'): string {
  if (encoding === 'latin1') return Array.from(u8, (x) => String.fromCharCode(x)).join('');
  const bom = bomEncoding(u8.subarray(0, 4), file);
  if (bom) {
    try {
      return new TextDecoder(bom, { fatal: true }).decode(u8.subarray(2));
    } catch {
      throw new DataError(`not valid ${bom.toUpperCase()} (the byte-order mark names it)`, { file });
    }
  }
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
        const shown = Array.from(part.subarray(0, 60), (x) => String.fromCharCode(x)).join('');
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
