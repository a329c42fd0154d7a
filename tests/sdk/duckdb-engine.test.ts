// --engine duckdb against the default (in-process) engine on the same files: q per row within 1e-9 (tolerance:
// the solver sees the same patterns in the same order; only the summation differs), keep identical row by row,
// the same report numbers. And the statements `--emit-sql duckdb` prints, run in DuckDB.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  DataError,
  balanceEncoded,
  balanceFile,
  balanceFileDuckdb,
  InfeasibleError,
  encodeFile,
  joinBackSql,
  patternCountSql,
  uniformAt,
  uniformSql,
  loadDuckDB,
  MissingDependencyError,
  readTable,
  type ColumnSpec,
} from '@m4kit/sdk/node';
import { jsNumberText } from '@m4kit/sdk/advanced';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-duckeng-'));

/** seeded skewed table: race (3 groups) × occupation (4) with an association, tags list, 0/1 columns */
function makeRows(n: number, seed: number, missingEvery = 0) {
  let x = seed >>> 0;
  const r = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
  const rows: Record<string, string | number>[] = [];
  for (let i = 0; i < n; i++) {
    const race = r() < 0.55 ? 'w' : r() < 0.6 ? 'b' : 'a';
    const occ = ['nurse', 'pilot', 'doctor', 'clerk'][Math.min(3, Math.floor(r() * (race === 'w' ? 4 : 3.3)))];
    const miss = missingEvery && i % missingEvery === 3;
    rows.push({
      id: `u${i}`,
      race: miss ? '' : race,
      occ,
      tags: r() < 0.3 ? 'x|y' : r() < 0.5 ? 'y' : 'x',
      f: +(race === 'w'),
      m: +(race !== 'w'),
    });
  }
  return rows;
}
function csv(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0]);
  return [cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n';
}
async function duck() {
  const db = await DuckDBInstance.create(':memory:');
  return db.connect();
}

const opts = { eta: 0.45, epsRep: 0.01, epsAssoc: 0.005, seed: 11 };

async function compare(file: string, spec: ColumnSpec, extra: Record<string, unknown> = {}, out = 'csv') {
  const a = await balanceFile(file, spec, { ...opts, ...extra, out: join(dir, `a.${out}`) });
  const b = await balanceFileDuckdb(file, spec, { ...opts, ...extra, out: join(dir, `b.${out}`) });
  expect(a.result.report.solver.status).toBe('optimal');
  expect(b.report.solver.status).toBe('optimal');
  expect(b.report.input).toEqual(a.result.report.input);
  expect(b.report.kept).toBe(a.result.report.kept);
  // every number of the bias summary (before, after, and the kept rows' moments from the keep flags)
  const sa = a.result.report.bias.summary as unknown as Record<string, unknown>;
  const sb = b.report.bias.summary as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(sa))
    if (typeof v === 'number' && Number.isFinite(v)) expect(sb[k], k).toBeCloseTo(v, 9);
  const rowsOf = async (f: string) => {
    const all: Record<string, unknown>[] = [];
    for await (const c of readTable(f)) all.push(...c.rows);
    return all;
  };
  const [ra, rb] = [await rowsOf(join(dir, `a.${out}`)), await rowsOf(join(dir, `b.${out}`))];
  expect(rb.length).toBe(ra.length);
  let worst = 0;
  ra.forEach((r, i) => {
    worst = Math.max(worst, Math.abs(Number(r.q) - Number(rb[i].q)));
    expect(String(rb[i].keep)).toBe(String(r.keep));
    expect(String(rb[i][spec.id ?? 'row'])).toBe(String(r[spec.id ?? 'row']));
  });
  expect(worst).toBeLessThan(1e-9);
  return { a, b };
}

