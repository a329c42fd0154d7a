// The CSV/TSV pattern path of the DuckDB engine, reading the table once: registerSource (hashKeys) loads one 64-bit
// hash of the key columns per row (m4_raw.m4_h: 8 bytes a row instead of every key cell's text); the patterns are
// GROUP BY m4_h (count, first row); their key values come from a second scan of the file's first rows only, up to
// the last first occurrence; q reaches the rows through a perfect hash of m4_h (two displacement lists indexed by
// a bucket: no join, no sort, row order kept) into a narrow (slot, keep) table, and the output is COPYed from it.
// Two distinct patterns sharing a 64-bit hash would be merged: probability ≤ k²/2⁶⁵ for k patterns (≤ 1.2e-10 at the
// 65 536 patterns the lookup takes; 4e-14 for the 1 280 of bench/tables.mjs).
import { open } from 'node:fs/promises';
import { uniformSql } from '../balance/sql.js';
import { DataError } from '../io/errors.js';
import type { ColumnSpec } from '../io/encode.js';
import { duckFormat, sqlIdent, sqlString, type DuckSession } from '../io/duckdb.js';
import { tableFile } from '../io/formats.js';
import { atomicWrite } from '../io/write.js';
import { uniformAt } from './balance.js';
import { copyKept, setCodeQ, type JoinBackOptions } from './duckdb-joinback.js';

/** the perfect hash takes up to this many patterns (the q lists stay small constants) */
const SLOT_LIMIT = 1 << 16;

/**
 * m4_pat (key columns, m4_n, m4_pid in order of first occurrence, m4_first, m4_h) from the hashed rows, with the key
 * values read from the file's first rows (every pattern's first row lies among them).
 */
export async function hashedPatterns(s: DuckSession, path: string, keys: string[]): Promise<void> {
  await s.run('CREATE TEMP TABLE m4_g AS SELECT m4_h, COUNT(*) AS n, MIN(m4_row) AS f FROM m4_src GROUP BY ALL');
  const [g] = await s.rows('SELECT COUNT(*) AS k, MAX(f) AS last FROM m4_g');
  const ks = keys.map(sqlIdent);
  const scan = duckFormat(path).duckdb.read(sqlString(path));
  const head = g.last === null ? 0 : Number(g.last) + 1;
  // one thread: a parallel scan under LIMIT parses buffers past the limit (up to the whole file) before it stops
  const [t] = await s.rows(`SELECT current_setting('threads') AS n`);
  await s.run('SET threads = 1');
  await s.run(`CREATE TEMP TABLE m4_pat AS
    SELECT ${ks.map((c) => `d.${c}`).join(', ')}, g.n AS m4_n, row_number() OVER (ORDER BY g.f) - 1 AS m4_pid,
      g.f AS m4_first, g.m4_h
    FROM m4_g g JOIN (SELECT m4_h, ${ks.map((c) => `first(${c}) AS ${c}`).join(', ')}
      FROM (SELECT hash(${ks.join(', ')}) AS m4_h, ${ks.join(', ')} FROM ${scan} LIMIT ${head}) GROUP BY m4_h) d
    USING (m4_h)`);
  await s.run(`SET threads = ${Number(t.n)}`);
  const [p] = await s.rows('SELECT COUNT(*) AS k FROM m4_pat');
  if (Number(p.k) !== Number(g.k))
    throw new DataError('the file changed while it was read (its first rows no longer hold every pattern)', {
      file: path,
    });
}

/** A perfect hash of the patterns' m4_h: slot = (f1 + d0[b]·f2 + d1[b]) mod M, b = h mod B (see slotSql). */
export interface SlotPlan {
  M: number;
  B: number;
  d0: number[];
  d1: number[];
  /** slot of each pattern (by m4_pid) */
  slotOf: Int32Array;
}

const parts = (h: bigint, M: number, B: number) => ({
  b: Number(h % BigInt(B)),
  f1: Number((h >> 32n) % BigInt(M)),
  f2: Number((h >> 8n) % BigInt(M - 1)) + 1,
});

/**
 * Hash and displace (CHD-like) over k distinct 64-bit hashes: M = max(64, ⌈1.25k⌉) slots, ⌈k/4⌉ buckets, the largest buckets
 * placed first, each with the first (d0, d1) that puts its keys on distinct free slots. Null when a bucket finds
 * none within its budget (two keys alike in b, f1 and f2: the caller joins instead) or k exceeds SLOT_LIMIT.
 */
