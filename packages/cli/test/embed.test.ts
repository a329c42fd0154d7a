// m4kit embed with the shipped tiny model (data/clip-tiny/gelu, random weights) on the float64 CPU backend:
// rows in input order (folder sorted by name, list file in its own order), L2-normalised unless --no-normalize,
// the same numbers as the SDK, refusals before any work (exit 2, nothing written), --skip-bad with its report.
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '../dist/bin.js');
const model = join(here, '../../../data/clip-tiny/gelu');
const fixtures = join(here, '../../sdk/test/clip/fixtures');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-embed-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, 'embed', '--model', model, '--backend', 'cpu', ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });

function readNpy(p: string): { n: number; d: number; data: Float32Array } {
  const b = readFileSync(p);
  const hl = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hl).toString('latin1');
  expect(header).toMatch(/'descr': '<f4'/);
  const [, n, d] = /'shape': \((\d+), (\d+)\)/.exec(header)!;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hl, b.byteOffset + b.length));
  return { n: Number(n), d: Number(d), data };
}
const row = (e: { d: number; data: Float32Array }, i: number) => [...e.data.subarray(i * e.d, (i + 1) * e.d)];

const imgs = join(dir, 'imgs');
mkdirSync(imgs);
const NAMES = ['b-grey8.png', 'a-rgb8.png', 'c-rgb444.jpg', 'd-orient6.jpg'];
for (const n of NAMES) copyFileSync(join(fixtures, n.slice(2)), join(imgs, n));
writeFileSync(join(imgs, 'notes.txt'), 'not an image\n');

test('embed --help shows examples', () => {
  const r = spawnSync(process.execPath, [bin, 'embed', '--help'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Examples:/);
  expect(r.stdout).toMatch(/--skip-bad/);
});

test('a folder: files sorted by name, unit rows, non-images reported; a list file keeps its order', () => {
  const r = run(['--images', 'imgs', '--out', 'x.npy', '--json']);
  expect(r.status, r.stderr).toBe(0);
  const rep = JSON.parse(r.stdout);
  expect([rep.rows, rep.dim, rep.ignoredFiles, rep.skipped]).toEqual([4, 24, ['notes.txt'], []]);
  const x = readNpy(join(dir, 'x.npy'));
  expect([x.n, x.d]).toEqual([4, 24]);
  for (let i = 0; i < 4; i++) expect(Math.hypot(...row(x, i))).toBeCloseTo(1, 5);
  // list relative to its own folder, reversed order, one path with CRLF
  writeFileSync(join(imgs, 'list.txt'), 'd-orient6.jpg\r\nc-rgb444.jpg\nb-grey8.png\na-rgb8.png\n');
  const l = run(['--images', 'imgs/list.txt', '--out', 'y.npy']);
  expect(l.status, l.stderr).toBe(0);
  expect(l.stdout).toMatch(/4 images × 24 dims on cpu/);
  const y = readNpy(join(dir, 'y.npy'));
  for (let i = 0; i < 4; i++) expect(row(y, i)).toEqual(row(x, 3 - i));
  const raw = run(['--images', 'imgs', '--out', 'raw.npy', '--no-normalize']);
  expect(raw.status, raw.stderr).toBe(0);
  const z = readNpy(join(dir, 'raw.npy'));
  const norm = Math.hypot(...row(z, 0));
  expect(Math.abs(norm - 1)).toBeGreaterThan(1e-3);
  row(z, 0).forEach((v, j) => expect(v / norm).toBeCloseTo(row(x, 0)[j]!, 5));
});

test('captions: one a line, unit rows; an empty line is refused by number', () => {
  writeFileSync(join(dir, 'caps.txt'), 'a photo of a cat\na photo of a dog\n\u00e9t\u00e9 \u2014 summer\n');
  const r = run(['--texts', 'caps.txt', '--out', 't.npy', '--batch', '2']);
  expect(r.status, r.stderr).toBe(0);
  const t = readNpy(join(dir, 't.npy'));
  expect([t.n, t.d]).toEqual([3, 24]);
  expect(Math.hypot(...row(t, 2))).toBeCloseTo(1, 5);
  writeFileSync(join(dir, 'gap.txt'), 'one\n\nthree\n');
  const g = run(['--texts', 'gap.txt', '--out', 'g.npy']);
  expect(g.status).toBe(2);
  expect(g.stderr).toMatch(/gap\.txt: caption line 2 is empty/);
  expect(existsSync(join(dir, 'g.npy'))).toBe(false);
});

test('an undecodable image stops with exit 2 naming it (nothing written); --skip-bad lists it', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  copyFileSync(join(fixtures, 'rgb8.png'), join(bad, '1.png'));
  copyFileSync(join(fixtures, 'truncated.jpg'), join(bad, '2.jpg'));
  copyFileSync(join(fixtures, 'grey8.png'), join(bad, '3.png'));
  const r = run(['--images', 'bad', '--out', 'b.npy']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/2\.jpg: cannot decode this JPEG/);
  expect(existsSync(join(dir, 'b.npy'))).toBe(false);
  const s = run(['--images', 'bad', '--out', 'b.npy', '--skip-bad', '--json']);
  expect(s.status, s.stderr).toBe(0);
  const rep = JSON.parse(s.stdout);
  expect(rep.rows).toBe(2);
  expect(rep.skipped).toHaveLength(1);
  expect(rep.skipped[0].index).toBe(1);
  expect(rep.skipped[0].file).toMatch(/2\.jpg$/);
  expect(readNpy(join(dir, 'b.npy')).n).toBe(2);
});

