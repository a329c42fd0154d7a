// `--engine auto` (the default): DuckDB for globs and large CSV/TSV/Parquet files on the pattern path when
// @duckdb/node-api is installed, the built-in readers otherwise — the same q and keep bytes either way.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
