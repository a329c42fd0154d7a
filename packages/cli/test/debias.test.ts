// m4kit debias: the three methods end to end on small files; config errors exit 2 before any GPU work.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-debias-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, 'debias', ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
const json = (name: string, rows: number[][]) => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(rows));
  return f;
};
function rows(n: number, d: number, seed: number, f?: (i: number, r: number[]) => void): number[][] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  return Array.from({ length: n }, (_, i) => {
    const r = Array.from({ length: d }, rnd);
    f?.(i, r);
    return r;
  });
}
const readNpyShape = (f: string) =>
  /'shape': \((\d+), (\d+)\)/.exec(readFileSync(f).subarray(0, 128).toString('latin1'))!.slice(1).map(Number);

test('--help lists the methods with examples', () => {
  const r = run(['--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/ba \| clip-clip \| biased-prompts/);
  expect(r.stdout).toMatch(/Examples:/);
});

test('biased-prompts: §4.6 vector through files', () => {
  const sp = json('sp.json', [
    [1, 0, 0.3, 0],
    [-1, 0, 0.3, 0],
  ]);
  const cand = json('cand.json', [
    [0.6, 0.5, 0.2, 0.6],
    [-0.4, 0.5, 0.2, 0.7],
    [0.5, -0.3, 0.1, 0.8],
    [-0.6, -0.2, 0.1, 0.8],
  ]);
  const q = json('q.json', [[0.2, 0.5, 0.1, 0.8]]);
  const out = join(dir, 'q.debiased.npy');
  const r = run([
    '--method',
    'biased-prompts',
    '--spurious',
    sp,
    '--candidates',
    cand,
    '--pairs',
    '0:1,2:3',
    '--texts',
    q,
    '-o',
    out,
    '--json',
  ]);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ method: 'biased-prompts', removedRank: 2, pairs: 2 });
  const buf = readFileSync(out);
  const v = new Float32Array(buf.buffer.slice(buf.byteOffset + buf.length - 16, buf.byteOffset + buf.length));
  const want = [0, 0.84604505, 0, 0.53311141];
  for (let i = 0; i < 4; i++) expect(Math.abs(v[i] - want[i])).toBeLessThan(1e-6);
});

test('clip-clip: §4.8 vector through files, applied to other embeddings', () => {
  const X = json('x.json', [
    [0.1, 0.5, 0.3],
    [0.2, 0.1, 0.32],
    [0.9, 0.4, 0.29],
    [1.0, 0.2, 0.31],
    [0.15, 0.3, 0.3],
    [0.95, 0.6, 0.33],
    [0.12, 0.55, 0.28],
    [0.88, 0.15, 0.3],
  ]);
  const meta = join(dir, 'meta.csv');
  writeFileSync(meta, 'g\na\na\nb\nb\na\nb\na\nb\n');
  const keep = join(dir, 'keep.json');
  const emb = join(dir, 'clipped.npy');
  const r = run([
    '--method',
    'clip-clip',
    '--images',
    X,
    '--labels',
    meta,
    '--attribute',
    'g',
    '--m',
    '2',
    '--k',
    '2',
    '-o',
    keep,
    '--apply',
    X,
    '--out-embeddings',
    emb,
  ]);
  expect(r.status, r.stderr).toBe(0);
  const k = JSON.parse(readFileSync(keep, 'utf8'));
  expect(k.keep).toEqual([1, 2]);
  expect(Math.abs(k.mi[0] - 0.94832387)).toBeLessThan(1e-8);
  expect(readNpyShape(emb)).toEqual([8, 2]);
});

