import '@m4kit/kernels/node';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readEmbeddings } from '../../src/io/embeddings.js';
import { writeTable } from '../../src/io/write.js';
import { evaluateFiles } from '../../src/pipeline/evaluate-file.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-eval-'));
function npy(path: string, rows: number[][], dtype: '<f4' | '<f8' = '<f4'): void {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad) + '\n';
  const body = dtype === '<f4' ? new Float32Array(rows.flat()) : new Float64Array(rows.flat());
  const out = new Uint8Array(10 + header.length + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(body.buffer), 10 + header.length);
  writeFileSync(path, out);
}
function safetensors(path: string, name: string, rows: number[][]): void {
  const data = new Float32Array(rows.flat());
  const h = JSON.stringify({
    [name]: { dtype: 'F32', shape: [rows.length, rows[0].length], data_offsets: [0, data.byteLength] },
  });
  const hb = new TextEncoder().encode(h);
  const out = new Uint8Array(8 + hb.length + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(new Uint8Array(data.buffer), 8 + hb.length);
  writeFileSync(path, out);
}

let seed = 9;
const r = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
// 3 classes along axes; images near their class axis; 2 prompts per class
const C = ['cat', 'dog', 'eel'];
const D = 6;
const axis = (c: number, noise: number) => Array.from({ length: D }, (_, j) => (j === c ? 1 : 0) + noise * (r() - 0.5));
const imgLabel = Array.from({ length: 90 }, (_, i) => i % 3);
const gender = Array.from({ length: 90 }, (_, i) => (i % 2 ? 'f' : 'm'));
const images = imgLabel.map((c, i) => axis(c, 0.6).map((v, j) => (j === 5 ? v + (gender[i] === 'f' ? 0.8 : -0.8) : v)));
const prompts = [0, 0, 1, 1, 2, 2].map((c) => axis(c, 0.2));
npy(join(dir, 'img.npy'), images);
safetensors(join(dir, 'prompts.safetensors'), 'text', prompts);
writeFileSync(join(dir, 'prompts.csv'), 'class\ncat\ncat\ndog\ndog\neel\neel\n');
writeFileSync(
  join(dir, 'meta.csv'),
  'label,gender\n' + imgLabel.map((c, i) => `${C[c]},${gender[i]}`).join('\n') + '\n',
);
// captions: one per image, its image's embedding + noise
const caps = images.map((v) => v.map((x) => x + 0.05 * (r() - 0.5)));

describe('m4kit eval pipeline', () => {
  test('npy, safetensors and Parquet list columns read the same matrix', async () => {
    npy(join(dir, 'caps64.npy'), caps, '<f8');
    await writeTable(join(dir, 'caps.parquet'), [{ name: 'id', data: caps.map((_, i) => i), type: 'int' }]).catch(
      () => undefined,
    );
    writeFileSync(join(dir, 'caps.jsonl'), caps.map((v, i) => JSON.stringify({ id: i, emb: v })).join('\n'));
    const a = await readEmbeddings(join(dir, 'caps64.npy'));
    const b = await readEmbeddings(join(dir, 'caps.jsonl:emb'));
    expect([a.n, a.d]).toEqual([90, D]);
    for (let i = 0; i < a.data.length; i++) expect(Math.abs(a.data[i] - b.data[i])).toBeLessThan(1e-6);
    const s = await readEmbeddings(join(dir, 'prompts.safetensors'));
    expect([s.n, s.d]).toEqual([6, D]);
  });

  test('zero-shot + bias on the GPU equal the CPU backend; HTML report is self-contained with plots', async () => {
    writeFileSync(join(dir, 'q.csv'), 'query\nfeminine\nneutral\n');
    npy(join(dir, 'q.npy'), [
      [0, 0, 0, 0, 0, 1],
      [1, 1, 1, 0, 0, 0],
    ]);
    const base = { images: join(dir, 'img.npy'), labels: join(dir, 'meta.csv') };
    const z = {
      ...base,
      texts: join(dir, 'prompts.safetensors'),
      textMeta: join(dir, 'prompts.csv'),
      task: 'zeroshot' as const,
    };
    const [zg, zc] = [await evaluateFiles({ ...z, backend: 'webgpu' }), await evaluateFiles({ ...z, backend: 'cpu' })];
    expect(zg.zeroshot!.top1).toBeCloseTo(zc.zeroshot!.top1, 9);
    expect(zg.zeroshot!.top1).toBeGreaterThan(0.8);
    expect(zg.zeroshot!.classes).toEqual(C);
    const html = join(dir, 'bias.html');
    const b = await evaluateFiles({
      ...base,
      texts: join(dir, 'q.npy'),
      textMeta: join(dir, 'q.csv'),
      attribute: 'gender',
      task: 'bias',
      k: 30,
      reportHtml: html,
      backend: 'webgpu',
    });
    expect(b.bias!.perQuery[0].query).toBe('feminine');
    expect(b.bias!.perQuery[0].maxSkew).toBeCloseTo(Math.log(2), 9); // top-30 all "f"
    expect(b.bias!.perQuery[1].maxSkew).toBeLessThan(0.3);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<svg/);
    expect(page).toMatch(/MaxSkew@30 per query/);
    expect(page).not.toMatch(/<script src=|<link /);
  });

  test('retrieval recall with captions; dimension mismatch, NaN rows and unknown labels are clear errors', async () => {
    npy(join(dir, 'caps.npy'), caps);
    writeFileSync(join(dir, 'caps.csv'), 'image\n' + caps.map((_, i) => i).join('\n') + '\n');
    const rr = await evaluateFiles({
      images: join(dir, 'img.npy'),
      texts: join(dir, 'caps.npy'),
      textMeta: join(dir, 'caps.csv'),
      task: 'retrieval',
    });
    expect(rr.retrieval!.imageToText['R@10']).toBeGreaterThan(0.9); // a fraction, like zero-shot accuracy (#14)
    expect(rr.unit).toBe('fraction');
    npy(join(dir, 'bad-d.npy'), [[1, 2, 3]]);
    await expect(
      evaluateFiles({ images: join(dir, 'img.npy'), texts: join(dir, 'bad-d.npy'), task: 'retrieval' }),
    ).rejects.toThrow(/bad-d\.npy: texts have dimension 3, images 6/);
    npy(join(dir, 'nan.npy'), [
      [1, 2],
      [3, NaN],
    ]);
    await expect(readEmbeddings(join(dir, 'nan.npy'))).rejects.toThrow(
      /nan\.npy, row 2: dimension \d+ of \d+ is (NaN|-?Infinity) \(embeddings must be finite; rows and dimensions count from 1\)/,
    );
    writeFileSync(
      join(dir, 'meta-bad.csv'),
      'label\n' + imgLabel.map((c, i) => (i === 7 ? 'yak' : C[c])).join('\n') + '\n',
    );
    await expect(
      evaluateFiles({
        images: join(dir, 'img.npy'),
        texts: join(dir, 'prompts.safetensors'),
        textMeta: join(dir, 'prompts.csv'),
        labels: join(dir, 'meta-bad.csv'),
        task: 'zeroshot',
        backend: 'cpu',
      }),
    ).rejects.toThrow(/meta-bad\.csv, row 8, column "label": unknown label "yak"/);
  });
});
