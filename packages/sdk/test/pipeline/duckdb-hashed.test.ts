// The DuckDB engine's CSV/TSV pattern path reads the table once as a hash of the key columns per row
// (duckdb-hashed.ts): its perfect hash (JS plan = the SQL DuckDB evaluates, distinct slots) and its output, byte for
// byte the default engine's, on the tables that stress it (a pattern first seen on the last row, NULLs dropped,
// quoted commas and newlines, an id column, TSV, gzip), and the join fallback giving the same bytes.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test, vi } from 'vitest';
import { balanceFile } from '../../src/pipeline/balance-file.js';
import { balanceFileDuckdb } from '../../src/pipeline/balance-duckdb.js';
import { perfectHash, slotSql } from '../../src/pipeline/duckdb-slots.js';
import type { ColumnSpec } from '../../src/io/encode.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-hashed-'));

/** k distinct pseudo-random 64-bit values (seeded) */
function hashes(k: number, seed: number): bigint[] {
  let x = BigInt(seed) | 1n;
  const out = new Set<bigint>();
  while (out.size < k) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    out.add(x ^ (x >> 29n));
  }
  return [...out];
}

describe('perfectHash', () => {
  test('every pattern gets its own slot in [0, M), for 1 to 65 536 patterns; more are refused (null)', () => {
    for (const k of [1, 2, 3, 17, 1280, 65536]) {
      const plan = perfectHash(hashes(k, k))!;
      expect(plan, `k = ${k}`).not.toBeNull();
      const slots = Array.from(plan.slotOf);
      expect(new Set(slots).size).toBe(k);
      expect(Math.min(...slots)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...slots)).toBeLessThan(plan.M);
    }
    expect(perfectHash(hashes(65537, 5))).toBeNull();
  });

  test('DuckDB computes the slot the plan gives (UBIGINT arithmetic, edge hashes 0 and 2^64 − 1)', async () => {
    const hs = [0n, 2n ** 64n - 1n, 2n ** 63n, ...hashes(4999, 9)];
    const plan = perfectHash(hs)!;
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(`SET VARIABLE m4_d0 = [${plan.d0.join(', ')}]::UBIGINT[]`);
    await con.run(`SET VARIABLE m4_d1 = [${plan.d1.join(', ')}]::UBIGINT[]`);
    const rows = (
      await con.runAndReadAll(`SELECT i, CAST(${slotSql(plan, 'h')} AS BIGINT) AS slot
        FROM (SELECT unnest(range(${hs.length})) AS i, unnest([${hs.join(', ')}]::UBIGINT[]) AS h) ORDER BY i`)
    ).getRowObjectsJS();
    con.closeSync();
    db.closeSync();
    expect(rows.map((r) => Number(r.slot))).toEqual(Array.from(plan.slotOf));
  });
});

describe('CSV/TSV read once as key hashes: the default engine’s bytes', () => {
  // race × occupation with NULL races, quoted values holding commas and newlines, and a pattern whose only row is
  // the last one (the second scan reads the whole file to find its key values; m4_pat's count check would fail)
  const rows: string[] = ['id,race,occ,note'];
  for (let i = 0; i < 5003; i++) {
    const race = i % 97 === 5 ? '' : ['w', 'b', '"a, x"', '"m\ny"'][(i * 7919) % 11 < 6 ? 0 : (i % 3) + 1];
    rows.push(`u${i},${race},${['nurse', 'pilot', 'doctor'][Math.floor(i / 3) % 3]},n${i % 5}`);
  }
  rows.push('u5003,,astronaut,n0'); // a pattern of its own (missing race: dropped) on the last row
  const text = rows.join('\n') + '\n';
  const spec: ColumnSpec = { attributes: ['race'], labels: ['occ'], missing: 'drop' };
  const opts = { eta: 'auto' as const, seed: 3 };

  const same = async (file: string, s: ColumnSpec, out: string, joinBack?: 'join') => {
    const a = await balanceFile(file, s, { ...opts, out: join(dir, `a-${out}`) });
    const b = await balanceFileDuckdb(file, s, { ...opts, joinBack, out: join(dir, `b-${out}`) });
    expect(b.report.options.backend).toBe(`duckdb (patterns, ${joinBack ?? 'lookup'})`);
    expect(b.report.input).toEqual(a.result.report.input);
    expect(b.report.kept).toBe(a.result.report.kept);
    expect(readFileSync(join(dir, `b-${out}`), 'utf8')).toBe(readFileSync(join(dir, `a-${out}`), 'utf8'));
    return b;
  };

  test('CSV: row numbers, ids, NULLs dropped, quoted keys, a pattern first seen on the last row; join = lookup', async () => {
    const f = join(dir, 't.csv');
    writeFileSync(f, text);
    // M4KIT_PHASES names the phases run: no slot plan (the id / COPY path's) and no dense code (other formats')
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    process.env.M4KIT_PHASES = '1';
    const b = await same(f, spec, 'q.csv').finally(() => delete process.env.M4KIT_PHASES);
    const phases = err.mock.calls.map((c) => String(c[0])).find((l) => l.startsWith('m4kit: phases'));
    err.mockRestore();
    expect(phases).toMatch(/"firstRowsJs".*"groupBy".*"keepAndWrite"/); // first rows and lines in JS
    expect(phases).not.toMatch(/codePlan|slotPlan/);
    expect(b.report.input.patterns).toBeGreaterThanOrEqual(12);
    expect(b.report.input.dropped).toBeGreaterThan(0);
    await same(f, { ...spec, id: 'id' }, 'qid.csv');
    await same(f, { ...spec, id: 'id' }, 'qj.csv', 'join');
    await same(f, { ...spec, labels: ['occ', 'note'] }, 'q2.csv');
  });

  test('150 000 rows: the lines cross several flushes of the byte buffer (row numbers of 1 to 6 digits)', async () => {
    const big = ['race,occ'];
    for (let i = 0; i < 150_000; i++) big.push(`${['w', 'b', 'a'][((i * 7919) % 7) % 3]},${['x', 'y'][(i >> 3) % 2]}`);
    const f = join(dir, 'big.csv');
    writeFileSync(f, big.join('\n') + '\n');
    const b = await same(f, spec, 'qbig.csv');
    expect(b.report.input.rows).toBe(150_000);
    expect(readFileSync(join(dir, 'b-qbig.csv')).length).toBeGreaterThan(3 << 20); // > the 2 MiB buffer
  });

  test('TSV and gzip CSV', async () => {
    const tsv = join(dir, 't.tsv');
    writeFileSync(tsv, text.replaceAll(',', '\t').replaceAll('"a\t x"', '"a, x"'));
    await same(tsv, spec, 'q.tsv');
    const gz = join(dir, 't.csv.gz');
    writeFileSync(gz, gzipSync(text));
    await same(gz, spec, 'qgz.csv');
  });
});