describe('--engine duckdb matches the default engine', () => {
  test('CSV, single attribute column, list labels, id column: same bytes out', async () => {
    const f = join(dir, 't.csv');
    writeFileSync(f, csv(makeRows(7001, 1)));
    await compare(f, { attributes: ['race'], labels: ['tags'], id: 'id' });
    // the CSV writers agree byte for byte (q printed as shortest round-trip doubles, keep as true/false)
    expect(readFileSync(join(dir, 'b.csv'), 'utf8')).toBe(readFileSync(join(dir, 'a.csv'), 'utf8'));
  });

  test('Parquet (and a glob of two Parquet files = their concatenation), 0/1 attribute columns, missing dropped', async () => {
    const rows = makeRows(5003, 2, 97);
    const con = await duck();
    const whole = join(dir, 'p.csv');
    writeFileSync(whole, csv(rows));
    await con.run(
      `COPY (SELECT * FROM read_csv('${whole}', all_varchar = true)) TO '${join(dir, 'whole.parquet')}' (FORMAT parquet)`,
    );
    await con.run(
      `COPY (SELECT * FROM read_csv('${whole}', all_varchar = true) LIMIT 3000) TO '${join(dir, 'part-0.parquet')}' (FORMAT parquet)`,
    );
    await con.run(
      `COPY (SELECT * FROM read_csv('${whole}', all_varchar = true) OFFSET 3000) TO '${join(dir, 'part-1.parquet')}' (FORMAT parquet)`,
    );
    con.closeSync();
    const spec: ColumnSpec = { attributes: ['race'], labels: ['occ'], missing: 'drop' };
    const { a } = await compare(join(dir, 'whole.parquet'), spec, {}, 'parquet');
    expect(a.result.report.input.dropped).toBeGreaterThan(0);
    const g = await balanceFileDuckdb(join(dir, 'part-*.parquet'), spec, { ...opts, out: join(dir, 'g.parquet') });
    expect(g.report.kept).toBe(a.result.report.kept);
    await compare(whole, { attributes: ['f', 'm'], labels: ['occ'] });
  });

  test('JSONL, gzip CSV in and out, TSV; the 1-row and tiny tables', async () => {
    const rows = makeRows(2000, 3);
    const jl = join(dir, 't.jsonl');
    writeFileSync(jl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await compare(jl, { attributes: ['race'], labels: ['occ'] }, {}, 'jsonl');
    const tsv = join(dir, 't.tsv');
    writeFileSync(tsv, csv(rows).replaceAll(',', '\t'));
    await compare(tsv, { attributes: ['race'], labels: ['occ'] }, {}, 'tsv');
    const { gzipSync, gunzipSync } = await import('node:zlib');
    const gz = join(dir, 't.csv.gz');
    writeFileSync(gz, gzipSync(csv(rows)));
    const b = await balanceFileDuckdb(
      gz,
      { attributes: ['race'], labels: ['occ'] },
      { ...opts, out: join(dir, 'o.csv.gz') },
    );
    const lines = gunzipSync(readFileSync(join(dir, 'o.csv.gz')))
      .toString()
      .trim()
      .split('\n');
    expect(lines.length).toBe(2001);
    expect(lines.slice(1).filter((l) => l.endsWith(',true')).length).toBe(b.report.kept);
    // smallest tables: 2 rows (two groups, one label)
    const tiny = join(dir, 'tiny.csv');
    writeFileSync(tiny, 'race,occ\nw,x\nb,x\n');
    await compare(tiny, { attributes: ['race'], labels: ['occ'] }, { eta: 0.5 });
  });

  test('errors name the file, row and column; unknown columns list the columns', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'race,occ\nw,x\nb,y\n,x\nw,y\n');
    await expect(balanceFileDuckdb(f, { attributes: ['race'], labels: ['occ'] }, opts)).rejects.toThrow(
      /bad\.csv, row 3, column "race": missing value/,
    );
    await expect(balanceFileDuckdb(f, { attributes: ['sex'], labels: ['occ'] }, opts)).rejects.toThrow(DataError);
    await expect(balanceFileDuckdb(f, { attributes: ['sex'], labels: ['occ'] }, opts)).rejects.toThrow(
      /unknown column "sex" \(columns: race, occ\)/,
    );
    await expect(
      balanceFileDuckdb(join(dir, 'nope.csv'), { attributes: ['race'], labels: ['occ'] }, opts),
    ).rejects.toThrow(/nope\.csv: file not found/);
  });

  test('infeasible: no output file, same status and largest feasible η', async () => {
    const f = join(dir, 't.csv');
    const spec = { attributes: ['race'], labels: ['occ'] };
    const a = await balanceFile(f, spec, { ...opts, eta: 0.99, epsRep: 0, epsAssoc: 0, onInfeasible: 'return' });
    const b = await balanceFileDuckdb(f, spec, {
      ...opts,
      eta: 0.99,
      epsRep: 0,
      epsAssoc: 0,
      out: join(dir, 'never.csv'),
      onInfeasible: 'return',
    });
    expect(b.report.solver.status).toBe('infeasible');
    expect(a.result.report.solver.status).toBe('infeasible');
    expect(() => readFileSync(join(dir, 'never.csv'))).toThrow();
    // #24: by default both engines throw the typed error (pattern path and per-row path), never a quiet result
    const hard = { ...opts, eta: 0.99, epsRep: 0, epsAssoc: 0, out: join(dir, 'never.csv') };
    for (const path of ['patterns', 'rows'] as const) {
      const e = await balanceFileDuckdb(f, spec, { ...hard, path }).catch((x: unknown) => x);
      expect(e, path).toBeInstanceOf(InfeasibleError);
      expect((e as InfeasibleError).maxFeasibleEta).toBeCloseTo(a.result.report.solver.maxFeasibleEta!, 3);
      expect((e as InfeasibleError).violated.length).toBeGreaterThan(0);
    }
    expect(() => readFileSync(join(dir, 'never.csv'))).toThrow();
  });
});

