// `--engine duckdb` (Node): DuckDB scans the table and does the GROUP BY, m4kit solves on the pattern counts,
// DuckDB joins q back on the pattern columns (never on row order), draws keep = uniformAt(seed, row) < q in SQL
// (balance/sql.ts: the same function as the in-process draw) and COPYs the output to a temp file + rename.
// No per-row array ever lives in JavaScript, so the table may be larger than memory.
import { writeFile } from 'node:fs/promises';
import { ArgumentError } from '@m4kit/kernels';
import { createDuckdbEngine } from '../balance/engine-duckdb.js';
import { biasReport } from '../balance/metrics.js';
import { maxFeasibleEta, solveBatch } from '../balance/solve.js';
import { uniformSql } from '../balance/sql.js';
import { TableEncoder, type ColumnSpec, type EncodedTable } from '../io/encode.js';
import { DataError } from '../io/errors.js';
import {
  copyAtomic,
  jsNumberText,
  openDuckDB,
  registerSource,
  sqlIdent,
  type DuckOptions,
  type DuckSession,
} from '../io/duckdb.js';
import { atomicWrite } from '../io/write.js';
import { balanceEncoded, solverReport, type BalanceOptions, type BalanceReport } from './balance.js';
import {
  BALANCE_DEFAULTS,
  feasibleEtaOptionsFrom,
  piForGroups,
  resolveBalanceOptions,
  solverOptionsFrom,
} from '../balance/options.js';
import { createCpuEngine } from '../balance/engine-cpu.js';
import { checkFeasible, infeasibleDetail } from '../balance/infeasible.js';
import type { MomentsSums } from '../balance/types.js';

export interface BalanceDuckdbOptions extends Omit<BalanceOptions, 'rowsEngine' | 'solver'> {
  out?: string;
  reportPath?: string;
  duckdb?: DuckOptions;
  /**
   * pattern path: how q is joined back to the rows. 'auto' (default): by dense pattern code, no join and no sort,
   * when the key columns allow it, else by a join on the pattern columns and a sort by row id; 'join': always the
   * latter (for comparisons). The report's options.backend names the one used.
   */
  joinBack?: 'auto' | 'join';
}

export interface BalanceDuckdbResult {
  /** the pattern-count table as the solver saw it: one pattern per distinct key, in order of first occurrence */
  encoded: EncodedTable;
  /** q per pattern (same order; empty on the per-row path, where q depends on the row's utility) */
  patternQ: Float64Array;
  report: BalanceReport;
}

const ROW_PREFIX = /^row \d+(, column "(?:[^"]|"")*")?: /;

