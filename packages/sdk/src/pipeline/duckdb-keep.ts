// The keep draw and the output lines of the CSV/TSV pattern path in JavaScript (duckdb-hashed.ts joinBackBySlot):
// DuckDB streams each row's 64-bit key hash in row order; here each finds its pattern in an open-addressing table
// keyed by the hash's two 32-bit halves (a few ns a row; DuckDB's hash is already mixed, so its low bits index the
// table), keep = uniformAt(seed, row) < q[pattern] (the in-process draw itself), the rows and kept rows per pattern
// are counted, and — with an output — the lines `row,q,keep` are written as the default engine writes
// them (q as String(q)) through a temp file + rename. While one chunk is formatted DuckDB makes the next, and while
// one 2 MiB buffer fills the other is being written.
import { open } from 'node:fs/promises';
import type { DuckSession } from '../io/duckdb.js';
import { atomicWrite } from '../io/write.js';
import { uniformAt } from './balance.js';
import type { JoinBackOptions } from './duckdb-joinback.js';

class CountMismatch extends Error {}

const BUFFER = 1 << 21;

/** The per-row work of keepInJs on one chunk of hashes, in a plain function (its state in locals, not closures). */
class Rows {
  readonly rows: Float64Array;
  readonly kept: Float64Array;
  /** the row number (1-based) as decimal digits, most significant first, counted up in place */
  private readonly digits = new Uint8Array(20).fill(48);
  private nd = 1;
  row = 0;
  private readonly mask: number;
  private readonly keyLo: Uint32Array;
  private readonly keyHi: Uint32Array;
  private readonly pidAt: Int32Array;
  /** the end of each line after the row number, keep (2·pattern) and drop (2·pattern + 1) */
  private readonly tails: Uint8Array[];
  /** bytes a line takes at most */
  readonly line: number;

  constructor(
    hashes: bigint[],
    private readonly q: Float64Array,
    private readonly seed: number,
    delim: string,
  ) {
    const M = hashes.length;
    this.rows = new Float64Array(M);
    this.kept = new Float64Array(M);
    // open addressing over the hashes' halves: 2^b ≥ 2M cells, index = lo's low b bits, linear probing
    const mask = (this.mask = 2 ** Math.ceil(Math.log2(2 * M + 1)) - 1);
    this.keyLo = new Uint32Array(mask + 1);
    this.keyHi = new Uint32Array(mask + 1);
    this.pidAt = new Int32Array(mask + 1).fill(-1);
    hashes.forEach((h, pid) => {
      const lo = Number(h & 0xffffffffn);
      let i = lo & mask;
      while (this.pidAt[i] >= 0) i = (i + 1) & mask;
      this.keyLo[i] = lo;
      this.keyHi[i] = Number(h >> 32n);
      this.pidAt[i] = pid;
    });
    // one set() a row, no per-row strings (half the CPU of string concatenation; a byte loop is 1.4× set())
    const enc = new TextEncoder();
    this.tails = Array.from({ length: 2 * M }, (_, i) =>
      enc.encode(`${delim}${q[i >> 1]}${delim}${i & 1 ? 'false' : 'true'}\n`),
    );
    this.line = 17 + this.tails.reduce((a, t) => Math.max(a, t.length), 0); // a row number ≤ 2⁵³: ≤ 16 digits
  }

