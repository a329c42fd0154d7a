// `--engine auto` (the default): DuckDB for globs and large CSV/TSV/Parquet files on the pattern path when
// @duckdb/node-api is installed, the built-in readers otherwise — the same q and keep bytes either way.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-cli-engine-'));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
  });
const always = { M4KIT_AUTO_DUCKDB_MIN_BYTES: '0' };

test('auto on the bundled survey: DuckDB (size threshold 0) writes the bytes of the js engine', () => {
  const a = run(['balance', '-o', join(dir, 'auto.csv'), '-r', join(dir, 'auto.json')], always);
  expect(a.status, a.stderr).toBe(0);
  const b = run(['balance', '--engine', 'js', '-o', join(dir, 'js.csv'), '-r', join(dir, 'js.json')]);
  expect(b.status, b.stderr).toBe(0);
  expect(JSON.parse(readFileSync(join(dir, 'auto.json'), 'utf8')).options.backend).toMatch(/^duckdb/);
  expect(JSON.parse(readFileSync(join(dir, 'js.json'), 'utf8')).options.backend).toBe('cpu');
  expect(readFileSync(join(dir, 'auto.csv'), 'utf8')).toBe(readFileSync(join(dir, 'js.csv'), 'utf8'));
});

test('auto keeps the built-in readers for small files and off the pattern path', () => {
  const f = join(dir, 'd.csv');
  writeFileSync(
    f,
    'id,sex,job,u\n1,man,doctor,0.1\n2,man,doctor,0\n3,man,clerk,0\n4,woman,nurse,0\n5,woman,doctor,0\n',
  );
  const small = run(['balance', f, '-a', 'sex', '-l', 'job', '--eta', 'auto', '--json']);
  expect(small.status, small.stderr).toBe(0);
  expect(JSON.parse(small.stdout).options.backend).toBe('cpu');
  const big = run(['balance', f, '-a', 'sex', '-l', 'job', '--eta', 'auto', '--json', '--id', 'id'], always);
  expect(JSON.parse(big.stdout).options.backend).toMatch(/^duckdb/);
  const util = run(['balance', f, '-a', 'sex', '-l', 'job', '--eta', 'auto', '--json', '--utility', 'u'], always);
  expect(util.status, util.stderr).toBe(0);
  expect(JSON.parse(util.stdout).options.path).toBe('rows');
  expect(JSON.parse(util.stdout).options.backend).not.toMatch(/duckdb/);
  const sql = run(['balance', f, '-a', 'sex', '-l', 'job', '--emit-sql', 'duckdb'], always);
  expect(sql.status, sql.stderr).toBe(0);
  expect(sql.stdout).toMatch(/GROUP BY/);
});

test('auto asks the table-format registry (was: its own regex): .csv.gz, .tsv and .pq go to DuckDB, same bytes', async () => {
  const survey = join(dirname(bin), '../data/kernlab-income.csv');
  const text = readFileSync(survey, 'utf8');
  writeFileSync(join(dir, 'k.csv.gz'), gzipSync(text));
  writeFileSync(join(dir, 'k.tsv'), text.replaceAll(',', '\t')); // the survey has no quoted commas
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(
    `COPY (SELECT * FROM read_csv('${survey}', all_varchar = true)) TO '${join(dir, 'k.pq')}' (FORMAT parquet)`,
  );
  con.closeSync();
  db.closeSync();
  const args = ['-a', 'SEX', '-l', 'OCCUPATION', '--missing', 'drop', '--eta', 'auto'];
  for (const f of ['k.csv.gz', 'k.tsv', 'k.pq']) {
    const a = run(['balance', f, ...args, '-o', `${f}.auto.csv`, '-r', `${f}.json`], always);
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, `${f}.json`), 'utf8')).options.backend, f).toMatch(/^duckdb/);
    const b = run(['balance', f, ...args, '--engine', 'js', '-o', `${f}.js.csv`]);
    expect(b.status, b.stderr).toBe(0);
    expect(readFileSync(join(dir, `${f}.auto.csv`), 'utf8'), f).toBe(readFileSync(join(dir, `${f}.js.csv`), 'utf8'));
  }
  // JSON stays with the built-in readers (the registry's duckdb.auto is false for it)
  writeFileSync(join(dir, 'k.jsonl'), '{"sex":"F","job":"a"}\n{"sex":"M","job":"b"}\n{"sex":"F","job":"b"}\n');
  const j = run(['balance', 'k.jsonl', '-a', 'sex', '-l', 'job', '--eta', 'auto', '--json'], always);
  expect(j.status, j.stderr).toBe(0);
  expect(JSON.parse(j.stdout).options.backend).toBe('cpu');
}, 120_000);
