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
    let row = -1; // -1: the header line
    let carry: Buffer = Buffer.alloc(0);
    let filePos = 0;
    // one line [a, e) (e at its '\n' or the end of the file); false = give up
    const line = (buf: Buffer, a: number, e: number): boolean => {
      if (e > a && buf[e - 1] === CR) e--;
      if (row < 0) {
        if (buf[a] === 0xef && buf[a + 1] === 0xbb && buf[a + 2] === 0xbf) a += 3; // a UTF-8 BOM: DuckDB skips it
        const names = buf.toString('utf8', a, e).split(delim);
        at = columns.map((c) => names.indexOf(c));
        width = names.length;
        row = 0;
        return !at.includes(-1);
      }
      if (row === rows[out.length]) {
        const cells = buf.toString('utf8', a, e).split(delim);
        if (cells.length !== width) return false;
        out.push(at!.map((i) => (cells[i] === '' ? null : cells[i])));
      }
      row++;
      return true;
    };
    while (out.length < rows.length) {
      const chunk = Buffer.allocUnsafe(carry.length + STEP); // the unfinished line, then the next bytes
      carry.copy(chunk);
      const { bytesRead } = await fh.read(chunk, carry.length, STEP, filePos);
      filePos += bytesRead;
      const eof = bytesRead === 0;
      const buf = chunk.subarray(0, carry.length + bytesRead);
      if (buf.indexOf(QUOTE, carry.length) >= 0) return null; // quoting: DuckDB's rules, not ours
      let pos = 0;
      while (out.length < rows.length) {
        let e = buf.indexOf(NL, pos);
        if (e < 0) {
          if (!eof || pos >= buf.length) break;
          e = buf.length; // the last line, without '\n'
        }
        if (!line(buf, pos, e)) return null;
        pos = e + 1;
      }
      if (eof) break;
      carry = buf.subarray(pos);
    }
    return out.length === rows.length ? out : null;
  } finally {
    await fh.close();
  }
}
