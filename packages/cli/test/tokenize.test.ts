// m4kit tokenize: ids equal to the Python SimpleTokenizer port's (tests/fixtures/clip-tiny/<model>.json), int32 and
// int64 .npy, truncation reported, bad inputs named with exit 2, an output that would replace an input refused.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '../../..');
const bin = join(here, '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-tok-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });

/** a tiny .npy reader for the integer arrays the command writes */
function readNpy(file: string): { descr: string; shape: number[]; data: number[] } {
  const b = readFileSync(file);
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  const body = b.subarray(10 + hlen);
  const n = shape.reduce((a, c) => a * c, 1);
  const data = Array.from({ length: n }, (_, i) =>
    descr === '<i8' ? Number(body.readBigInt64LE(8 * i)) : body.readInt32LE(4 * i),
  );
  return { descr, shape, data };
}

for (const model of ['gelu', 'hf-tokenizer']) {
  test(`${model}: ids as the Python tokenizer's, int32 and int64; a CRLF file with a BOM`, () => {
    const vec = JSON.parse(readFileSync(join(ROOT, `tests/fixtures/clip-tiny/${model}.json`), 'utf8'));
    const texts = join(dir, `${model}.txt`);
    writeFileSync(texts, '\ufeff' + vec.text.texts.join('\r\n') + '\r\n');
    for (const dtype of ['int32', 'int64']) {
      const out = join(dir, `${model}-${dtype}.npy`);
      const r = run(['tokenize', '--model', join(ROOT, vec.model), '--texts', texts, '--out', out, '--dtype', dtype]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `${vec.text.texts.length} texts → .*\\(${vec.text.texts.length} × ${vec.text.contextLength}, ${dtype}`,
        ),
      );
      const a = readNpy(out);
      expect(a.descr).toBe(dtype === 'int64' ? '<i8' : '<i4');
      expect(a.shape).toEqual([vec.text.texts.length, vec.text.contextLength]);
      expect(a.data).toEqual(vec.text.ids.flat());
    }
  });
}

test('truncation is reported on stderr with the line numbers', () => {
  const texts = join(dir, 'long.txt');
  writeFileSync(texts, `short\n${'a long caption '.repeat(30)}\n`);
  const r = run(['tokenize', '--model', join(ROOT, 'data/clip-tiny/gelu'), '--texts', texts, '-o', join(dir, 'l.npy')]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/1 text\(s\) longer than 16 tokens were truncated \(end token kept\): line 2/);
});

test('bad inputs: exit 2 naming the file; the output never replaces an input', () => {
  const texts = join(dir, 'ok.txt');
  writeFileSync(texts, 'a photo\n');
  const model = join(dir, 'model');
  mkdirSync(model);
  for (const f of readdirSync(join(ROOT, 'data/clip-tiny/gelu')))
    copyFileSync(join(ROOT, 'data/clip-tiny/gelu', f), join(model, f));
  let r = run(['tokenize', '--model', model, '--texts', texts, '--out', join(model, 'open_clip_config.json')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--out .*open_clip_config\.json is also the input --model \(open_clip_config\.json\)/);
  r = run(['tokenize', '--model', model, '--texts', texts, '--out', texts]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/is also the input --texts/);
  r = run(['tokenize', '--model', join(dir, 'nope'), '--texts', texts, '--out', join(dir, 'x.npy')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/nope: model folder not found/);
  const latin1 = join(dir, 'latin1.txt');
  writeFileSync(latin1, Buffer.from('ok\ncaf\xe9\n', 'latin1'));
  r = run(['tokenize', '--model', model, '--texts', latin1, '--out', join(dir, 'y.npy')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/latin1\.txt, line 2: not UTF-8/);
  expect(existsSync(join(dir, 'y.npy'))).toBe(false);
  r = run(['tokenize', '--model', model, '--texts', texts, '--out', join(dir, 'z.npy'), '--dtype', 'float32']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--dtype.*int32, int64/);
});
