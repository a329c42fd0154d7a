import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-cli-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });

test('balance --help shows examples', () => {
  const r = run(['balance', '--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Examples:/);
  expect(r.stdout).toMatch(/--eps-assoc/);
});

test('no arguments balances the bundled survey and writes q and the report', () => {
  const r = run([]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/kernlab-income\.csv/);
  // ε bounds the kept data by default (#14): stricter than the joint form's 0.8619
  expect(r.stdout).toMatch(/largest feasible η 0\.84/);
  const rep = JSON.parse(readFileSync(join(dir, 'out/kernlab-income.report.json'), 'utf8'));
  expect(rep.input.rows).toBe(8993);
  expect(rep.bias.summary.rbAfter).toBeLessThanOrEqual(0.01 + 1e-6);
  expect(rep.bias.summary.abAfter).toBeLessThanOrEqual(0.01 + 1e-6);
  const lines = readFileSync(join(dir, 'out/kernlab-income.balanced.csv'), 'utf8').trim().split('\n');
  expect(lines[0]).toBe('row,q,keep');
  expect(lines.length).toBe(8994);
});

test('--json prints a parseable report; unknown column exits 2 naming it; infeasible exits 3 with no output', () => {
  const f = join(dir, 'd.csv');
  writeFileSync(f, 'sex,job\nman,doctor\nman,doctor\nman,clerk\nman,nurse\nwoman,nurse\nwoman,doctor\n');
  const ok = run(['balance', f, '-a', 'sex', '-l', 'job', '--eta', '0.5', '--json']);
  expect(ok.status, ok.stderr).toBe(0);
  expect(JSON.parse(ok.stdout).solver.status).toBe('optimal');
  const bad = run(['balance', f, '-a', 'gender', '-l', 'job']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/d\.csv, column "gender": unknown column "gender" \(columns: sex, job\)/);
  const out = join(dir, 'never.csv');
  const inf = run([
    'balance',
    f,
    '-a',
    'sex',
    '-l',
    'job',
    '--eta',
    '0.95',
    '--eps-rep',
    '0',
    '--eps-assoc',
    '0',
    '-o',
    out,
  ]);
  expect(inf.status).toBe(3);
  expect(inf.stdout).toMatch(/INFEASIBLE/);
  expect(existsSync(out)).toBe(false);
  const eta = run(['balance', f, '-a', 'sex', '-l', 'job', '--eta', '2']);
  expect(eta.status).toBe(2);
  expect(eta.stderr).toMatch(/eta must be in \(0, 1\], got 2/);
});

test('several categorical label columns (stops: gender; YES/NO; YES/NO; P1..P5) expand to column=value', () => {
  const f = join(dir, 'stops.csv');
  const rows = ['gender,personSearch,vehicleSearch,precinct'];
  for (let i = 0; i < 60; i++)
    rows.push(`${i % 2 ? 'F' : 'M'},${i % 3 ? 'NO' : 'YES'},${i % 4 ? 'no' : 'Yes'},P${(i % 5) + 1}`);
  writeFileSync(f, rows.join('\n') + '\n');
  const r = run(['balance', f, '-a', 'gender', '-l', 'personSearch,vehicleSearch,precinct', '--eta', 'auto', '--json']);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).input.labels).toEqual([
    'personSearch',
    'vehicleSearch',
    'precinct=P1',
    'precinct=P2',
    'precinct=P3',
    'precinct=P4',
    'precinct=P5',
  ]);
  expect(r.stderr).toMatch(/label column "precinct" read as categorical: 5 indicators precinct=P1/);
  expect(r.stderr).toMatch(/label column "personSearch" read as boolean/);
});

// #24: `m4kit <unknown-command>` printed the general help and exited 0; the usage line read
// "Usage: m4kit [options] [command] [command]"
test('unknown command exits 2 naming the closest command; the usage line names [command] once', () => {
  const typo = run(['balanse']);
  expect(typo.status).toBe(2);
  expect(typo.stderr).toMatch(/unknown command 'balanse'; did you mean 'balance'\?/);
  expect(typo.stdout).toBe('');
  const far = run(['zzzzzzzz', 'extra']);
  expect(far.status).toBe(2);
  expect(far.stderr).toMatch(/unknown command 'zzzzzzzz' \(commands: info, balance/);
  expect(far.stderr).not.toMatch(/did you mean/);
  const help = run(['--help']);
  expect(help.status).toBe(0);
  expect(help.stdout.split('\n')[0]).toBe('Usage: m4kit [options] [command]');
});

// #24: the summary said "kept 7495 of 8993 rows" beside "7490.3 of 8857 expected": the 136 rows dropped for
// missing values were counted in one and not the other
test('the summary row counts agree: kept K of N rows uses the N of the expected size (dropped rows apart)', () => {
  const f = join(dir, 'drop.csv');
  const rows = ['sex,job'];
  for (let i = 0; i < 40; i++) rows.push(`${i % 3 ? 'man' : 'woman'},${i % 5 === 4 ? '' : i % 2 ? 'doctor' : 'nurse'}`);
  writeFileSync(f, rows.join('\n') + '\n');
  const r = run([
    'balance',
    f,
    '-a',
    'sex',
    '-l',
    'job',
    '--missing',
    'drop',
    '--eta',
    '0.6',
    '-o',
    join(dir, 'd.csv'),
  ]);
  expect(r.status, r.stderr).toBe(0);
  const kept = /kept (\d+) of (\d+) rows \(seed 0\); the 8 rows dropped for missing values are not kept/.exec(r.stdout);
  const expected = /\(([\d.]+) of (\d+) expected\)/.exec(r.stdout);
  expect(kept, r.stdout).not.toBeNull();
  expect(expected, r.stdout).not.toBeNull();
  expect(kept![2]).toBe('32');
  expect(expected![2]).toBe(kept![2]);
});