export function perfectHash(hs: bigint[]): SlotPlan | null {
  const k = hs.length;
  if (k > SLOT_LIMIT) return null;
  const M = Math.max(64, Math.ceil(k * 1.25)); // small tables: room enough that a bucket always finds its slots
  const B = Math.max(1, Math.ceil(k / 4));
  const p = hs.map((h) => parts(h, M, B));
  const buckets: number[][] = Array.from({ length: B }, () => []);
  p.forEach((x, i) => buckets[x.b].push(i));
  const order = buckets.map((_, b) => b).sort((a, b) => buckets[b].length - buckets[a].length);
  const taken = new Uint8Array(M);
  const slotOf = new Int32Array(k).fill(-1);
  const d0 = new Array<number>(B).fill(0);
  const d1 = new Array<number>(B).fill(0);
  const budget = 64 * M;
  for (const b of order) {
    const ids = buckets[b];
    if (!ids.length) continue;
    let placed = false;
    for (let t = 0; t < budget && !placed; t++) {
      const a0 = Math.floor(t / M);
      const a1 = t % M;
      const slots = ids.map((i) => (p[i].f1 + a0 * p[i].f2 + a1) % M);
      if (slots.some((x, j) => taken[x] || slots.indexOf(x) !== j)) continue;
      slots.forEach((x, j) => ((taken[x] = 1), (slotOf[ids[j]] = x)));
      d0[b] = a0;
      d1[b] = a1;
      placed = true;
    }
    if (!placed) return null;
  }
  return { M, B, d0, d1, slotOf };
}

/** the slot of a row's hash column `h` in SQL (UBIGINT arithmetic: at most M + M² + M < 2³⁴) */
export function slotSql(plan: SlotPlan, h: string): string {
  const b = `CAST(${h} % ${plan.B} AS BIGINT) + 1`;
  return `((${h} >> 32) % ${plan.M} + getvariable('m4_d0')[${b}] * ((${h} >> 8) % ${plan.M - 1} + 1)
    + getvariable('m4_d1')[${b}]) % ${plan.M}`;
}

/**
 * q back to the hashed rows by slot: one scan into (slot, keep) in row order, the kept rows per pattern grouped from
 * it (every slot's row count checked against the pattern count), the output COPYed from it. Returns kept rows per
 * pattern (by m4_pid), or null (nothing written) when no perfect hash was found or a count disagrees.
 */
export async function joinBackBySlot(
  s: DuckSession,
  spec: ColumnSpec,
  q: Float64Array,
  opts: JoinBackOptions,
): Promise<Float64Array | null> {
  const pats = await s.rows('SELECT m4_pid, m4_h, m4_n FROM m4_pat ORDER BY m4_pid');
  const plan = perfectHash(pats.map((r) => BigInt(r.m4_h as bigint)));
  opts.phases?.mark('slotPlan');
  if (!plan) return null;
  const sq = new Float64Array(plan.M);
  const pidOf = new Int32Array(plan.M).fill(-1);
  plan.slotOf.forEach((x, pid) => ((sq[x] = q[pid]), (pidOf[x] = pid)));
  const list = (xs: ArrayLike<number>, type: string) => `[${Array.from(xs).join(', ')}]::${type}[]`;
  await s.run(`SET VARIABLE m4_d0 = ${list(plan.d0, 'UBIGINT')}`);
  await s.run(`SET VARIABLE m4_d1 = ${list(plan.d1, 'UBIGINT')}`);
  const slotType = plan.M <= 1 << 16 ? 'USMALLINT' : 'UINTEGER';
  // plain CSV/TSV out (or none) without an id column: DuckDB streams the slots in row order, the keep draw, the
  // kept counts and the lines are made here (keepInJs): no (slot, keep) table, no COPY
  const fmt = opts.out ? tableFile(opts.out) : null;
  if (!spec.id && (!fmt || (['csv', 'tsv'].includes(fmt.format) && !fmt.gzip && !fmt.zstd))) {
    const counts = (c: Float64Array) => plan.slotOf.every((x, pid) => c[x] === Number(pats[pid].m4_n));
    const kept = await keepInJs(s, plan, slotType, sq, opts, fmt?.format === 'tsv' ? '\t' : ',', counts);
    opts.phases?.mark('keepAndWrite');
    return kept && Float64Array.from(plan.slotOf, (x) => kept[x]);
  }
  await setCodeQ(s, sq);
  const u = uniformSql('duckdb', opts.seed ?? 0, 'm4_row');
  const id = spec.id ? `, ${sqlIdent(spec.id)} AS m4_id` : '';
  await s.run(`CREATE TEMP TABLE m4_k AS
    SELECT CAST(m4_c AS ${slotType}) AS m4_c, ${u} < getvariable('m4_qv')[m4_c + 1] AS keep ${spec.id ? ', m4_id' : ''}
    FROM (SELECT CAST(${slotSql(plan, 'm4_h')} AS BIGINT) AS m4_c, m4_row ${id} FROM m4_src)`);
  opts.phases?.mark('keepScan');
  const kw = new Float64Array(q.length);
  for (const r of await s.rows(
    'SELECT m4_c, COUNT(*) AS n, COUNT(*) FILTER (WHERE keep) AS k FROM m4_k GROUP BY ALL',
  )) {
    const pid = pidOf[Number(r.m4_c)];
    if (pid < 0 || Number(pats[pid].m4_n) !== Number(r.n)) {
      await s.run('DROP TABLE m4_k');
      return null;
    }
    kw[pid] = Number(r.k);
  }
  opts.phases?.mark('keptCounts');
  if (opts.out) await copyKept(s, spec, opts.out, opts.phases);
  return kw;
}