test('ba: trains on the cpu backend, saves the module, applies it', () => {
  const img = json(
    'img.json',
    rows(24, 6, 1, (i, r) => (r[0] += i % 2 ? 1 : -1)),
  );
  const cap = json(
    'cap.json',
    rows(24, 6, 2, (i, r) => (r[0] += i % 2 ? 1 : -1)),
  );
  const cf = json(
    'cf.json',
    rows(24, 6, 3, (i, r) => (r[0] -= i % 2 ? 1 : -1)),
  );
  const mod = join(dir, 'ba.safetensors');
  const r = run([
    '--method',
    'ba',
    '--images',
    img,
    '--texts',
    cap,
    '--counterfactual',
    cf,
    '--epochs',
    '2',
    '--batch-size',
    '8',
    '--queue-size',
    '16',
    '--hidden1',
    '8',
    '--hidden2',
    '8',
    '--backend',
    'cpu',
    '-o',
    mod,
    '--json',
  ]);
  expect(r.status, r.stderr).toBe(0);
  const rep = JSON.parse(r.stdout);
  expect(rep.epochs).toBe(2);
  expect(rep.history).toHaveLength(2);
  expect(existsSync(join(dir, 'ba.json'))).toBe(true);
  const out = join(dir, 'img.debiased.npy');
  const a = run(['--method', 'ba', '--module', mod, '--apply', img, '--out-embeddings', out]);
  expect(a.status, a.stderr).toBe(0);
  expect(readNpyShape(out)).toEqual([24, 6]);
});

test('ba: --counterfactual a,b,c — each row redraws its counterfactual every epoch, seeded (#14)', () => {
  const img = json(
    'k_img.json',
    rows(24, 6, 1, (i, r) => (r[0] += i % 2 ? 1 : -1)),
  );
  const cf = (k: number) =>
    json(
      `k_cf${k}.json`,
      rows(24, 6, 3 + k, (i, r) => (r[0] -= i % 2 ? 1 : -1)),
    );
  const sets = [cf(0), cf(1), cf(2)];
  const train = (files: string[], out: string) =>
    run([
      ...['--method', 'ba', '--images', img, '--texts', img, '--counterfactual', files.join(',')],
      ...['--epochs', '3', '--batch-size', '8', '--queue-size', '16', '--hidden1', '8', '--hidden2', '8'],
      ...['--backend', 'cpu', '--seed', '4', '-o', join(dir, out), '--json'],
    ]);
  const a = train(sets, 'k_a.safetensors');
  expect(a.status, a.stderr).toBe(0);
  const ra = JSON.parse(a.stdout);
  expect(ra.counterfactualSets).toBe(3);
  const b = train(sets, 'k_b.safetensors');
  expect(JSON.parse(b.stdout).history).toEqual(ra.history); // seeded: the same draws, the same losses
  const one = train([sets[0]], 'k_c.safetensors');
  expect(JSON.parse(one.stdout).counterfactualSets).toBe(1);
  expect(JSON.parse(one.stdout).history).not.toEqual(ra.history);
  const short = json('k_short.json', rows(23, 6, 9));
  const bad = train([sets[0], short], 'k_d.safetensors');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/counterfactual caption set 2 is 23 × 6, the images 24 × 6/);
  const empty = train([sets[0], ''], 'k_e.safetensors');
  expect(empty.status).toBe(2);
  expect(empty.stderr).toMatch(/--counterfactual ".*,": an empty file name in the list/);
});

test('config errors exit 2 with a clear message before any GPU work', () => {
  const img = json('e_img.json', rows(6, 4, 1));
  const cap3 = json('e_cap3.json', rows(6, 3, 2));
  const empty = json('e_empty.json', []);
  const bad = (args: string[], msg: RegExp) => {
    const r = run([...args, '--backend', 'webgpu']);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(msg);
  };
  bad(['--method', 'lasso'], /unknown method "lasso" \(choose ba, clip-clip, biased-prompts\)/);
  bad(
    ['--method', 'ba', '--images', img, '--texts', cap3, '--counterfactual', img, '-o', 'x.safetensors'],
    /dimensions differ: images 4, captions 3/,
  );
  bad(
    ['--method', 'ba', '--images', empty, '--texts', img, '--counterfactual', img, '-o', 'x.safetensors'],
    /images are empty/,
  );
  bad(
    ['--method', 'ba', '--images', img, '--texts', img, '--counterfactual', img, '--alpha', '3', '-o', 'x.safetensors'],
    /alpha must be in \[0, 1\]/,
  );
  bad(['--method', 'ba', '--images', img, '--texts', img], /needs --counterfactual/);
  bad(
    ['--method', 'clip-clip', '--images', empty, '--labels', 'm.csv', '--attribute', 'g', '--m', '2'],
    /no rows \(empty data\)/,
  );
  bad(['--method', 'biased-prompts', '--spurious', cap3, '--texts', img], /dimension 4/);
  expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
});
