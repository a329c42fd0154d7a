// The key values of each pattern's first row, read by JavaScript from the first bytes of a plain CSV/TSV file: the
// lines up to the last first row are found with Buffer.indexOf (memchr) and only the wanted rows are split and decoded.
// It replaces DuckDB's second scan of those rows (a single-threaded parse of ~40% of the file on bench/tables.mjs's
// data: ~0.3 s of 1.5). It reads as DuckDB's read_csv (quote = escape = '"') does: lines end at a '\n' outside
// quotes (one '\r' before it dropped); a cell is quoted when it starts with '"' ('""' inside is one '"', a newline
// or delimiter inside is text); an empty cell, quoted or not, is NULL; a '"' later in an unquoted cell is text. It
// gives up (null) on a line whose cell count is not the header's, text after a closing quote, a quote left open or a
// key missing from the header; the caller then lets DuckDB rescan. Whatever it returns is checked against DuckDB's
// own hash of each pattern (hashedPatterns), so a file read differently here can only cost the rescan, never a wrong
// value (a stray '"' inside an unquoted cell, counted here as opening a quote, is such a case).
import { open } from 'node:fs/promises';

/** bytes read per step (the reads stop after the last wanted row) */
const STEP = 1 << 22;
const NL = 10;
const CR = 13;
const QUOTE = 34;

/**
 * The cells of one line as DuckDB's read_csv reads them (see the top of this file); null for text after a closing
 * quote or an unclosed quote.
 * @param line - the line without its line end.
 * @param delim - the cell delimiter (one character).
 * @returns the cells, '' (quoted or not) as null.
 */
export function splitLine(line: string, delim: string): (string | null)[] | null {
  const cells: (string | null)[] = [];
  let i = 0;
  for (;;) {
    let v: string;
    if (line[i] === '"') {
      v = '';
      let j = i + 1;
      for (;;) {
        const k = line.indexOf('"', j);
        if (k < 0) return null; // not closed on this line (the walker keeps quoted newlines inside it)
        v += line.slice(j, k);
        if (line[k + 1] !== '"') {
          i = k + 1;
          break;
        }
        v += '"';
        j = k + 2;
      }
      if (i < line.length && line[i] !== delim) return null;
    } else {
      const k = line.indexOf(delim, i);
      v = line.slice(i, k < 0 ? line.length : k);
      i = k < 0 ? line.length : k;
    }
    cells.push(v === '' ? null : v);
    if (i >= line.length) return cells;
    i++; // the delimiter
    if (i === line.length) return [...cells, null];
  }
}

/**
 * The cells of `columns` on data rows `rows` (0-based, ascending, header excluded) of a plain-text table file, empty
 * as null; null when the file is not one this reader takes (see the top of this file).
 * @param path - a CSV/TSV file (not compressed).
 * @param delim - the cell delimiter (one character).
 * @param columns - header names, exactly as written.
 * @param rows - data row numbers, ascending.
 * @returns one array of cells per wanted row (in `rows`' order), or null.
 */
export async function plainRows(
  path: string,
  delim: string,
  columns: string[],
  rows: number[],
): Promise<(string | null)[][] | null> {
  const fh = await open(path, 'r');
  try {
    const out: (string | null)[][] = [];
    let at: number[] | null = null; // the columns' cell positions, from the header
    let width = 0;
    let row = 0; // data rows passed
    let buf = Buffer.allocUnsafe(2 * STEP); // reused: the unfinished line first, then the next bytes read
    let len = 0;
    let filePos = 0;
    let eof = false;
    while (out.length < rows.length && !eof) {
      if (len + STEP > buf.length) buf = Buffer.concat([buf.subarray(0, len)], 2 * (len + STEP));
      const { bytesRead } = await fh.read(buf, len, STEP, filePos);
      filePos += bytesRead;
      eof = bytesRead === 0;
      len += bytesRead;
      const view = buf.subarray(0, len);
      let pos = 0; // the line's start
      let scan = 0; // where its end is looked for: past the quotes seen so far
      let quoted = false;
      let q = view.indexOf(QUOTE); // the next '"' at or after `scan` (-1: none left)
      while (out.length < rows.length) {
        if (q >= 0 && q < scan) q = view.indexOf(QUOTE, scan);
        let e = quoted ? -1 : view.indexOf(NL, scan);
        if (quoted || (q >= 0 && (e < 0 || q < e))) {
          // a '"' before the line's end toggles the quote state (an escaped '""' toggles it twice)
          if (q < 0) {
            if (eof) return null; // a quote left open
            break;
          }
          quoted = !quoted;
          scan = q + 1;
          continue;
        }
        if (e < 0) {
          if (!eof || pos >= len) break;
          e = len; // the last line, without '\n'
        }
        const end = e > pos && view[e - 1] === CR ? e - 1 : e; // one line [pos, end)
        if (at === null) {
          const a = view[pos] === 0xef && view[pos + 1] === 0xbb && view[pos + 2] === 0xbf ? pos + 3 : pos; // BOM
          const names = splitLine(view.toString('utf8', a, end), delim);
          if (!names) return null;
          at = columns.map((c) => names.indexOf(c));
          width = names.length;
          if (at.includes(-1)) return null;
        } else {
          if (row === rows[out.length]) {
            const cells = splitLine(view.toString('utf8', pos, end), delim);
            if (!cells || cells.length !== width) return null;
            out.push(at.map((i) => cells[i]));
          }
          row++;
        }
        pos = scan = e + 1;
      }
      len = Math.max(0, len - pos);
      buf.copyWithin(0, pos, pos + len);
    }
    return out.length === rows.length ? out : null;
  } finally {
    await fh.close();
  }
}