class CountMismatch extends Error {}

/**
 * The keep draw of every row in JavaScript, from the slots DuckDB streams in row order: keep = uniformAt(seed, row) <
 * q[slot] (the in-process draw itself), the rows and kept rows per slot, and — with `opts.out` — the lines
 * `row,q,keep` as the default engine writes them (q as String(q)), through a temp file + rename. Returns kept rows
 * per slot, or null (nothing written) when `countsOk` refuses the rows per slot.
 */
async function keepInJs(
  s: DuckSession,
  plan: SlotPlan,
  slotType: string,
  sq: Float64Array,
  opts: JoinBackOptions,
  delim: string,
  countsOk: (rows: Float64Array) => boolean,
): Promise<Float64Array | null> {
  const seed = opts.seed ?? 0;
  // the lines are bytes written straight into one buffer (no per-row strings: half the CPU of string concatenation)
  const enc = new TextEncoder();
  const qt = Array.from(sq, (x) => enc.encode(delim + String(x) + delim));
  const yes = enc.encode('true\n');
  const no = enc.encode('false\n');
  const line = 16 + qt.reduce((a, b) => Math.max(a, b.length), 0) + no.length; // row ≤ 2⁵³ has ≤ 16 digits
  const rows = new Float64Array(plan.M);
  const kept = new Float64Array(plan.M);
  const pass = async (write?: (bytes: Uint8Array) => Promise<unknown>) => {
    const res = await s.con.stream(`SELECT CAST(${slotSql(plan, 'm4_h')} AS ${slotType}) AS m4_c FROM m4_src`);
    let row = 0;
    let buf = new Uint8Array(1 << 21);
    let pos = write ? enc.encodeInto(`row${delim}q${delim}keep\n`, buf).written : 0;
    const digits = new Uint8Array(20);
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const items = (chunk.getColumnVector(0) as unknown as { items: Uint16Array | Uint32Array }).items;
      if (write && pos + items.length * line > buf.length) {
        await write(buf.subarray(0, pos));
        pos = 0;
        if (items.length * line > buf.length) buf = new Uint8Array(items.length * line);
      }
      for (let i = 0; i < items.length; i++) {
        const c = items[i];
        const keep = uniformAt(seed, row) < sq[c];
        rows[c]++;
        if (keep) kept[c]++;
        row++;
        if (!write) continue;
        let r = row;
        let d = 0;
        do {
          digits[d++] = 48 + (r % 10);
          r = Math.floor(r / 10);
        } while (r > 0);
        while (d > 0) buf[pos++] = digits[--d];
        const q = qt[c];
        buf.set(q, pos);
        pos += q.length;
        const k = keep ? yes : no;
        buf.set(k, pos);
        pos += k.length;
      }
    }
    if (write && pos) await write(buf.subarray(0, pos));
    if (!countsOk(rows)) throw new CountMismatch();
  };
  try {
    if (!opts.out) await pass();
    else
      await atomicWrite(opts.out, async (tmp) => {
        const fh = await open(tmp, 'w');
        try {
          await pass((t) => fh.writeFile(t)); // writeFile: every byte or an error (write() may stop short at a limit)
        } finally {
          await fh.close();
        }
      });
  } catch (e) {
    if (e instanceof CountMismatch) return null;
    throw e;
  }
  return kept;
}
