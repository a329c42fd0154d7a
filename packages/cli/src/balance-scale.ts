// `m4kit balance --engine duckdb` (DuckDB scans, groups, joins back and writes) and `--emit-sql DIALECT`
// (print the statements a warehouse runs itself). Kept apart from balance.ts: options arrive already parsed.
import {
  SQL_DIALECTS,
  balanceFile,
  balanceFileDuckdb,
  joinBackSql,
  patternCountSql,
  readTable,
  type BalanceReport,
  type ColumnSpec,
  type SqlDialect,
} from '@m4kit/sdk/node';
import type { TableEngine } from './engine.js';

export interface ScaleCliOptions {
  /** 'auto' (default: engine.ts), 'js' (the in-process readers) or 'duckdb' */
  engine?: TableEngine;
  emitSql?: SqlDialect;
  /** warehouse table (FROM item) for --emit-sql (default: the input argument) */
  table?: string;
  /** integer row id column the keep draw is keyed on (--emit-sql join-back) */
  rowId?: string;
  /** --engine duckdb: DuckDB memory limit (e.g. 1GB) */
  memoryLimit?: string;
}

const usage = (msg: string) => Object.assign(new Error(msg), { code: 'E_ARGUMENT' });

type Solve = NonNullable<Parameters<typeof balanceFile>[2]>;

/** Returns the report, or null when --emit-sql printed the pattern-count statement only. */
export async function runScale(
  input: string,
  spec: ColumnSpec,
  o: ScaleCliOptions,
  solve: Solve,
): Promise<BalanceReport | null> {
  if (o.emitSql) {
    if (!SQL_DIALECTS.includes(o.emitSql))
      throw usage(`--emit-sql: one of ${SQL_DIALECTS.join(', ')}, got "${o.emitSql}"`);
    if (o.engine === 'duckdb') throw usage('--emit-sql prints SQL for another engine; drop --engine duckdb');
    if (spec.missing === 'category')
      throw usage('--emit-sql: rows with missing pattern values get q = 0 there; use --missing error|drop');
    const table = o.table ?? input;
    if (!spec.counts) {
      // step 1: the pattern count, to run in the warehouse
      const sql = patternCountSql(o.emitSql, { table, attributes: spec.attributes, labels: spec.labels, counts: 'n' });
      console.log(
        `-- 1. pattern counts (${o.emitSql}): run in the warehouse, export the result (e.g. patterns.csv)\n${sql};\n` +
          `-- 2. then: m4kit balance patterns.csv -a ${spec.attributes.join(',')} -l ${spec.labels.join(',')} ` +
          '--counts n ' +
          (spec.combine && spec.combine !== 'auto' ? `--combine ${spec.combine} ` : '') +
          `--emit-sql ${o.emitSql} --table '${table}' --row-id <integer row id column> [--eta … --seed …]`,
      );
      return null;
    }
    if (!o.table) throw usage('--emit-sql with --counts: --table names the warehouse table the counts came from');
    if (!o.rowId)
      throw usage('--emit-sql with --counts: --row-id names the integer row id column the keep draw is keyed on');
    const { result } = await balanceFile(input, spec, { ...solve, path: 'patterns' });
    if (result.report.solver.status === 'infeasible') return result.report;
    const cols = [...new Set([...spec.attributes, ...spec.labels])];
    const patterns: { keys: (string | null)[]; q: number }[] = [];
    for await (const chunk of readTable(input, solve.read))
      for (const row of chunk.rows) {
        const keys = cols.map((c) =>
          row[c] === null || row[c] === undefined || row[c] === '' ? null : String(row[c]),
        );
        patterns.push({ keys, q: result.q[patterns.length] });
      }
    const seed = solve.seed ?? 0;
    const sql = joinBackSql(
      o.emitSql,
      { table: o.table, attributes: spec.attributes, labels: spec.labels, rowId: o.rowId },
      seed,
      patterns,
    );
    console.log(
      `-- 3. join q back on the pattern columns and draw keep (${o.emitSql}, seed ${seed}): ` +
        `row id, pattern columns, q, keep\n${sql};`,
    );
    return result.report;
  }
  const { rowsEngine, solver, lowMemory, read, ...rest } = solve;
  if (solver === 'stream') throw usage('--engine duckdb runs the batch solver; drop --solver stream');
  if (lowMemory || rowsEngine) throw usage('--engine duckdb is out-of-core already; drop --low-memory');
  void read;
  const { report, encoded } = await balanceFileDuckdb(input, spec, { ...rest, duckdb: { memoryLimit: o.memoryLimit } });
  // groups that differ only invisibly (the encoder of the pattern counts names them)
  if (encoded.warnings?.length) report.warnings = [...(report.warnings ?? []), ...encoded.warnings];
  return report;
}
