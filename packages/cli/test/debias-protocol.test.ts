// m4kit debias as the official protocol does it (issue #14 §3): BA with a validation set (evaluate every n
// epochs, keep the best ABLE, stop after `patience` evaluations without gain; zero-shot classes from debiased,
// normalised template prompts), and CLIP-clip on FairFace ages binned into the official 3 classes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { binAges } from '@m4kit/sdk/node';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-debias-proto-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, 'debias', ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
const json = (name: string, n: number, d: number, seed: number) => {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  writeFileSync(join(dir, name), JSON.stringify(Array.from({ length: n }, () => Array.from({ length: d }, rnd))));
  return name;
};
const table = (name: string, col: string, values: string[]) => (
  writeFileSync(join(dir, name), [col, ...values].join('\n') + '\n'),
  name
);
const ages = [
  '0-2',
  '3-9',
  '10-19',
  '20-29',
  '30-39',
  '40-49',
  '50-59',
  '60-69',
  'more than 70',
  '20-29',
  '30-39',
  '60-69',
];

test('binAges: FairFace ages → the official young / middle-aged / old classes, or --bins thresholds', () => {
  const b = binAges(ages);
  expect(b.classes).toEqual(['young', 'middle-aged', 'old']);
  expect(b.values.slice(0, 9)).toEqual([
    'young',
    'young',
    'young',
    'young',
    'middle-aged',
    'middle-aged',
    'middle-aged',
    'old',
    'old',
  ]);
  expect(b.members).toEqual([
    ['0-2', '3-9', '10-19', '20-29'],
    ['30-39', '40-49', '50-59'],
    ['60-69', 'more than 70'],
  ]);
  const c = binAges(['17', '18', '64', '65'], [18, 65]);
  expect(c.classes).toEqual(['<18', '18-64', '65+']);
  expect(c.values).toEqual(['<18', '18-64', '18-64', '65+']);
  expect(() => binAges(['20-29', 'adult'], undefined, { file: 'm.csv', column: 'age' })).toThrow(
    /m\.csv, row 2, column "age": age value "adult" has no number/,
  );
});

test('clip-clip --attribute age bins into the 3 official classes and says which', () => {
  const r = run([
    '--method',
    'clip-clip',
    '--images',
    json('cc.json', 12, 6, 3),
    '--labels',
    table('cc.csv', 'age', ages),
    '--attribute',
    'age',
    '--m',
    '4',
    '--json',
  ]);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).groups).toEqual(['young', 'middle-aged', 'old']);
  expect(r.stderr).toMatch(
    /--attribute age binned into 3 classes: young \(0-2, 3-9, 10-19, 20-29\); middle-aged \(30-39, 40-49, 50-59\); old \(60-69, more than 70\)/,
  );
});

test('ba --validation: evaluates every 2 epochs, keeps the best ABLE, stops after --patience evaluations without gain', () => {
  const n = 16;
  const d = 6;
  const g = Array.from({ length: n }, (_, i) => (i % 2 ? 'female' : 'male'));
  const cls = Array.from({ length: n }, (_, i) => `c${i % 3}`);
  const args = [
    '--method',
    'ba',
    '--images',
    json('i.json', n, d, 1),
    '--texts',
    json('t.json', n, d, 2),
    '--counterfactual',
    json('c.json', n, d, 3),
    '--validation',
    json('v.json', n, d, 4),
    '--validation-labels',
    table('v.csv', 'gender', g),
    '--attribute',
    'gender',
    '--bias-prompts',
    json('bp.json', 5, d, 5),
    '--zeroshot-images',
    json('z.json', n, d, 6),
    '--zeroshot-labels',
    table('z.csv', 'label', cls),
    '--zeroshot-prompts',
    json('zp.json', 6, d, 7),
    '--zeroshot-prompt-meta',
    table('zp.csv', 'class', ['c0', 'c1', 'c2', 'c0', 'c1', 'c2']),
    '--epochs',
    '40',
    '--eval-every',
    '2',
    '--patience',
    '2',
    '--batch-size',
    '8',
    '--queue-size',
    '16',
    '--hidden1',
    '4',
    '--hidden2',
    '4',
    '--backend',
    'cpu',
    '-o',
    'ba.safetensors',
    '--json',
  ];
  const r = run(args);
  expect(r.status, r.stderr).toBe(0);
  const rep = JSON.parse(r.stdout);
  expect(rep.evals.length).toBeGreaterThanOrEqual(1);
  expect(rep.evals.map((e: { epoch: number }) => e.epoch % 2)).toEqual(rep.evals.map(() => 1)); // epochs 1, 3, … (0-based): every 2nd
  const best = Math.max(...rep.evals.map((e: { able: number }) => e.able));
  expect(rep.evals.find((e: { epoch: number }) => e.epoch === rep.bestEpoch).able).toBe(best);
  // early stop: after the best evaluation at most `patience` more evaluations ran
  const after = rep.evals.filter((e: { epoch: number }) => e.epoch > rep.bestEpoch).length;
  expect(after).toBeLessThanOrEqual(2);
  if (rep.epochs < 40) expect(after).toBe(2);
  // validation flags without --validation are refused
  const bad = run([
    '--method',
    'ba',
    '--images',
    'i.json',
    '--texts',
    't.json',
    '--counterfactual',
    'c.json',
    '--patience',
    '3',
    '-o',
    'x.safetensors',
  ]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--patience need --validation <images>/);
}, 120_000);

test('ba --skew-k: k of the validation MaxSkew@k (k = all: the set’s own skew); bad k refused', () => {
  // the files of the previous test (same folder): 16 validation images, 8 male / 8 female → MaxSkew@16 = 0
  const common = ['--method', 'ba', '--images', 'i.json', '--texts', 't.json', '--counterfactual', 'c.json'];
  const validation = [
    ...['--validation', 'v.json', '--validation-labels', 'v.csv', '--attribute', 'gender'],
    ...['--bias-prompts', 'bp.json', '--zeroshot-images', 'z.json', '--zeroshot-labels', 'z.csv'],
    ...['--zeroshot-prompts', 'zp.json', '--zeroshot-prompt-meta', 'zp.csv'],
  ];
  const small = ['--epochs', '2', '--eval-every', '1', '--batch-size', '8', '--queue-size', '16'];
  const tiny = ['--hidden1', '4', '--hidden2', '4', '--backend', 'cpu', '-o', 'k.safetensors', '--json'];
  const all = run([...common, ...validation, ...small, ...tiny, '--skew-k', '16']);
  expect(all.status, all.stderr).toBe(0);
  expect(JSON.parse(all.stdout).evals.map((e: { maxSkew: number }) => e.maxSkew)).toEqual([0, 0]);
  // k = 1: the top image is one group, so MaxSkew@1 = ln(1 / ½) for every query
  const one = run([...common, ...validation, ...small, ...tiny, '--skew-k', '1']);
  expect(one.status, one.stderr).toBe(0);
  for (const e of JSON.parse(one.stdout).evals) expect(e.maxSkew).toBeCloseTo(Math.log(2), 12);
  const zero = run([...common, ...validation, ...small, ...tiny, '--skew-k', '0']);
  expect(zero.status).toBe(2);
  expect(zero.stderr).toMatch(/--skew-k must be a positive integer, got 0/);
  const alone = run([...common, ...small, ...tiny, '--skew-k', '5']);
  expect(alone.status).toBe(2);
  expect(alone.stderr).toMatch(/--skew-k need --validation <images>/);
}, 120_000);