describe('--engine duckdb pattern path at scale: the join-free join-back', () => {
  // 300 011 rows in 3 Parquet files of 10 000-row row groups (so DuckDB's two threads interleave ~30 row groups),
  // missing race values dropped, an id column: the lookup join-back (codes → q, one scan into a (code, keep)
  // table, COPY without ORDER BY) must write the rows in row order with the in-process engine's q and keep
  test('multi-file, multi-row-group Parquet: lookup = join = in-process, row by row; certified optimum', async () => {
    const n = 300011;
    const con = await duck();
    const src = `SELECT 'u' || i AS id,
        CASE WHEN i % 101 = 7 THEN NULL WHEN hash(i) % 10 < 6 THEN 'w' WHEN hash(i) % 10 < 8 THEN 'b' ELSE 'a' END AS race,
        CAST(hash(i * 3 + 1) % 10 < 3 + (hash(i) % 10 < 6)::INT * 3 AS INT) AS l1,
        CAST(hash(i * 5 + 2) % 10 < 4 AS INT) AS l2,
        ['nurse', 'pilot', 'doctor'][1 + CAST(hash(i * 7 + 3) % 3 AS BIGINT)] AS occ
      FROM range(${n}) t(i)`;
    const parts = [0, 100000, 200000, n];
    for (let f = 0; f < 3; f++)
      await con.run(`COPY (SELECT * FROM (${src}) WHERE CAST(substr(id, 2) AS BIGINT) >= ${parts[f]}
          AND CAST(substr(id, 2) AS BIGINT) < ${parts[f + 1]} ORDER BY CAST(substr(id, 2) AS BIGINT))
        TO '${join(dir, `big-${f}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 10000)`);
    await con.run(`COPY (SELECT * FROM read_parquet('${join(dir, 'big-*.parquet')}'))
      TO '${join(dir, 'big.parquet')}' (FORMAT parquet)`);
    con.closeSync();
    const spec: ColumnSpec = { attributes: ['race'], labels: ['l1', 'l2', 'occ'], id: 'id', missing: 'drop' };
    const o = { ...opts, eta: 0.4 };
    const a = await balanceFile(join(dir, 'big.parquet'), spec, { ...o, out: join(dir, 'big-a.csv') });
    const glob = join(dir, 'big-*.parquet');
    const look = await balanceFileDuckdb(glob, spec, { ...o, out: join(dir, 'big-b.csv') });
    const byJoin = await balanceFileDuckdb(glob, spec, { ...o, joinBack: 'join', out: join(dir, 'big-c.csv') });
    expect(look.report.options.backend).toBe('duckdb (patterns, lookup)');
    expect(byJoin.report.options.backend).toBe('duckdb (patterns, join)');
    // the same certified optimum: same status and duality gap as in-process, same q per pattern
    for (const r of [look.report, byJoin.report]) {
      expect(r.solver.status).toBe('optimal');
      expect(r.solver.status).toBe(a.result.report.solver.status);
      expect(r.input).toEqual(a.result.report.input);
      expect(r.kept).toBe(a.result.report.kept);
    }
    expect(Array.from(look.patternQ)).toEqual(Array.from(byJoin.patternQ));
    expect(a.result.report.input.dropped).toBeGreaterThan(0);
    // byte-identical CSVs: same row order, ids, q text, keep (so lookup kept the row order over 30 row groups)
    // (lines compared one by one: a failing toBe on two 10 MB strings spends minutes on the diff)
    const la = readFileSync(join(dir, 'big-a.csv'), 'utf8').split('\n');
    expect(la.length).toBe(n + 2);
    for (const f of ['big-b.csv', 'big-c.csv']) {
      const lb = readFileSync(join(dir, f), 'utf8').split('\n');
      expect(lb.length, f).toBe(la.length);
      const bad = la.findIndex((l, i) => l !== lb[i]);
      expect(bad === -1 ? 'all lines equal' : `${f} line ${bad}: ${lb[bad]} ≠ ${la[bad]}`).toBe('all lines equal');
    }
    // Parquet out (typed q): the lookup path's rows as the join path's
    const pq = await balanceFileDuckdb(glob, spec, { ...o, out: join(dir, 'big-b.parquet') });
    const con2 = await duck();
    const diff = (
      await con2.runAndReadAll(`SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE a.id IS DISTINCT FROM b.id OR
          a.keep IS DISTINCT FROM b.keep OR abs(a.q - CAST(b.q AS DOUBLE)) > 1e-15) AS bad
        FROM '${join(dir, 'big-b.parquet')}' a POSITIONAL JOIN read_csv('${join(dir, 'big-a.csv')}', all_varchar = true) b`)
    ).getRowObjectsJS()[0];
    con2.closeSync();
    expect(Number(diff.n)).toBe(n);
    expect(Number(diff.bad)).toBe(0);
    expect(pq.report.kept).toBe(a.result.report.kept);
  }, 120_000);

  test('key columns the dense code cannot take (DOUBLE) fall back to the join, and say so; same output', async () => {
    const rows = makeRows(3001, 8).map((r) => ({ ...r, w: r.race === 'w' ? 0.5 : r.race === 'b' ? 1.5 : 2.5 }));
    const jl = join(dir, 'dbl.jsonl');
    writeFileSync(jl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { b } = await compare(jl, { attributes: ['w'], labels: ['occ'] }, {}, 'csv');
    expect(b.report.options.backend).toBe('duckdb (patterns, join)');
    const c = await compare(jl, { attributes: ['race'], labels: ['occ'] }, {}, 'csv');
    expect(c.b.report.options.backend).toBe('duckdb (patterns, lookup)');
  });
});

describe('--engine duckdb per-row path: every pass is one aggregate query, q as the float64 CPU engine', () => {
  test('utility column, eta fixed and auto; q ≤ 1e-6, keep identical, same report', async () => {
    const rows = makeRows(4003, 5).map((r, i) => ({ ...r, util: (((i * 7919) % 1000) / 1000 - 0.5) * 0.4 }));
    const f = join(dir, 'u.csv');
    writeFileSync(f, csv(rows));
    const spec: ColumnSpec = { attributes: ['race'], labels: ['occ'], utility: 'util', id: 'id' };
    for (const eta of [0.4, 'auto' as const]) {
      const a = await balanceFile(f, spec, { ...opts, eta, backend: 'cpu', out: join(dir, 'ua.csv') });
      const b = await balanceFileDuckdb(f, spec, { ...opts, eta, out: join(dir, 'ub.csv') });
      expect(a.result.report.solver.status).toBe('optimal');
      expect(b.report.solver.status).toBe('optimal');
      expect(b.report.options.path).toBe('rows');
      // the engine's Hessian pass (one COUNT per pattern query) puts the second-order solver on the SQL engine
      expect(b.report.solver.method).toBe('newton');
      expect(b.report.solver.hessianPasses).toBeGreaterThan(0);
      // 'auto' includes the η search, Newton too since #15 (was 751 first-order passes; now 59 + 29 Hessian)
      expect(b.report.solver.passes).toBeLessThan(eta === 'auto' ? 120 : 60);
      // rows reach their pattern by dense code (no join, output unsorted in row order); the join gives the same bytes
      expect(b.report.options.backend).toBe('duckdb (rows: one aggregate query per pass, lookup)');
      const j = await balanceFileDuckdb(f, spec, { ...opts, eta, joinBack: 'join', out: join(dir, 'uj.csv') });
      expect(j.report.options.backend).toBe('duckdb (rows: one aggregate query per pass, join)');
      expect(readFileSync(join(dir, 'uj.csv'), 'utf8')).toBe(readFileSync(join(dir, 'ub.csv'), 'utf8'));
      expect(b.report.options.eta).toBeCloseTo(a.result.report.options.eta, 6);
      expect(b.report.input).toEqual(a.result.report.input);
      const ra: Record<string, unknown>[] = [];
      const rb: Record<string, unknown>[] = [];
      for await (const c of readTable(join(dir, 'ua.csv'))) ra.push(...c.rows);
      for await (const c of readTable(join(dir, 'ub.csv'))) rb.push(...c.rows);
      let worst = 0;
      let keepDiff = 0;
      ra.forEach((r, i) => {
        expect(rb[i].id).toBe(r.id);
        worst = Math.max(worst, Math.abs(Number(r.q) - Number(rb[i].q)));
        // keep can differ only where u lies within the q difference of q
        if (r.keep !== rb[i].keep && Math.abs(uniformAt(opts.seed, i) - Number(r.q)) > 1e-6) keepDiff++;
      });
      expect(worst).toBeLessThan(1e-6);
      expect(keepDiff).toBe(0);
      for (const k of ['rbBefore', 'abBefore', 'rbAfter', 'abAfter'] as const)
        expect(b.report.bias.summary[k]).toBeCloseTo(a.result.report.bias.summary[k], 6);
    }
    // a bad utility names the row and column
    writeFileSync(join(dir, 'ubad.csv'), 'race,occ,util\nw,x,0.1\nb,y,abc\n');
    await expect(
      balanceFileDuckdb(join(dir, 'ubad.csv'), { attributes: ['race'], labels: ['occ'], utility: 'util' }, opts),
    ).rejects.toThrow(/ubad\.csv, row 2, column "util": expected a number, got "abc"/);
  });
});

test('q written to CSV by DuckDB reads as String(q): 0, 1, fixed from 1e-6, exponent below', async () => {
  const con = await duck();
  const xs = [
    0,
    1,
    0.5,
    1 / 3,
    0.1,
    1e-4,
    1.234e-4,
    2.5e-5,
    1e-6,
    1.5e-6,
    9.99e-7,
    1.234e-7,
    1e-10,
    5e-324,
    0.9999999999999999,
    0.7548151996119198,
  ];
  const got = (
    await con.runAndReadAll(
      `SELECT ${jsNumberText('x')} AS s FROM (SELECT unnest([${xs.map((x) => `'${x}'`).join(',')}]::DOUBLE[]) AS x)`,
    )
  ).getRowObjectsJS();
  got.forEach((r, i) => expect(r.s).toBe(String(xs[i])));
  con.closeSync();
});

test('a missing optional package is a typed error that says what to install', async () => {
  const e = await loadDuckDB('the duckdb engine', '@duckdb/not-installed-here').catch((x) => x);
  expect(e).toBeInstanceOf(MissingDependencyError);
  expect(e.code).toBe('E_DEPENDENCY');
  expect(e.message).toMatch(/the duckdb engine needs the optional package @duckdb\/not-installed-here: .*npm install/);
});

test('CLI: --engine duckdb writes the bytes the default engine writes; --emit-sql usage errors exit 2', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { fileURLToPath } = await import('node:url');
  const cli = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
  const run = (args: string[]) =>
    promisify(execFile)('node', [cli, 'balance', ...args]).then(
      (r) => ({ code: 0, ...r }),
      (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
    );
  const f = join(dir, 'cli.csv');
  writeFileSync(f, csv(makeRows(3001, 6)));
  const args = [f, '-a', 'race', '-l', 'tags', '--eta', '0.45', '--seed', '3', '--no-progress'];
  const a = await run([...args, '-o', join(dir, 'cli-js.csv')]);
  const b = await run([...args, '--engine', 'duckdb', '-o', join(dir, 'cli-duck.csv')]);
  expect(a.code).toBe(0);
  expect(b.code).toBe(0);
  expect(b.stdout).toMatch(/path patterns on duckdb/);
  expect(readFileSync(join(dir, 'cli-duck.csv'), 'utf8')).toBe(readFileSync(join(dir, 'cli-js.csv'), 'utf8'));
  const noTable = await run([f, '-a', 'race', '-l', 'occ', '--counts', 'n', '--emit-sql', 'spark']);
  expect(noTable.code).toBe(2);
  expect(noTable.stderr).toMatch(/--table names the warehouse table/);
  const both = await run([f, '-a', 'race', '-l', 'occ', '--engine', 'duckdb', '--emit-sql', 'spark']);
  expect(both.code).toBe(2);
  const step1 = await run(['events', '-a', 'race', '-l', 'occ', '--emit-sql', 'postgres']);
  expect(step1.code).toBe(0);
  expect(step1.stdout).toContain('SELECT CAST("race" AS TEXT) AS "race",');
  expect(step1.stdout).toContain('GROUP BY "race", "occ";');
});

describe('the keep draw in SQL is uniformAt', () => {
  test('DuckDB evaluates uniformSql bit for bit (edge rows and seeds)', async () => {
    const con = await duck();
    const ids = [
      0,
      1,
      2,
      3,
      255,
      65535,
      65536,
      1e6,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1 - 0x632be5ab,
      2 ** 32 - 0x632be5ab,
      2 ** 32 + 5,
      2 ** 40 + 7,
    ];
    for (const seed of [0, 1, 42, -7, 2 ** 31 - 1, 123456789]) {
      const got = (
        await con.runAndReadAll(
          `SELECT i, ${uniformSql('duckdb', seed, 'i')} AS u FROM (SELECT unnest([${ids.join(',')}]::BIGINT[]) AS i) ORDER BY i`,
        )
      ).getRowObjectsJS();
      got.forEach((r, j) => expect(r.u).toBe(uniformAt(seed, ids[j])));
    }
    // and on 100 000 consecutive rows
    const rows = (
      await con.runAndReadAll(`SELECT ${uniformSql('duckdb', 9, 'i')} AS u FROM range(100000) t(i) ORDER BY i`)
    ).getRowObjectsJS();
    rows.forEach((r, i) => {
      if (r.u !== uniformAt(9, i)) expect(r.u).toBe(uniformAt(9, i));
    });
    con.closeSync();
  });
});

test('the statements --emit-sql duckdb prints, run in DuckDB over Parquet: every row q and keep as in-process', async () => {
  const rows = makeRows(6007, 4).map((r, i) => ({ rid: i, ...r }));
  const f = join(dir, 'e.csv');
  writeFileSync(f, csv(rows));
  const con = await duck();
  await con.run(
    `CREATE TABLE events AS SELECT CAST(rid AS BIGINT) AS rid, race, occ FROM read_csv('${f}', all_varchar = true)`,
  );
  const spec = { attributes: ['race'], labels: ['occ'] };
  // 1. pattern counts in the engine, exported as CSV
  const pc = join(dir, 'pc.csv');
  await con.run(
    `COPY (${patternCountSql('duckdb', { table: 'events', ...spec })}) TO '${pc}' (FORMAT csv, HEADER true)`,
  );
  // 2. m4kit on the counts
  const { result } = await balanceFile(pc, { ...spec, counts: 'n' }, { ...opts, path: 'patterns' });
  const patterns: { keys: (string | null)[]; q: number }[] = [];
  for await (const c of readTable(pc))
    for (const r of c.rows) patterns.push({ keys: [String(r.race), String(r.occ)], q: result.q[patterns.length] });
  // 3. join back with the keep draw
  const sql = joinBackSql('duckdb', { table: 'events', ...spec, rowId: 'rid' }, opts.seed, patterns);
  const got = (await con.runAndReadAll(`SELECT * FROM (${sql}) ORDER BY rid`)).getRowObjectsJS();
  con.closeSync();
  const enc = await encodeFile(f, spec);
  const direct = await balanceEncoded(enc, { ...opts, path: 'rows', backend: 'cpu' });
  expect(got.length).toBe(rows.length);
  let worst = 0;
  let keepDiff = 0;
  got.forEach((r, i) => {
    expect(Number(r.rid)).toBe(i);
    worst = Math.max(worst, Math.abs(Number(r.q) - direct.q[i]));
    keepDiff += Number(r.keep !== (direct.keep[i] === 1));
  });
  expect(worst).toBeLessThan(1e-6);
  expect(keepDiff).toBe(0);
});
