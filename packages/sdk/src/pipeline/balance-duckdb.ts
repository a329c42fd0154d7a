// `--engine duckdb` (Node): DuckDB scans the table and does the GROUP BY, m4kit solves on the pattern counts,
// DuckDB joins q back on the pattern columns (never on row order), draws keep = uniformAt(seed, row) < q in SQL
// (balance/sql.ts: the same function as the in-process draw) and COPYs the output to a temp file + rename.
// No per-row array ever lives in JavaScript, so the table may be larger than memory.
// The per-row path lives in balance-duckdb-rows.ts, the join-back in duckdb-joinback.ts; both share the one
// driver (driver.ts) with the in-process pipeline.
import { writeFile } from 'node:fs/promises';
import { ArgumentError } from '@m4kit/kernels';
import { resolveBalanceOptions, type BalanceOptions } from '../balance/options.js';
import { resolvedWith } from '../balance/rules.js';
import { checkFeasible, writesOutput } from '../balance/infeasible.js';
import { TableEncoder, type ColumnSpec, type EncodedTable } from '../io/encode.js';
import { DataError } from '../io/errors.js';
import { canHashKeys, openDuckDB, registerSource, sqlIdent, type DuckOptions, type DuckSession } from '../io/duckdb.js';
import { atomicWrite } from '../io/write.js';
import { balanceEncoded } from './balance.js';
import { balanceRows } from './balance-duckdb-rows.js';
import { biasFromPatterns } from './duckdb-bias.js';
import { hashedPatterns, joinBackBySlot } from './duckdb-hashed.js';
import { joinBackByCode, joinBackByJoin } from './duckdb-joinback.js';
import { phaseTimer } from './phases.js';
import type { BalanceReport } from './report-types.js';

/**
 * Options of `balanceFileDuckdb`: the balance options plus the output, the report, DuckDB's settings and the path.
 */
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

/**
 * What `balanceFileDuckdb` returns: the pattern table, q per pattern and the report.
 */
export interface BalanceDuckdbResult {
  /** the pattern-count table as the solver saw it: one pattern per distinct key, in order of first occurrence */
  encoded: EncodedTable;
  /** q per pattern (same order; empty on the per-row path, where q depends on the row's utility) */
  patternQ: Float64Array;
  report: BalanceReport;
}

const ROW_PREFIX = /^row \d+(, column "(?:[^"]|"")*")?: /;

/**
 * Balance a table file (or glob) on the pattern path inside DuckDB.
 * @param path - a table file or glob DuckDB reads (CSV/TSV/JSON/Parquet).
 * @param spec - the attribute and label columns.
 * @param opts - balance options plus `out`, `reportPath` and DuckDB settings.
 * @returns the pattern table, q per pattern and the report.
 * @throws InfeasibleError / NotConvergedError as `balanceFile` (after the report, without the output);
 *   MissingDependencyError without `@duckdb/node-api`; DataError / OptionError for bad input.
 */
export async function balanceFileDuckdb(
  path: string,
  spec: ColumnSpec,
  opts: BalanceDuckdbOptions = {},
): Promise<BalanceDuckdbResult> {
  if (spec.counts)
    throw new ArgumentError(
      'the duckdb engine counts patterns itself; balance a --counts table with the default engine',
    );
  const o = resolveBalanceOptions({ ...opts, solver: 'batch' });
  const rowsPath = !!spec.utility || o.path === 'rows';
  if (spec.utility && o.path === 'patterns')
    throw new ArgumentError('the patterns path cannot use a per-row utility; use path "rows"');
  const t0 = performance.now();
  const ph = phaseTimer();
  const s = await openDuckDB(opts.duckdb);
  ph.mark('open');
  try {
    const keys = [...new Set([...spec.attributes, ...spec.labels])];
    // CSV/TSV on the pattern path: the rows are read once as a hash of their key columns (duckdb-hashed.ts)
    const hashed = !rowsPath && canHashKeys(path) && !(spec.id && keys.includes(spec.id));
    await registerSource(
      s,
      path,
      'm4_src',
      [...keys, spec.id, spec.utility].filter((x): x is string => !!x),
      {
        phases: ph,
        hashKeys: hashed ? keys : undefined,
      },
    );
    const k = keys.map(sqlIdent);
    let on = 's.m4_h = p.m4_h';
    // patterns in order of first occurrence: the in-process encoder's order, so the solver sees the same problem;
    // m4_h = hash of the key columns: the join back runs on that one integer when no two patterns share it
    if (hashed) {
      // which reader found the patterns' key values: M4KIT_PHASES names it (the rescan is the slow one)
      ph.mark((await hashedPatterns(s, path, keys)) === 'js' ? 'firstRowsJs' : 'firstRowsRescan');
    } else {
      await s.run(`CREATE TEMP TABLE m4_pat AS
        SELECT ${k.join(', ')}, n AS m4_n, row_number() OVER (ORDER BY m4_first) - 1 AS m4_pid, m4_first,
          hash(${k.join(', ')}) AS m4_h
        FROM (SELECT ${k.join(', ')}, COUNT(*) AS n, MIN(m4_row) AS m4_first FROM m4_src GROUP BY ALL)`);
      const distinct = await s.rows('SELECT COUNT(DISTINCT m4_h) = COUNT(*) AS ok FROM m4_pat');
      on = distinct[0].ok
        ? `hash(${k.map((c) => `s.${c}`).join(', ')}) = p.m4_h`
        : k.map((c) => `s.${c} IS NOT DISTINCT FROM p.${c}`).join(' AND ');
    }
    const pats = await s.rows(
      `SELECT ${k.join(', ')}, CAST(m4_n AS DOUBLE) AS m4_n, m4_first FROM m4_pat ORDER BY m4_pid`,
    );
    if (!pats.length) throw new DataError('the table has no rows', { file: path });
    ph.mark('groupBy');
    const enc = encodePatterns(pats, { ...spec, combine: spec.combine ?? o.combine }, path);
    ph.mark('encode');
    if (rowsPath) return await balanceRows(s, path, spec, keys, enc, pats, o, opts, t0, on);
    const res = await balanceEncoded(
      enc,
      resolvedWith(o, { path: 'patterns', onInfeasible: 'return', onNotConverged: 'return' }),
    );
    const feasible = res.report.solver.status !== 'infeasible';
    ph.mark('solve');
    let kept = 0;
    let joinBack = 'lookup';
    let bias = res.report.bias;
    if (feasible) {
      // one scan writes (pattern code, keep) per row into a narrow table in row order, the kept rows per pattern
      // are grouped from it, and the output is COPYed from it in row order: no join, no sort (joinBackByCode);
      // past the dense-code limit, the join on the pattern columns and a sort by row id (joinBackByJoin)
      // stopped at maxIter and about to throw NotConvergedError: the kept rows are counted, no output written
      const out = writesOutput(res.report.solver.status, o) ? opts.out : undefined;
      const jb = { out, seed: o.seed, phases: ph };
      const lookup = () => (hashed ? joinBackBySlot(s, spec, res.q, jb) : joinBackByCode(s, keys, spec, res.q, jb));
      const kwPid =
        (opts.joinBack === 'join' ? null : await lookup()) ??
        ((joinBack = 'join'), await joinBackByJoin(s, spec, res.q, jb, on));
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
      ph.mark('bias');
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
    ph.mark('report');
    checkFeasible(report, o);
    return { encoded: enc, patternQ: res.q, report };
  } finally {
    await s.close();
    ph.mark('close');
    ph.done('balance --engine duckdb (patterns)');
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
