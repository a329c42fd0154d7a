#!/usr/bin/env node
// DuckDB-only peer for bench/tables.mjs: the pattern path's table work written by hand in DuckDB SQL, as a data
// engineer would without m4kit (the steps of the pandas peer, tables-pandas.py): count the patterns
// (GROUP BY), a placeholder q per pattern (count / max count; the solve takes milliseconds), join q back on the
// pattern columns, draw keep (random() < q) and COPY (row, q, keep) in row order (ORDER BY row: a parallel join
// does not keep it). Same DuckDB build, threads and memory limit as m4kit's engine.
//   node bench/tables-duckdb-peer.mjs 'IN.parquet|IN.csv' OUT.parquet col1,col2,... [memory_limit]
// Prints one JSON line of phase timings (s).
import { DuckDBInstance } from '@duckdb/node-api';

const [src, out, colsArg, mem = '1GB'] = process.argv.slice(2);
const cols = colsArg
  .split(',')
  .map((c) => `"${c}"`)
  .join(', ');
const db = await DuckDBInstance.create(':memory:', { memory_limit: mem, preserve_insertion_order: 'true' });
const con = await db.connect();
const parquet = /\.parquet$/i.test(src);
const scan = parquet
  ? `read_parquet('${src}', file_row_number = true)`
  : `(SELECT *, 0 AS file_index, rowid AS file_row_number FROM src)`;
const t0 = performance.now();
// CSV: load once (a CSV scan has no row number); the table's rowid is the row number
if (!parquet) await con.run(`CREATE TEMP TABLE src AS SELECT * FROM read_csv('${src}', all_varchar = true)`);
const from = scan;
const t1 = performance.now();
await con.run(`CREATE TEMP TABLE pat AS SELECT ${cols}, COUNT(*) AS n FROM ${from} GROUP BY ALL`);
const t2 = performance.now();
// row = file_row_number + 1 (the row in its file; ordered by file, then row: the glob's concatenation)
await con.run(`COPY (SELECT file_row_number + 1 AS "row", q, random() < q AS keep
    FROM ${from} JOIN (SELECT ${cols}, n / MAX(n) OVER () AS q FROM pat) USING (${cols})
    ORDER BY file_index, file_row_number)
  TO '${out}' (FORMAT ${/\.csv$/i.test(out) ? 'csv' : 'parquet'})`);
const t3 = performance.now();
const patterns = Number((await con.runAndReadAll('SELECT COUNT(*) AS k FROM pat')).getRowObjectsJS()[0].k);
con.closeSync();
db.closeSync();
const s = (a, b) => (b - a) / 1000;
console.log(
  JSON.stringify({ read: s(t0, t1), groupby: s(t1, t2), merge_write: s(t2, t3), total: s(t0, t3), patterns }),
);