/** Balance a table file (or glob) on the pattern path inside DuckDB. */
export async function balanceFileDuckdb(
  path: string,
  spec: ColumnSpec,
  opts: BalanceDuckdbOptions = {},
): Promise<BalanceDuckdbResult> {
  if (spec.counts)
    throw new ArgumentError(
      'the duckdb engine counts patterns itself; balance a --counts table with the default engine',
    );
  const rowsPath = !!spec.utility || opts.path === 'rows';
  if (spec.utility && opts.path === 'patterns')
    throw new ArgumentError('the patterns path cannot use a per-row utility; use path "rows"');
  const t0 = performance.now();
  const s = await openDuckDB(opts.duckdb);
  try {
    const keys = [...new Set([...spec.attributes, ...spec.labels])];
    await registerSource(
      s,
      path,
      'm4_src',
      [...keys, spec.id, spec.utility].filter((x): x is string => !!x),
    );
    const k = keys.map(sqlIdent);
    // patterns in order of first occurrence: the in-process encoder's order, so the solver sees the same problem;
    // m4_h = hash of the key columns: the join back runs on that one integer when no two patterns share it
    await s.run(`CREATE TEMP TABLE m4_pat AS
      SELECT ${k.join(', ')}, n AS m4_n, row_number() OVER (ORDER BY m4_first) - 1 AS m4_pid, m4_first,
        hash(${k.join(', ')}) AS m4_h
      FROM (SELECT ${k.join(', ')}, COUNT(*) AS n, MIN(m4_row) AS m4_first FROM m4_src GROUP BY ALL)`);
    const distinct = await s.rows('SELECT COUNT(DISTINCT m4_h) = COUNT(*) AS ok FROM m4_pat');
    const on = distinct[0].ok
      ? `hash(${k.map((c) => `s.${c}`).join(', ')}) = p.m4_h`
      : k.map((c) => `s.${c} IS NOT DISTINCT FROM p.${c}`).join(' AND ');
    const pats = await s.rows(
      `SELECT ${k.join(', ')}, CAST(m4_n AS DOUBLE) AS m4_n, m4_first FROM m4_pat ORDER BY m4_pid`,
    );
    if (!pats.length) throw new DataError('the table has no rows', { file: path });
    const enc = encodePatterns(pats, spec, path);
    if (rowsPath) return await balanceRows(s, path, spec, keys, enc, pats, opts, t0, on);
    const res = await balanceEncoded(enc, { ...opts, path: 'patterns', solver: 'batch', onInfeasible: 'return' });
    const feasible = res.report.solver.status !== 'infeasible';
    let kept = 0;
    let joinBack = 'lookup';
    let bias = res.report.bias;
    if (feasible) {
      // one scan writes (pattern code, keep) per row into a narrow table in row order, the kept rows per pattern
      // are grouped from it, and the output is COPYed from it in row order: no join, no sort (joinBackByCode);
      // past the dense-code limit, the join on the pattern columns and a sort by row id (joinBackByJoin)
      const kwPid =
        (opts.joinBack === 'join' ? null : await joinBackByCode(s, keys, spec, res.q, opts)) ??
        ((joinBack = 'join'), await joinBackByJoin(s, spec, res.q, opts, on));
      const pi = res.report.options.pi;
      const wq = new Float64Array(enc.patterns.n);
      const kw = new Float64Array(enc.patterns.n);
      enc.rowToPattern.forEach((p, pid) => {
        kept += kwPid[pid];
        if (p < 0) return;
        wq[p] += Number(pats[pid].m4_n) * res.q[pid];
        kw[p] += kwPid[pid];
      });
      // the bias report on the real rows: balanceEncoded's kept moments saw one draw per pattern, not per row
      bias = await biasFromPatterns(enc, pi, res.report.options.eta, wq, kw, res.report.options.tolerance);
    }
    const total = pats.reduce((a, p) => a + Number(p.m4_n), 0);
    let dropped = 0;
    enc.rowToPattern.forEach((p, i) => p < 0 && (dropped += Number(pats[i].m4_n)));
    const report: BalanceReport = {
      ...res.report,
      bias,
      input: { ...res.report.input, rows: total, dropped },
      options: { ...res.report.options, backend: `duckdb (patterns, ${joinBack})` },
      kept,
      timeMs: performance.now() - t0,
    };
    if (opts.reportPath)
      await atomicWrite(opts.reportPath, (tmp) => writeFile(tmp, JSON.stringify({ file: path, ...report }, null, 2)));
    checkFeasible(report, resolveBalanceOptions(opts as BalanceOptions).onInfeasible);
    return { encoded: enc, patternQ: res.q, report };
  } finally {
    await s.close();
  }
}

/**
 * Per-row path inside DuckDB: a row table (engine pattern index, utility) and the createDuckdbEngine passes; the
 * solver, the η search and the report are the ones of balanceEncoded; q and keep are written by one COPY.
 */
