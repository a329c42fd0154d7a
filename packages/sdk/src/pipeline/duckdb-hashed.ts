// The CSV/TSV pattern path of the DuckDB engine, reading the table once: registerSource (hashKeys) loads one 64-bit
// hash of the key columns per row (m4_raw.m4_h: 8 bytes a row instead of every key cell's text); the patterns are
// GROUP BY m4_h (count, first row); their key values come from the file's first rows, up to the last first
// occurrence (read by JavaScript in a plain file, duckdb-head.ts, checked against the hashes; else by a second
// DuckDB scan); q reaches the rows in row order, no join, no sort: DuckDB streams each row's hash and JavaScript
// finds its pattern, draws keep and writes the lines (duckdb-keep.ts keepInJs), or, with an id column or another
// output format, a perfect hash of m4_h (duckdb-slots.ts) fills a narrow (slot, keep) table that is COPYed.
// Two distinct patterns sharing a 64-bit hash would be merged: probability ≤ k²/2⁶⁵ for k patterns (≤ 1.2e-10 at the
// 65 536 patterns the lookup takes; 4e-14 for the 1 280 of bench/tables.mjs).
import { uniformSql } from '../balance/sql.js';
import { DataError } from '../io/errors.js';
import type { ColumnSpec } from '../io/encode.js';
import { duckFormat, isGlob, sqlIdent, sqlString, type DuckSession } from '../io/duckdb.js';
import { tableFile } from '../io/formats.js';
import { plainRows } from './duckdb-head.js';
import { copyKept, setCodeQ, type JoinBackOptions } from './duckdb-joinback.js';
import { keepInJs } from './duckdb-keep.js';
import { perfectHash, slotSql } from './duckdb-slots.js';

/**
 * m4_pat (key columns, m4_n, m4_pid in order of first occurrence, m4_first, m4_h) from the hashed rows, with the key
 * values of each pattern's first row read by JavaScript (plainRows, a plain file) or by DuckDB from the file's first
 * rows (every pattern's first row lies among them). Returns which of the two read them.
 */
export async function hashedPatterns(s: DuckSession, path: string, keys: string[]): Promise<'js' | 'duckdb'> {
  await s.run('CREATE TEMP TABLE m4_g AS SELECT m4_h, COUNT(*) AS n, MIN(m4_row) AS f FROM m4_src GROUP BY ALL');
  const [g] = await s.rows('SELECT COUNT(*) AS k, MAX(f) AS last FROM m4_g');
  const ks = keys.map(sqlIdent);
  const pat = (from: string) => `CREATE TEMP TABLE m4_pat AS
    SELECT ${ks.map((c) => `d.${c}`).join(', ')}, g.n AS m4_n, row_number() OVER (ORDER BY g.f) - 1 AS m4_pid,
      g.f AS m4_first, g.m4_h
    FROM m4_g g JOIN (${from}) d USING (m4_h)`;
  const count = async () => Number((await s.rows('SELECT COUNT(*) AS k FROM m4_pat'))[0].k);
  if (await patternsFromJs(s, path, keys, pat)) {
    if ((await count()) === Number(g.k)) return 'js';
    await s.run('DROP TABLE m4_pat'); // a value read differently from DuckDB: its hash disagrees, DuckDB rescans
  }
  const scan = duckFormat(path).duckdb.read(sqlString(path));
  const head = g.last === null ? 0 : Number(g.last) + 1;
  // one thread: a parallel scan under LIMIT parses buffers past the limit (up to the whole file) before it stops
  const [t] = await s.rows(`SELECT current_setting('threads') AS n`);
  await s.run('SET threads = 1');
  await s.run(
    pat(`SELECT m4_h, ${ks.map((c) => `first(${c}) AS ${c}`).join(', ')}
      FROM (SELECT hash(${ks.join(', ')}) AS m4_h, ${ks.join(', ')} FROM ${scan} LIMIT ${head}) GROUP BY m4_h`),
  );
  await s.run(`SET threads = ${Number(t.n)}`);
  if ((await count()) !== Number(g.k))
    throw new DataError('the file changed while it was read (its first rows no longer hold every pattern)', {
      file: path,
    });
  return 'duckdb';
}

