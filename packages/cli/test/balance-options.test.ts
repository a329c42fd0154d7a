// Balance option refusals through the CLI: one resolver (SDK resolveBalanceOptions), flags named, exit code 2.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-cli-opts-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
const f = join(dir, 'd.csv');
writeFileSync(f, 'sex,job\nman,doctor\nman,doctor\nman,clerk\nman,nurse\nwoman,nurse\nwoman,doctor\n');
const balance = (...extra: string[]) => run(['balance', f, '-a', 'sex', '-l', 'job', '--backend', 'cpu', ...extra]);

test('pi shares that do not sum to 1 are refused (accepted --pi 0.6,0.6 and kept 8%)', () => {
  const out = join(dir, 'q.csv');
  const r = balance('--pi', '0.6,0.6', '-o', out);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--pi: the target shares sum to 1\.2, not 1/);
  expect(existsSync(out)).toBe(false);
});

test('a blank --eta is refused as blank (was: "got 0"); a non-numeric one names the text', () => {
  const blank = balance('--eta', ' ');
  expect(blank.status).toBe(2);
  expect(blank.stderr).toMatch(/--eta is blank/);
  expect(blank.stderr).not.toMatch(/got 0/);
  const abc = balance('--eps-assoc', 'abc');
  expect(abc.status).toBe(2);
  expect(abc.stderr).toMatch(/--eps-assoc must be a finite tolerance ≥ 0, got "abc" \(not a number\)/);
  const it = balance('--max-iter', '2.5');
  expect(it.status).toBe(2);
  expect(it.stderr).toMatch(/--max-iter must be an integer ≥ 1, got 2\.5/);
});

test('unknown --solver / --path / --backend / --missing values exit 2 naming the allowed values', () => {
  const cases: [string, string, RegExp][] = [
    ['--solver', 'newton', /--solver must be one of "batch", "stream", got "newton"/],
    ['--path', 'rowz', /--path must be one of "auto", "patterns", "rows", got "rowz"/],
    ['--missing', 'skip', /--missing must be one of "error", "drop", "category", got "skip"/],
  ];
  for (const [flag, v, re] of cases) {
    const r = balance(flag, v);
    expect(r.status, `${flag} ${v}`).toBe(2);
    expect(r.stderr).toMatch(re);
  }
  const b = run(['balance', f, '-a', 'sex', '-l', 'job', '--backend', 'cuda']);
  expect(b.status).toBe(2);
  expect(b.stderr).toMatch(/--backend must be one of "auto", "webgpu", "cpu", got "cuda"/);
});

test('the attribute column also given as a label is warned about on stderr and in the report (was: silent)', () => {
  const rep = join(dir, 'self.json');
  const r = run(['balance', f, '-a', 'sex', '-l', 'sex', '--backend', 'cpu', '--eta', '0.3', '-r', rep]);
  expect(r.stderr).toMatch(/m4kit: warning: column "sex" is both an attribute and a label/);
  const report = JSON.parse(readFileSync(rep, 'utf8'));
  expect(report.warnings).toHaveLength(1);
  expect(report.warnings[0]).toMatch(/column "sex" is both an attribute and a label/);
  const clean = balance('--eta', '0.3', '--json');
  expect(clean.stderr).not.toMatch(/warning/);
  expect(JSON.parse(clean.stdout).warnings).toBeUndefined();
});