async function balanceRows(
  s: DuckSession,
  path: string,
  spec: ColumnSpec,
  keys: string[],
  enc: EncodedTable,
  pats: Record<string, unknown>[],
  opts: BalanceDuckdbOptions,
  t0: number,
  on: string,
): Promise<BalanceDuckdbResult> {
  const m = enc.attributeNames.length;
  const c = enc.labelNames.length;
  const o = resolveBalanceOptions(opts as BalanceOptions);
  const pi = piForGroups(o.pi, enc.attributeNames);
  const { epsRep, epsAssoc, softPenalty: V, seed, eta: etaReq } = o;
  // utility: the default engine's rule (missing → error naming the row; not a number → error)
  if (spec.utility) {
    const u = sqlIdent(spec.utility);
    const bad = await s.rows(`SELECT m4_row, CAST(${u} AS VARCHAR) AS v FROM m4_src
      WHERE TRY_CAST(${u} AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(${u} AS DOUBLE)) ORDER BY m4_row LIMIT 1`);
    if (bad.length) {
      const v = bad[0].v as string | null;
      const missing = v === null || v === '' || v === 'NA' || v === 'NaN';
      throw new DataError(missing ? 'missing utility value' : `expected a number, got ${JSON.stringify(v)}`, {
        file: path,
        row: Number(bad[0].m4_row) + 1,
        column: spec.utility,
      });
    }
  }
  const u = spec.utility ? `CAST(${sqlIdent(spec.utility)} AS DOUBLE)` : '0.0';
  const id = spec.id ? `, ${sqlIdent(spec.id)} AS m4_id` : '';
  // rows → engine pattern (dropped patterns have none: their rows get q = 0): by dense code in row order (no join,
  // and the output needs no sort), else by the join on the pattern columns
  const plan = opts.joinBack === 'join' ? null : await codePlan(s, keys);
  let ordered = false;
  if (plan) {
    await s.run('CREATE TEMP TABLE m4_cm (m4_c INTEGER, m4_p INTEGER)');
    const app = await s.con.createAppender('m4_cm');
    plan.pidOf.forEach((pid, c) => {
      app.appendInteger(c);
      if (pid >= 0 && enc.rowToPattern[pid] >= 0) app.appendInteger(enc.rowToPattern[pid]);
      else app.appendNull();
      app.endRow();
    });
    app.closeSync();
    await s.run(`SET VARIABLE m4_pm = (SELECT list(m4_p ORDER BY m4_c) FROM m4_cm)`);
    await s.run(`CREATE TEMP TABLE m4_all AS SELECT m4_row, getvariable('m4_pm')[m4_c + 1] AS m4_pid, ${u} AS u ${id}
      FROM (SELECT m4_row, ${plan.code} AS m4_c, * EXCLUDE (m4_row) FROM m4_src)`);
    await s.run('CREATE TEMP VIEW m4_rows AS SELECT m4_row, m4_pid, u FROM m4_all WHERE m4_pid IS NOT NULL');
    ordered = true;
  } else {
    await s.run('CREATE TEMP TABLE m4_map (m4_pid BIGINT, m4_p BIGINT)');
    const app = await s.con.createAppender('m4_map');
    enc.rowToPattern.forEach((p, pid) => {
      if (p < 0) return;
      app.appendBigInt(BigInt(pid));
      app.appendBigInt(BigInt(p));
      app.endRow();
    });
    app.closeSync();
    await s.run(`CREATE TEMP TABLE m4_rows AS SELECT s.m4_row, mp.m4_p AS m4_pid, ${u.replace('CAST(', 'CAST(s.')} AS u
      FROM m4_src s JOIN m4_pat p ON ${on} JOIN m4_map mp USING (m4_pid)`);
  }
  const count = new Float64Array(enc.patterns.n);
  enc.rowToPattern.forEach((p, pid) => p >= 0 && (count[p] += Number(pats[pid].m4_n)));
  if (plan) {
    // every engine pattern's row count as the GROUP BY's (the code is the pattern's, row by row)
    for (const r of await s.rows('SELECT m4_pid, COUNT(*) AS n FROM m4_rows GROUP BY ALL'))
      if (Number(r.n) !== count[Number(r.m4_pid)])
        throw new DataError(
          `internal: pattern ${r.m4_pid} has ${r.n} rows by code, ${count[Number(r.m4_pid)]} counted`,
          {
            file: path,
          },
        );
  }
  const engine = createDuckdbEngine(
    s,
    { table: 'm4_rows', k: enc.patterns.n, m, c, S: enc.patterns.S, Y: enc.patterns.Y, count },
    pi,
  );
  try {
    const tol = o.tol ?? BALANCE_DEFAULTS.tolFloat64;
    let eta = etaReq === 'auto' ? BALANCE_DEFAULTS.etaAutoCap : etaReq;
    let found: number | undefined;
    let searchPasses = 0;
    let searchHessian = 0;
    if (etaReq === 'auto') {
      const r = await maxFeasibleEta(engine, feasibleEtaOptionsFrom(o, tol));
      found = r.eta;
      if (!(r.eta > 0))
        throw new ArgumentError(
          'eta auto: no keep rate η > 0 meets the tolerances on this data (the largest feasible η is 0): is an ' +
            'attribute also a label, or are the tolerances too tight? ' +
            'Loosen eps-rep / eps-assoc or use soft constraints',
        );
      searchPasses = r.passes;
      searchHessian = r.hessianPasses ?? 0;
      eta = Math.min(BALANCE_DEFAULTS.etaAutoCap, r.eta * 0.999);
    }
    const maxIter = o.maxIter;
    const solver = solverOptionsFrom(o, {
      eta,
      tol,
      pi,
      onSolveProgress: (p) =>
        opts.onProgress?.({ stage: 'solve', iter: p.iter, maxIter, violation: p.violation, keepRate: p.keepRate }),
    });
    const res = await solveBatch(engine, solver.solve);
    const before = await engine.pass(new Float64Array(m * (c + 1)), 0, eta, 1);
    const feasible = res.status !== 'infeasible';
    const after = feasible ? await engine.pass(res.W, res.mu, eta) : before;
    const names = { attributes: enc.attributeNames, labels: enc.labelNames };
    const { violated } = await infeasibleDetail(engine, res, eta, names, o, tol);
    let kept = 0;
    if (feasible) {
      const qSql = engine.qSql(res.W, res.mu, eta);
      const keep = (row: string, x: string) => `${uniformSql('duckdb', seed, row)} < ${x} AS keep`;
      if (ordered)
        await s.run(`CREATE TEMP VIEW m4_out AS SELECT m4_row, m4_pid, q, ${keep('m4_row', 'q')} ${spec.id ? ', m4_id' : ''}
          FROM (SELECT *, CASE WHEN m4_pid IS NULL THEN 0.0 ELSE ${qSql} END AS q FROM m4_all)`);
      else
        await s.run(`CREATE TEMP VIEW m4_out AS SELECT s.m4_row, r.m4_pid, COALESCE(r.q, 0.0) AS q,
          ${keep('s.m4_row', 'COALESCE(r.q, 0.0)')} ${spec.id ? `, s.${sqlIdent(spec.id)} AS m4_id` : ''}
          FROM m4_src s LEFT JOIN (SELECT m4_row, m4_pid, ${qSql} AS q FROM m4_rows) r USING (m4_row)`);
      if (opts.out) {
        const idCol = spec.id ? `m4_id AS ${sqlIdent(spec.id)}` : 'm4_row + 1 AS "row"';
        const order = ordered ? '' : ' ORDER BY m4_row';
        await copyAtomic(s, `SELECT ${idCol}, ${qText(opts.out)}, keep FROM m4_out${order}`, opts.out);
      }
      kept = Number((await s.rows('SELECT COUNT(*) AS n FROM m4_out WHERE keep'))[0].n);
    }
    const total = pats.reduce((a, p) => a + Number(p.m4_n), 0);
    const report: BalanceReport = {
      input: {
        rows: total,
        dropped: total - engine.n,
        patterns: enc.patterns.n,
        attributes: enc.attributeNames,
        labels: enc.labelNames,
      },
      options: {
        eta,
        etaRequested: etaReq,
        pi,
        epsRep,
        epsAssoc,
        tolerance: o.tolerance,
        softPenalty: Number.isFinite(V) ? V : null,
        V: Number.isFinite(V) ? V : null,
        solver: 'batch',
        path: 'rows',
        backend: `duckdb (rows: one aggregate query per pass, ${ordered ? 'lookup' : 'join'})`,
        seed,
      },
      solver: solverReport(res, { found, searchPasses, searchHessian, violated }),
      kept,
      bias: biasReport(before, after, pi, names, {
        kept: feasible ? await keptSums(enc, pi, eta, await keptPerPattern(s, enc, (p) => p)) : undefined,
        tolerance: o.tolerance,
      }),
      timeMs: performance.now() - t0,
    };
    if (opts.reportPath)
      await atomicWrite(opts.reportPath, (tmp) => writeFile(tmp, JSON.stringify({ file: path, ...report }, null, 2)));
    checkFeasible(report, o.onInfeasible);
    return { encoded: enc, patternQ: new Float64Array(0), report };
  } finally {
    engine.dispose();
  }
}

