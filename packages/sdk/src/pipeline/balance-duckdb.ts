// `--engine duckdb` (Node): DuckDB scans the table and does the GROUP BY, m4kit solves on the pattern counts,
// DuckDB joins q back on the pattern columns (never on row order), draws keep = uniformAt(seed, row) < q in SQL
// (balance/sql.ts: the same function as the in-process draw) and COPYs the output to a temp file + rename.
// No per-row array ever lives in JavaScript, so the table may be larger than memory.
import { writeFile } from 'node:fs/promises';
import { ArgumentError } from '@m4kit/kernels';
import { uniformSql } from '../balance/sql.js';
import { TableEncoder, type ColumnSpec, type EncodedTable } from '../io/encode.js';
import { DataError } from '../io/errors.js';
import { copyAtomic, openDuckDB, registerSource, sqlIdent, type DuckOptions, type DuckSession } from '../io/duckdb.js';
import { atomicWrite } from '../io/write.js';
import { balanceEncoded, type BalanceOptions, type BalanceReport } from './balance.js';

export interface BalanceDuckdbOptions extends Omit<BalanceOptions, 'rowsEngine' | 'solver'> {
  out?: string;
  reportPath?: string;
  duckdb?: DuckOptions;
}

export interface BalanceDuckdbResult {
  /** the pattern-count table as the solver saw it: one pattern per distinct key, in order of first occurrence */
  encoded: EncodedTable;
  /** q per pattern (same order) */
  patternQ: Float64Array;
  report: BalanceReport;
}

const ROW_PREFIX = /^row \d+(, column "(?:[^"]|"")*")?: /;

/** Balance a table file (or glob) on the pattern path inside DuckDB. */
export async function balanceFileDuckdb(path: string, spec: ColumnSpec, opts: BalanceDuckdbOptions = {}): Promise<BalanceDuckdbResult> {
  if (spec.utility) throw new ArgumentError('the duckdb engine runs the pattern path (no --utility); use the default engine');
  if (spec.counts) throw new ArgumentError('the duckdb engine counts patterns itself; balance a --counts table with the default engine');
  if (opts.path === 'rows') throw new ArgumentError('the duckdb engine runs the pattern path; use the default engine for --path rows');
  const t0 = performance.now();
  const s = await openDuckDB(opts.duckdb);
  try {
    const columns = await registerSource(s, path);
    const keys = [...new Set([...spec.attributes, ...spec.labels])];
    for (const c of [...keys, spec.id].filter((x): x is string => !!x))
      if (!columns.includes(c)) throw new DataError(`unknown column "${c}" (columns: ${columns.join(', ')})`, { file: path, column: c });
    const k = keys.map(sqlIdent);
    // patterns in order of first occurrence: the in-process encoder's order, so the solver sees the same problem
    await s.run(`CREATE TEMP TABLE m4_pat AS SELECT ${k.join(', ')}, n AS m4_n, row_number() OVER (ORDER BY m4_first) - 1 AS m4_pid, m4_first
      FROM (SELECT ${k.join(', ')}, COUNT(*) AS n, MIN(m4_row) AS m4_first FROM m4_src GROUP BY ALL)`);
    const pats = await s.rows(`SELECT ${k.join(', ')}, CAST(m4_n AS DOUBLE) AS m4_n, m4_first FROM m4_pat ORDER BY m4_pid`);
    if (!pats.length) throw new DataError('the table has no rows', { file: path });
    const enc = encodePatterns(pats, spec, path);
    const res = await balanceEncoded(enc, { ...opts, path: 'patterns', solver: 'batch' });
    const feasible = res.report.solver.status !== 'infeasible';
    let kept = 0;
    if (feasible) {
      await s.run('CREATE TEMP TABLE m4_q (m4_pid BIGINT, m4_q DOUBLE)');
      const app = await s.con.createAppender('m4_q');
      res.q.forEach((q, i) => {
        app.appendBigInt(BigInt(i));
        app.appendDouble(q);
        app.endRow();
      });
      app.closeSync();
      const seed = opts.seed ?? 0;
      const on = k.map((c) => `s.${c} IS NOT DISTINCT FROM p.${c}`).join(' AND ');
      await s.run(`CREATE TEMP VIEW m4_out AS SELECT s.m4_row, q.m4_q AS q, ${uniformSql('duckdb', seed, 's.m4_row')} < q.m4_q AS keep
        ${spec.id ? `, s.${sqlIdent(spec.id)} AS m4_id` : ''}
        FROM m4_src s JOIN m4_pat p ON ${on} JOIN m4_q q USING (m4_pid)`);
      if (opts.out) {
        const idCol = spec.id ? `m4_id AS ${sqlIdent(spec.id)}` : 'm4_row + 1 AS "row"';
        await copyAtomic(s, `SELECT ${idCol}, q, keep FROM m4_out ORDER BY m4_row`, opts.out);
      }
      kept = Number((await s.rows('SELECT COUNT(*) AS n FROM m4_out WHERE keep'))[0].n);
    }
    const total = pats.reduce((a, p) => a + Number(p.m4_n), 0);
    let dropped = 0;
    enc.rowToPattern.forEach((p, i) => p < 0 && (dropped += Number(pats[i].m4_n)));
    const report: BalanceReport = {
      ...res.report,
      input: { ...res.report.input, rows: total, dropped },
      options: { ...res.report.options, backend: 'duckdb (patterns)' },
      kept,
      timeMs: performance.now() - t0,
    };
    if (opts.reportPath) await atomicWrite(opts.reportPath, (tmp) => writeFile(tmp, JSON.stringify({ file: path, ...report }, null, 2)));
    return { encoded: enc, patternQ: res.q, report };
  } finally {
    await s.close();
  }
}

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
