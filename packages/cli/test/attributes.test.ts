// `-a gender,race`: crossed groups by default for categorical columns, `--marginal` for each column on its own;
// both engines write the same bytes; options that contradict or do nothing exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-cli-attrs-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });

const f = join(dir, 'people.csv');
const lines = ['gender,race,job'];
for (let i = 0; i < 120; i++)
  lines.push(`${i % 3 === 0 ? 'F' : 'M'},${i % 2 === 0 || i % 5 === 0 ? 'A' : 'B'},${i % 4 === 0 ? 'doc' : 'nurse'}`);
writeFileSync(f, lines.join('\n') + '\n');

test('-a gender,race crosses categorical columns; --engine duckdb writes the same bytes', () => {
  const js = join(dir, 'js.csv');
  const db = join(dir, 'db.csv');
  const a = run(['balance', f, '-a', 'gender,race', '-l', 'job', '--eta', 'auto', '-o', js, '--json']);
  expect(a.status, a.stderr).toBe(0);
  expect(a.stderr).toMatch(/attribute columns gender × race crossed: 4 groups gender=F & race=A/);
  const r = JSON.parse(a.stdout);
  expect(r.input.attributes).toEqual([
    'gender=F & race=A',
    'gender=F & race=B',
    'gender=M & race=A',
    'gender=M & race=B',
  ]);
  expect(r.input.combined).toEqual({ mode: 'intersection', columns: ['gender', 'race'] });
  expect(r.solver.status).toBe('optimal');
  const b = run(['balance', f, '-a', 'gender,race', '-l', 'job', '--eta', 'auto', '-o', db, '--engine', 'duckdb']);
  expect(b.status, b.stderr).toBe(0);
  expect(readFileSync(db, 'utf8')).toBe(readFileSync(js, 'utf8'));
});

test('--marginal balances each column on its own with π per column', () => {
  const pi = 'gender=F=0.5,gender=M=0.5,race=A=0.5,race=B=0.5';
  const a = run(['balance', f, '-a', 'gender,race', '-l', 'job', '--marginal', '--pi', pi, '--eta', '0.4', '--json']);
  expect(a.status, a.stderr).toBe(0);
  const r = JSON.parse(a.stdout);
  expect(r.input.attributes).toEqual(['gender=F', 'gender=M', 'race=A', 'race=B']);
  expect(r.options.pi).toEqual([0.5, 0.5, 0.5, 0.5]);
  expect(r.bias.summary.rbAfter).toBeLessThanOrEqual(0.01 + 1e-6);
});

test('--marginal with one attribute column, or against --combine, exits 2 naming the reason', () => {
  const one = run(['balance', f, '-a', 'gender', '-l', 'job', '--marginal']);
  expect(one.status).toBe(2);
  expect(one.stderr).toMatch(/combine "marginal" needs several attribute columns/);
  const both = run(['balance', f, '-a', 'gender,race', '-l', 'job', '--marginal', '--combine', 'intersection']);
  expect(both.status).toBe(2);
  expect(both.stderr).toMatch(/--marginal contradicts --combine intersection/);
  const bad = run(['balance', f, '-a', 'gender,race', '-l', 'job', '--combine', 'cross']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--combine/);
});