/** dense pattern codes up to this many: the q lists stay small constants (0.5 MB) and the code fits a USMALLINT */
const CODE_LIMIT = 1 << 16;
const INTEGER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT)$/;

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
/** a row's dense pattern code (SQL over m4_src's / m4_pat's key columns), the code space, m4_pat's pid per code */
interface CodePlan {
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
async function codePlan(s: DuckSession, keys: string[]): Promise<CodePlan | null> {
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

async function joinBackByCode(
  s: DuckSession,
  keys: string[],
  spec: ColumnSpec,
  q: Float64Array,
  opts: BalanceDuckdbOptions,
): Promise<Float64Array | null> {
  const plan = await codePlan(s, keys);
  if (!plan) return null;
  const { code, pidOf } = plan;
  await s.run('CREATE TEMP TABLE m4_qc (m4_c INTEGER, q DOUBLE, t VARCHAR)');
  const app = await s.con.createAppender('m4_qc');
  pidOf.forEach((pid, c) => {
    const x = pid >= 0 ? q[pid] : 0;
    app.appendInteger(c);
    app.appendDouble(x);
    app.appendVarchar(String(x));
    app.endRow();
  });
  app.closeSync();
  await s.run(`SET VARIABLE m4_qv = (SELECT list(q ORDER BY m4_c) FROM m4_qc)`);
  await s.run(`SET VARIABLE m4_qt = (SELECT list(t ORDER BY m4_c) FROM m4_qc)`);
  const id = spec.id ? `, ${sqlIdent(spec.id)} AS m4_id` : '';
  const u = uniformSql('duckdb', opts.seed ?? 0, 'm4_row');
  await s.run(`CREATE TEMP TABLE m4_k AS
    SELECT CAST(m4_c AS USMALLINT) AS m4_c, ${u} < getvariable('m4_qv')[m4_c + 1] AS keep ${spec.id ? ', m4_id' : ''}
    FROM (SELECT ${code} AS m4_c, m4_row ${id} FROM m4_src)`);
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
  if (opts.out) {
    const csv = /\.(csv|tsv|tab)(\.gz)?$/i.test(opts.out);
    const idCol = spec.id ? `m4_id AS ${sqlIdent(spec.id)}` : 'rowid + 1 AS "row"';
    const qCol = `getvariable('${csv ? 'm4_qt' : 'm4_qv'}')[m4_c + 1] AS q`;
    await copyAtomic(s, `SELECT ${idCol}, ${qCol}, keep FROM m4_k`, opts.out);
  }
  return kw;
}

/** The join-back by a join on the pattern columns (any key types, any number of patterns) and a sort by row id. */
async function joinBackByJoin(
  s: DuckSession,
  spec: ColumnSpec,
  q: Float64Array,
  opts: BalanceDuckdbOptions,
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

/** kept rows per engine pattern, counted in SQL from m4_out's keep flags (m4_pid → pattern by `toPattern`) */
async function keptPerPattern(
  s: DuckSession,
  enc: EncodedTable,
  toPattern: (pid: number) => number,
): Promise<Float64Array> {
  const kw = new Float64Array(enc.patterns.n);
  const rows = await s.rows(
    'SELECT m4_pid, COUNT(*) FILTER (WHERE keep) AS k FROM m4_out WHERE m4_pid IS NOT NULL GROUP BY ALL',
  );
  for (const r of rows) {
    const p = toPattern(Number(r.m4_pid));
    if (p >= 0) kw[p] += Number(r.k);
  }
  return kw;
}

/** moment sums of the kept rows (q ≡ 1, weights = kept rows per pattern), as balanceEncoded's kept moments */
async function keptSums(
  enc: EncodedTable,
  pi: number[],
  eta: number,
  kw: Float64Array,
): Promise<MomentsSums | undefined> {
  if (!kw.some((x) => x > 0)) return undefined;
  const { n, S, Y } = enc.patterns;
  const e = createCpuEngine({ n, m: enc.attributeNames.length, c: enc.labelNames.length, S, Y, w: kw }, pi);
  try {
    return await e.pass(new Float64Array(enc.attributeNames.length * (enc.labelNames.length + 1)), 0, eta, 1);
  } finally {
    e.dispose();
  }
}

/** the bias report from pattern weights: before (counts), after (counts · q), kept (kept rows per pattern) */
async function biasFromPatterns(
  enc: EncodedTable,
  pi: number[],
  eta: number,
  wq: Float64Array,
  kw: Float64Array,
  tolerance: BalanceReport['options']['tolerance'],
) {
  const { n, S, Y, w } = enc.patterns;
  const m = enc.attributeNames.length;
  const c = enc.labelNames.length;
  const zero = new Float64Array(m * (c + 1));
  const sums = async (weights: Float64Array) => {
    const e = createCpuEngine({ n, m, c, S, Y, w: weights }, pi);
    try {
      return await e.pass(zero, 0, eta, 1);
    } finally {
      e.dispose();
    }
  };
  const before = await sums(Float64Array.from(w));
  // Σ w q (s − π)[1, y] with the raw size N as sumW, as a pass at the solution gives it
  const after = { ...(await sums(wq)), sumW: before.sumW };
  const names = { attributes: enc.attributeNames, labels: enc.labelNames };
  return biasReport(before, after, pi, names, { kept: await keptSums(enc, pi, eta, kw), tolerance });
}

/** q as the default engine writes it: text like String(q) in CSV/TSV, a DOUBLE in the typed formats */
const qText = (out: string) => (/\.(csv|tsv|tab)(\.gz)?$/i.test(out) ? `${jsNumberText('q')} AS q` : 'q');

/** Encode the pattern rows with the default engine's encoder (same missing-value policy, separators, checks). */
function encodePatterns(pats: Record<string, unknown>[], spec: ColumnSpec, path: string): EncodedTable {
  const enc = new TableEncoder({ ...spec, id: undefined, utility: undefined, counts: 'm4_n' });
  const columns = Object.keys(pats[0]);
  try {
    enc.push({ columns, rows: pats as never, offset: 0 });
  } catch (e) {
    // name the input row where the offending pattern first occurs
    if (e instanceof DataError && e.where.row !== undefined) {
      const first = Number(pats[e.where.row - 1].m4_first);
      throw new DataError(e.message.replace(ROW_PREFIX, ''), { file: path, row: first + 1, column: e.where.column });
    }
    throw e;
  }
  return enc.finish();
}

export type { DuckSession };