test('usage errors before any work: exit 2, nothing written', () => {
  const cases: [string[], RegExp][] = [
    [['--images', 'imgs', '--texts', 'caps.txt', '--out', 'u.npy'], /exactly one of --images and --texts/],
    [['--out', 'u.npy'], /exactly one of --images and --texts/],
    [['--images', 'imgs', '--out', 'nodir/u.npy'], /output directory nodir does not exist/],
    [['--texts', 'caps.txt', '--out', 'caps.txt'], /also the input --texts/],
    [['--images', 'imgs', '--out', 'u.csv'], /written as \.npy/],
    [['--images', 'missing', '--out', 'u.npy'], /missing: not found/],
    [['--images', 'imgs', '--out', 'u.npy', '--batch', '0'], /--batch/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    expect(r.status, args.join(' ')).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(re);
  }
  expect(existsSync(join(dir, 'u.npy'))).toBe(false);
});

test('--backend webgpu (WGSL towers on Dawn) gives the CPU rows within 1e-4 (f32)', () => {
  const r = spawnSync(
    process.execPath,
    [
      bin,
      'embed',
      '--model',
      model,
      '--backend',
      'webgpu',
      '--precision',
      'f32',
      '--images',
      'imgs',
      '--out',
      'w.npy',
      '--json',
    ],
    { encoding: 'utf8', cwd: dir, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } },
  );
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).backend).toBe('webgpu');
  const c = run(['--images', 'imgs', '--out', 'c.npy']);
  expect(c.status, c.stderr).toBe(0);
  const w = readNpy(join(dir, 'w.npy'));
  const x = readNpy(join(dir, 'c.npy'));
  let max = 0;
  for (let i = 0; i < x.data.length; i++) max = Math.max(max, Math.abs(w.data[i]! - x.data[i]!));
  expect(max).toBeLessThan(1e-4);
});

test('Ctrl-C while embedding: exit 130, no output and no temp file left', async () => {
  const many = join(dir, 'many');
  mkdirSync(many);
  for (let i = 0; i < 6000; i++)
    linkSync(join(fixtures, 'smooth-480x320.png'), join(many, `${String(i).padStart(4, '0')}.png`));
  const child = spawn(
    process.execPath,
    [bin, 'embed', '--model', model, '--backend', 'cpu', '--images', 'many', '--out', 'sig.npy'],
    {
      cwd: dir,
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
    },
  );
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise((r) => setTimeout(r, 5000));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  expect(code, err).toBe(130);
  expect(err).toMatch(/interrupted \(SIGINT\)/);
  expect(existsSync(join(dir, 'sig.npy'))).toBe(false);
  expect(readdirSync(dir).filter((f) => f.includes('sig.npy'))).toEqual([]);
}, 60_000);