/**
 * m4_pat from the first rows of m4_g read by plainRows, keeping only the patterns whose values DuckDB hashes to
 * their m4_h. False (nothing created) when the file is compressed, a glob or not one plainRows reads.
 */
async function patternsFromJs(
  s: DuckSession,
  path: string,
  keys: string[],
  pat: (from: string) => string,
): Promise<boolean> {
  const f = tableFile(path);
  if (f.gzip || f.zstd || isGlob(path)) return false; // plainRows reads one plain file
  const firsts = await s.rows('SELECT m4_h, f FROM m4_g ORDER BY f');
  const vals = await plainRows(
    path,
    f.format === 'tsv' ? '\t' : ',',
    keys,
    firsts.map((r) => Number(r.f)),
  );
  if (!vals) return false;
  const ks = keys.map(sqlIdent);
  await s.run(`CREATE TEMP TABLE m4_cand (m4_h UBIGINT, ${ks.map((c) => `${c} VARCHAR`).join(', ')})`);
  const app = await s.con.createAppender('m4_cand');
  firsts.forEach((r, i) => {
    app.appendUBigInt(r.m4_h as bigint);
    for (const v of vals[i])
      if (v === null) app.appendNull();
      else app.appendVarchar(v);
    app.endRow();
  });
  app.closeSync();
  await s.run(pat(`SELECT * FROM m4_cand WHERE hash(${ks.join(', ')}) = m4_h`));
  await s.run('DROP TABLE m4_cand');
  return true;
}

/**
 * q back to the hashed rows. A plain CSV/TSV output (or none) without an id column: keepInJs (each streamed row's
 * pattern looked up by its hash in JavaScript, the lines written there). Otherwise by slot: one scan into (slot,
 * keep) in row order, the kept rows per pattern grouped from it (every slot's row count checked against the pattern
 * count), the output COPYed from it. Returns kept rows per pattern (by m4_pid), or null (nothing written) when no
 * perfect hash was found or a count disagrees.
 */
export async function joinBackBySlot(
  s: DuckSession,
  spec: ColumnSpec,
  q: Float64Array,
  opts: JoinBackOptions,
): Promise<Float64Array | null> {
  const pats = await s.rows('SELECT m4_pid, m4_h, m4_n FROM m4_pat ORDER BY m4_pid');
  const hashes = pats.map((r) => BigInt(r.m4_h as bigint));
  // plain CSV/TSV out (or none) without an id column: DuckDB streams the hashes in row order; their patterns, the
  // keep draw, the kept counts and the lines are made here (keepInJs): no slot table, no COPY
  const fmt = opts.out ? tableFile(opts.out) : null;
  if (!spec.id && (!fmt || (['csv', 'tsv'].includes(fmt.format) && !fmt.gzip && !fmt.zstd))) {
    const counts = (c: Float64Array) => pats.every((p, pid) => c[pid] === Number(p.m4_n));
    const kept = await keepInJs(s, hashes, q, opts, fmt?.format === 'tsv' ? '\t' : ',', counts);
    opts.phases?.mark('keepAndWrite');
    return kept;
  }
  const plan = perfectHash(hashes);
  opts.phases?.mark('slotPlan');
  if (!plan) return null;
  const sq = new Float64Array(plan.M);
  const pidOf = new Int32Array(plan.M).fill(-1);
  plan.slotOf.forEach((x, pid) => ((sq[x] = q[pid]), (pidOf[x] = pid)));
  const list = (xs: ArrayLike<number>, type: string) => `[${Array.from(xs).join(', ')}]::${type}[]`;
  await s.run(`SET VARIABLE m4_d0 = ${list(plan.d0, 'UBIGINT')}`);
  await s.run(`SET VARIABLE m4_d1 = ${list(plan.d1, 'UBIGINT')}`);
  const slotType = plan.M <= 1 << 16 ? 'USMALLINT' : 'UINTEGER';
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