  /**
   * Count and draw the rows of `halves` (lo, hi per row), writing their lines into `buf` from `pos` when given.
   * Returns the new end of `buf`, or -1 for a hash that is no pattern's.
   */
  chunk(halves: Uint32Array, buf: Uint8Array | null, pos: number): number {
    const { mask, keyLo, keyHi, pidAt, q, seed, rows, kept, digits, tails } = this;
    let { row, nd } = this;
    const n = halves.length >> 1;
    for (let i = 0; i < n; i++) {
      const lo = halves[2 * i];
      const hi = halves[2 * i + 1];
      let x = lo & mask;
      while (pidAt[x] >= 0 && (keyLo[x] !== lo || keyHi[x] !== hi)) x = (x + 1) & mask;
      const c = pidAt[x];
      if (c < 0) return -1;
      const keep = uniformAt(seed, row) < q[c];
      rows[c]++;
      if (keep) kept[c]++;
      row++;
      if (buf === null) continue;
      let d = nd - 1; // row += 1 in decimal
      while (d >= 0 && digits[d] === 57) digits[d--] = 48;
      if (d >= 0) digits[d]++;
      else {
        digits.copyWithin(1, 0, nd++);
        digits[0] = 49;
      }
      for (let j = 0; j < nd; j++) buf[pos++] = digits[j];
      const t = tails[keep ? 2 * c : 2 * c + 1];
      buf.set(t, pos);
      pos += t.length;
    }
    this.row = row;
    this.nd = nd;
    return pos;
  }
}

/**
 * Kept counts and (with `opts.out`) the output lines, from the rows' hashes in m4_src.
 * @param s - the session holding m4_src (m4_h per row, row order).
 * @param hashes - each pattern's m4_h (by pattern id).
 * @param q - q per pattern.
 * @param opts - the output path and the seed.
 * @param delim - the output's cell delimiter.
 * @param countsOk - whether the rows per pattern are the pattern counts.
 * @returns kept rows per pattern, or null (nothing written) when a row's hash is no pattern's or `countsOk` refuses
 *   the rows per pattern.
 */
export async function keepInJs(
  s: DuckSession,
  hashes: bigint[],
  q: Float64Array,
  opts: JoinBackOptions,
  delim: string,
  countsOk: (rows: Float64Array) => boolean,
): Promise<Float64Array | null> {
  const pass = async (write?: (bytes: Uint8Array) => Promise<unknown>) => {
    const r = new Rows(hashes, q, opts.seed ?? 0, delim);
    const res = await s.con.stream('SELECT m4_h FROM m4_src');
    // two buffers: one is written (on libuv's pool) while the other fills
    const bufs = [new Uint8Array(BUFFER), new Uint8Array(BUFFER)];
    let pos = write ? new TextEncoder().encodeInto(`row${delim}q${delim}keep\n`, bufs[0]).written : 0;
    let pending: Promise<unknown> = Promise.resolve();
    let next = res.fetchChunk();
    try {
      for (;;) {
        const chunk = await next;
        if (!chunk || chunk.rowCount === 0) break;
        next = res.fetchChunk(); // DuckDB makes the next chunk while this one is formatted
        const h = (chunk.getColumnVector(0) as unknown as { items: BigUint64Array }).items;
        const halves = new Uint32Array(h.buffer, h.byteOffset, 2 * h.length); // little-endian: lo, hi
        if (write && pos + h.length * r.line > bufs[0].length) {
          await pending; // the other buffer's write: finished before that buffer is reused
          pending = write(bufs[0].subarray(0, pos));
          pending.catch(() => {}); // awaited below or at the next swap: never an unhandled rejection
          bufs.reverse();
          pos = 0;
          if (h.length * r.line > bufs[0].length) bufs[0] = new Uint8Array(h.length * r.line);
        }
        pos = r.chunk(halves, write ? bufs[0] : null, pos);
        if (pos < 0) throw new CountMismatch(); // a hash that is no pattern's
      }
    } finally {
      next.catch(() => {}); // a fetch still in flight when a write failed
    }
    await pending;
    if (write && pos) await write(bufs[0].subarray(0, pos));
    if (!countsOk(r.rows)) throw new CountMismatch();
    return r.kept;
  };
  try {
    if (!opts.out) return await pass();
    let kept: Float64Array | undefined;
    await atomicWrite(opts.out, async (tmp) => {
      const fh = await open(tmp, 'w');
      try {
        kept = await pass((t) => fh.writeFile(t)); // writeFile: every byte or an error (write() may stop short)
      } finally {
        await fh.close();
      }
    });
    return kept!;
  } catch (e) {
    if (e instanceof CountMismatch) return null;
    throw e;
  }
}
