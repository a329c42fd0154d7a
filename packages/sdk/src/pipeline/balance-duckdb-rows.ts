// `--engine duckdb`, per-row path (a utility column, or path "rows"): a row table (engine pattern index, utility)
// in DuckDB and the createDuckdbEngine passes (one aggregate query each); the driver (η search, solve, report)
// is the in-process pipeline's; q and keep are written by one COPY.
import { writeFile } from 'node:fs/promises';
import { createDuckdbEngine } from '../balance/engine-duckdb.js';
import { checkFeasible, writesOutput } from '../balance/infeasible.js';
import { biasReport } from '../balance/metrics.js';
import { BALANCE_DEFAULTS, piForGroups, type ResolvedBalanceOptions } from '../balance/options.js';
import { uniformSql } from '../balance/sql.js';
import type { ColumnSpec, EncodedTable } from '../io/encode.js';
import { DataError } from '../io/errors.js';
import { copyAtomic, sqlIdent, type DuckSession } from '../io/duckdb.js';
import { atomicWrite } from '../io/write.js';
import { combinedReport, driveBalance, optionsReport } from './driver.js';
import { keptPerPattern, keptSums } from './duckdb-bias.js';
import { codePlan, qText } from './duckdb-joinback.js';
import type { BalanceReport } from './report-types.js';

/** what the per-row path needs of the pipeline's options */
export interface RowsRunOptions {
  out?: string;
  reportPath?: string;
  joinBack?: 'auto' | 'join';
}

/**
 * Per-row path inside DuckDB: a row table (engine pattern index, utility) and the createDuckdbEngine passes; the
 * solver, the η search and the report are the ones of balanceEncoded; q and keep are written by one COPY.
 */
export async function balanceRows(
  s: DuckSession,
  path: string,
  spec: ColumnSpec,
  keys: string[],
  enc: EncodedTable,
  pats: Record<string, unknown>[],
  o: ResolvedBalanceOptions,
  opts: RowsRunOptions,
  t0: number,
  on: string,
): Promise<{ encoded: EncodedTable; patternQ: Float64Array; report: BalanceReport }> {
  const m = enc.attributeNames.length;
  const c = enc.labelNames.length;
  const pi = piForGroups(o.pi, enc.attributeNames, 'pi', enc.columns?.combined);
  const { seed } = o;
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
    const names = { attributes: enc.attributeNames, labels: enc.labelNames };
    const d = await driveBalance(engine, o, { pi, tol, names });
    const { res, eta, before, after } = d;
    const feasible = res.status !== 'infeasible';
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
      if (opts.out && writesOutput(res.status, o)) {
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
        ...combinedReport(enc),
      },
      options: optionsReport(o, {
        eta,
        pi,
        solver: 'batch',
        path: 'rows',
        backend: `duckdb (rows: one aggregate query per pass, ${ordered ? 'lookup' : 'join'})`,
      }),
      solver: d.solver,
      kept,
      bias: biasReport(before, after, pi, names, {
        kept: feasible ? await keptSums(enc, pi, eta, await keptPerPattern(s, enc, (p) => p)) : undefined,
        tolerance: o.tolerance,
      }),
      timeMs: performance.now() - t0,
    };
    if (opts.reportPath)
      await atomicWrite(opts.reportPath, (tmp) => writeFile(tmp, JSON.stringify({ file: path, ...report }, null, 2)));
    checkFeasible(report, o);
    return { encoded: enc, patternQ: new Float64Array(0), report };
  } finally {
    engine.dispose();
  }
}
