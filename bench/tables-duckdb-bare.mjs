#!/usr/bin/env node
// The floor for bench/tables.mjs's CSV section: a bare DuckDB read + write of the same file, no balancing — read
// the pattern columns as text (as m4kit's engine reads them) and COPY a q-like double and a keep flag per row
// computed from them (a hash of the row's columns), in file order.
// A balance run cannot beat it; the bench reports m4kit / bare (goal ≤ 1.5×).
//   node bench/tables-duckdb-bare.mjs IN.csv OUT.csv [col1,col2,…]
// Prints one JSON line of phase timings (s), the module load included (as in a CLI run).
const t0 = performance.now();
const { DuckDBInstance } = await import('@duckdb/node-api');
const [src, out, colsArg = 'race,l1,l2,l3,l4,l5,l6,l7,l8'] = process.argv.slice(2);
const cols = colsArg
  .split(',')
  .map((c) => `"${c}"`)
  .join(', ');
const t1 = performance.now();
const db = await DuckDBInstance.create(':memory:', { preserve_insertion_order: 'true' });
const con = await db.connect();
await con.run(`COPY (SELECT (hash(${cols}) % 1000) / 1000.0 AS q, hash(${cols}) % 7 < 3 AS keep
    FROM read_csv('${src}', all_varchar = true)) TO '${out}' (FORMAT csv, HEADER true)`);
const t2 = performance.now();
con.closeSync();
db.closeSync();
const s = (a, b) => (b - a) / 1000;
console.log(JSON.stringify({ load: s(t0, t1), readWrite: s(t1, t2), total: s(t0, t2) }));
