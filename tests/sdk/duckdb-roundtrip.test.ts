// Beyond one machine: the scan runs in an engine (here DuckDB over Parquet), m4kit balances the pattern-count
// table, and the engine joins q back. The two SQL statements are the ones documented in docs/balance-at-scale.md.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { balanceFile, encodeFile, balanceEncoded } from '@m4kit/sdk/node';

test('DuckDB GROUP BY → m4kit on pattern counts → DuckDB join gives the per-row solution', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm4kit-duck-'));
  const data = join(dir, 'data.parquet');
  const patterns = join(dir, 'patterns.parquet');
  const patternsQ = join(dir, 'patterns_q.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  // a skewed synthetic table: 20 000 rows, sex × occupation with a real-looking association
  await con.run(`COPY (
      SELECT i AS id,
             CASE WHEN hash(i) % 100 < 62 THEN 'M' ELSE 'F' END AS sex,
             CASE WHEN hash(i * 7 + 1) % 5 = 0 THEN 'nurse' WHEN hash(i * 7 + 1) % 5 = 1 THEN 'pilot'
                  WHEN hash(i * 7 + 1) % 5 = 2 THEN 'doctor' ELSE 'clerk' END AS occupation
      FROM range(20000) t(i)
    ) TO '${data}' (FORMAT PARQUET)`);
  // statement 1: the pattern-count table
  await con.run(
    `COPY (SELECT sex, occupation, COUNT(*) AS n FROM '${data}' GROUP BY ALL ORDER BY ALL) TO '${patterns}' (FORMAT PARQUET)`,
  );
  const opts = { eta: 0.7, epsRep: 0, epsAssoc: 0, path: 'patterns' as const };
  const { result } = await balanceFile(
    patterns,
    { attributes: ['sex'], labels: ['occupation'], counts: 'n' },
    { ...opts, out: patternsQ },
  );
  expect(result.report.solver.status).toBe('optimal');
  // the output holds row (pattern order) and q; attach the pattern keys by the file's row number (order-stable,
  // unlike row_number() OVER () on a parallel scan)
  await con.run(
    `CREATE TABLE pq AS SELECT p.sex, p.occupation, o.q FROM (SELECT *, file_row_number + 1 AS row FROM read_parquet('${patterns}', file_row_number = true)) p JOIN '${patternsQ}' o USING (row)`,
  );
  // statement 2: join q back onto every row (a seeded Bernoulli keep would be random() < q)
  const joined = (
    await con.runAndReadAll(
      `SELECT d.id, d.sex, d.occupation, pq.q FROM '${data}' d JOIN pq USING (sex, occupation) ORDER BY d.id`,
    )
  ).getRowObjects();
  expect(joined.length).toBe(20000);
  // reference: balance the raw rows directly (per-row path)
  const enc = await encodeFile(data, { attributes: ['sex'], labels: ['occupation'] });
  const direct = await balanceEncoded(enc, { ...opts, path: 'rows', backend: 'cpu' });
  let worst = 0;
  joined.forEach((r, i) => (worst = Math.max(worst, Math.abs(Number(r.q) - direct.q[i]))));
  expect(worst).toBeLessThan(1e-6);
  // balanced moments from the joined table: both groups have share 0.5 in every occupation
  const shares = (
    await con.runAndReadAll(
      `SELECT occupation, SUM(CASE WHEN d.sex = 'F' THEN pq.q ELSE 0 END) / SUM(pq.q) AS f FROM '${data}' d JOIN pq USING (sex, occupation) GROUP BY occupation`,
    )
  ).getRowObjects();
  for (const s of shares) expect(Math.abs(Number(s.f) - 0.5)).toBeLessThan(1e-5);
  con.closeSync();
});
