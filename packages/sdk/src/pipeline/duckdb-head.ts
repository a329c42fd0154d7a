// The key values of each pattern's first row, read by JavaScript from the first bytes of a plain CSV/TSV file: the
// lines up to the last first row are found with Buffer.indexOf (memchr) and only the wanted rows are split and decoded.
// It replaces DuckDB's second scan of those rows (a single-threaded parse of ~40% of the file on bench/tables.mjs's
// data: ~0.3 s of 1.5). It reads as DuckDB's read_csv does for the simple files it accepts — lines end at '\n' (one
// '\r' before it dropped), cells at the delimiter, an empty cell is NULL — and gives up (null) on a quote character,
// a line whose cell count is not the header's or a key missing from the header; the caller then lets DuckDB rescan.
// Whatever it returns is checked against DuckDB's own hash of each pattern (hashedPatterns), so a file read
// differently here can only cost the rescan, never a wrong value.
import { open } from 'node:fs/promises';

/** bytes read per step (the reads stop after the last wanted row) */
const STEP = 1 << 22;
const NL = 10;
const CR = 13;
const QUOTE = 34;

/**
 * The cells of `columns` on data rows `rows` (0-based, ascending, header excluded) of a plain-text table file, '' as
 * null; null when the file is not one this reader takes (see the top of this file).
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
      const fresh = len;
      len += bytesRead;
      const view = buf.subarray(0, len);
      if (view.indexOf(QUOTE, fresh) >= 0) return null; // quoting: DuckDB's rules, not ours
      let pos = 0;
      while (out.length < rows.length) {
        let e = view.indexOf(NL, pos); // one line [pos, end): e at its '\n' or the end of the file
        if (e < 0) {
          if (!eof || pos >= len) break;
          e = len; // the last line, without '\n'
        }
        const end = e > pos && view[e - 1] === CR ? e - 1 : e;
        if (at === null) {
          const a = view[pos] === 0xef && view[pos + 1] === 0xbb && view[pos + 2] === 0xbf ? pos + 3 : pos; // BOM
          const names = view.toString('utf8', a, end).split(delim);
          at = columns.map((c) => names.indexOf(c));
          width = names.length;
          if (at.includes(-1)) return null;
        } else {
          if (row === rows[out.length]) {
            const cells = view.toString('utf8', pos, end).split(delim);
            if (cells.length !== width) return null;
            out.push(at.map((i) => (cells[i] === '' ? null : cells[i])));
          }
          row++;
        }
        pos = e + 1;
      }
      len = Math.max(0, len - pos);
      buf.copyWithin(0, pos, pos + len);
    }
    return out.length === rows.length ? out : null;
  } finally {
    await fh.close();
  }
}
