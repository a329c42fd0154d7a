// The DuckDB pipelines' join-back of q to the rows: by dense pattern code (a constant list indexed by the row's
// code: no join, no sort) where the key columns allow it, else by a join on the pattern columns and a sort.
import { jsNumberText, uniformSql } from '../balance/sql.js';
import type { ColumnSpec } from '../io/encode.js';
import { copyAtomic, sqlIdent, type DuckSession } from '../io/duckdb.js';
import { tableFile } from '../io/formats.js';
import type { PhaseTimer } from './phases.js';

/** what the join-back needs of the pipeline's options */
export interface JoinBackOptions {
  out?: string;
  seed?: number;
  phases?: PhaseTimer;
}

/** dense pattern codes up to this many: the q lists stay small constants (0.5 MB) and the code fits a USMALLINT */
const CODE_LIMIT = 1 << 16;
const INTEGER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT)$/;

/** a row's dense pattern code (SQL over m4_src's / m4_pat's key columns), the code space, m4_pat's pid per code */
export interface CodePlan {
  code: string;
  size: number;
  pidOf: Int32Array;
}

/**
 * The dense pattern code: each key column gets an index (integers: value − min; text and booleans: list_position
 * in the pattern table's distinct values; NULL its own index when the column has one), the code is their
 * mixed-radix sum. Null when the code space exceeds CODE_LIMIT, a key column has another type, or two patterns
 * share a code.
 */
export async function codePlan(s: DuckSession, keys: string[]): Promise<CodePlan | null> {
  const cols = keys.map(sqlIdent);
  const types = new Map(
    (await s.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT ${cols.join(', ')} FROM m4_src)`)).map((r) => [
      String(r.column_name),
      String(r.column_type),
    ]),
  );
  const parts: { expr: string; card: number }[] = [];
  for (const [j, name] of keys.entries()) {
    const col = cols[j];
    const type = types.get(name) ?? '';
    const [st] = await s.rows(`SELECT COUNT(DISTINCT ${col}) AS d, bool_or(${col} IS NULL) AS nul,
      CAST(MIN(${col}) AS VARCHAR) AS lo, CAST(MAX(${col}) AS VARCHAR) AS hi FROM m4_pat`);
    const nul = st.nul === true;
    const d = Number(st.d);
    const lo = Number(st.lo);
    const hi = Number(st.hi);
    let idx: string;
    let card: number;
    if (INTEGER_TYPES.test(type) && Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && hi - lo < CODE_LIMIT) {
      idx = `CAST(${col} AS BIGINT) - (${lo})`;
      card = hi - lo + 1;
    } else if (type === 'VARCHAR' || type === 'BOOLEAN') {
      await s.run(`SET VARIABLE m4_v${j} = (SELECT list(DISTINCT ${col}) FROM m4_pat WHERE ${col} IS NOT NULL)`);
      idx = `list_position(getvariable('m4_v${j}'), ${col}) - 1`;
      card = d;
    } else return null;
    if (nul) {
      idx = `COALESCE(${idx} + 1, 0)`;
      card += 1;
    }
    parts.push({ expr: idx, card });
  }
  let size = 1;
  for (const p of parts) size *= p.card;
  if (size > CODE_LIMIT) return null;
  let stride = 1;
  const terms: string[] = [];
  for (const p of parts) {
    terms.push(stride === 1 ? `(${p.expr})` : `(${p.expr}) * ${stride}`);
    stride *= p.card;
  }
  const code = terms.join(' + ');
  // code → pattern (the same expressions over the pattern table), q and its text per code
  const pidOf = new Int32Array(size).fill(-1);
  for (const r of await s.rows(`SELECT m4_pid, ${code} AS m4_c FROM m4_pat`)) {
    const c = Number(r.m4_c);
    if (!(c >= 0 && c < size) || pidOf[c] >= 0) return null;
    pidOf[c] = Number(r.m4_pid);
  }
  return { code, size, pidOf };
}

/**
 * Join q back without a join: each key column gets a dense index (integers: value − min; text and booleans:
 * list_position in the pattern table's distinct values; NULL its own index when the column has one), the row's
 * pattern code is their mixed-radix sum, and q is read from a constant list by code. One scan writes (code, keep)
 * per row into a narrow temp table in row order (DuckDB keeps insertion order: preserve_insertion_order); the kept
 * rows per pattern are grouped from it and the output is COPYed from it, its rowid being the row id. Every code's
 * row count is checked against the pattern count of the GROUP BY. Returns kept rows per pattern of m4_pat, or
 * null (nothing written) when the code space exceeds CODE_LIMIT, a key column has another type, or the check
 * fails: the caller then joins (joinBackByJoin).
 */
export async function joinBackByCode(
  s: DuckSession,
  keys: string[],
  spec: ColumnSpec,
  q: Float64Array,
  opts: JoinBackOptions,
): Promise<Float64Array | null> {
  const plan = await codePlan(s, keys);
  opts.phases?.mark('codePlan');
  if (!plan) return null;
  const { code, pidOf } = plan;
  await setCodeQ(
    s,
    Float64Array.from(pidOf, (pid) => (pid >= 0 ? q[pid] : 0)),
  );
  const id = spec.id ? `, ${sqlIdent(spec.id)} AS m4_id` : '';
  const u = uniformSql('duckdb', opts.seed ?? 0, 'm4_row');
  await s.run(`CREATE TEMP TABLE m4_k AS
    SELECT CAST(m4_c AS USMALLINT) AS m4_c, ${u} < getvariable('m4_qv')[m4_c + 1] AS keep ${spec.id ? ', m4_id' : ''}
    FROM (SELECT ${code} AS m4_c, m4_row ${id} FROM m4_src)`);
  opts.phases?.mark('keepScan');
  const kw = new Float64Array(q.length);
  const n = await s.rows('SELECT m4_c, COUNT(*) AS n, COUNT(*) FILTER (WHERE keep) AS k FROM m4_k GROUP BY ALL');
  const counts = new Map((await s.rows('SELECT m4_pid, m4_n FROM m4_pat')).map((r) => [Number(r.m4_pid), r.m4_n]));
  for (const r of n) {
    const pid = r.m4_c === null ? -1 : pidOf[Number(r.m4_c)];
    if (pid < 0 || Number(counts.get(pid)) !== Number(r.n)) {
      await s.run('DROP TABLE m4_k');
      return null;
    }
    kw[pid] = Number(r.k);
  }
  opts.phases?.mark('keptCounts');
  if (opts.out) await copyKept(s, spec, opts.out, opts.phases);
  return kw;
}

/** The join-back by a join on the pattern columns (any key types, any number of patterns) and a sort by row id. */
export async function joinBackByJoin(
  s: DuckSession,
  spec: ColumnSpec,
  q: Float64Array,
  opts: JoinBackOptions,
  on: string,
): Promise<Float64Array> {
  await s.run('CREATE TEMP TABLE m4_q (m4_pid BIGINT, m4_q DOUBLE)');
  const app = await s.con.createAppender('m4_q');
  q.forEach((x, i) => {
    app.appendBigInt(BigInt(i));
    app.appendDouble(x);
    app.endRow();
  });
  app.closeSync();
  // one join pass into a table (spills past the memory limit), then the sorted COPY and the kept counts
  await s.run(`CREATE TEMP TABLE m4_pq AS SELECT p.*, q.m4_q FROM m4_pat p JOIN m4_q q USING (m4_pid)`);
  const u = uniformSql('duckdb', opts.seed ?? 0, 's.m4_row');
  await s.run(`CREATE TEMP TABLE m4_out AS SELECT s.m4_row, p.m4_pid, p.m4_q AS q, ${u} < p.m4_q AS keep
    ${spec.id ? `, s.${sqlIdent(spec.id)} AS m4_id` : ''}
    FROM m4_src s JOIN m4_pq p ON ${on}`);
  if (opts.out) {
    const idCol = spec.id ? `m4_id AS ${sqlIdent(spec.id)}` : 'm4_row + 1 AS "row"';
    await copyAtomic(s, `SELECT ${idCol}, ${qText(opts.out)}, keep FROM m4_out ORDER BY m4_row`, opts.out);
  }
  const kw = new Float64Array(q.length);
  for (const r of await s.rows('SELECT m4_pid, COUNT(*) FILTER (WHERE keep) AS k FROM m4_out GROUP BY ALL'))
    kw[Number(r.m4_pid)] = Number(r.k);
  return kw;
}

/** q as the default engine writes it: text like String(q) in CSV/TSV, a DOUBLE in the typed formats */
/** Whether an output file is a text table (q written as the default engine's `String(q)`), by the format registry. */
const textOut = (out: string) => tableFile(out).spec.text;

export const qText = (out: string) => (textOut(out) ? `${jsNumberText('q')} AS q` : 'q');

/**
 * q per row code into the session variables `m4_qv` (doubles) and `m4_qt` (the text the default engine writes,
 * `String(q)`), through an appender (exact).
 * @param s - the DuckDB session.
 * @param qOfCode - q for each row code 0…n−1.
 */
export async function setCodeQ(s: DuckSession, qOfCode: Float64Array): Promise<void> {
  await s.run('CREATE TEMP TABLE m4_qc (m4_c INTEGER, q DOUBLE, t VARCHAR)');
  const app = await s.con.createAppender('m4_qc');
  qOfCode.forEach((x, c) => {
    app.appendInteger(c);
    app.appendDouble(x);
    app.appendVarchar(String(x));
    app.endRow();
  });
  app.closeSync();
  await s.run(`SET VARIABLE m4_qv = (SELECT list(q ORDER BY m4_c) FROM m4_qc)`);
  await s.run(`SET VARIABLE m4_qt = (SELECT list(t ORDER BY m4_c) FROM m4_qc)`);
}

/**
 * COPY the kept-rows table `m4_k` (row or id, q by code, keep) to `opts.out`, atomically.
 * @param s - the DuckDB session.
 * @param spec - the column spec (its id column, if any).
 * @param out - the output file.
 * @param phases - the phase timer, if any.
 */
export async function copyKept(s: DuckSession, spec: ColumnSpec, out: string, phases?: PhaseTimer): Promise<void> {
  const idCol = spec.id ? `m4_id AS ${sqlIdent(spec.id)}` : 'rowid + 1 AS "row"';
  const qCol = `getvariable('${textOut(out) ? 'm4_qt' : 'm4_qv'}')[m4_c + 1] AS q`;
  await copyAtomic(s, `SELECT ${idCol}, ${qCol}, keep FROM m4_k`, out);
  phases?.mark('copy');
}
