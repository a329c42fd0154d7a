// The float64 CPU towers against the float64 PyTorch reference of the same architecture
// (scripts/make-tiny-clip.py → tests/fixtures/clip-tiny/<model>.json): GELU / F32, QuickGELU / F16 and
// QuickGELU / BF16 with a tokenizer.json. Features within 1e-9 (absolute, values are O(1)); through loadClip /
// ClipModel (float32 out) within 1e-6, normalised rows of unit length.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '@m4kit/kernels';
import { describe, expect, test } from 'vitest';
import { clipFolder, loadClip } from '../../src/clip/node.js';
import { pickClipFiles, readClipConfig } from '../../src/clip/files.js';
import { buildReferenceTowers, erf } from '../../src/clip/reference.js';
import { openClipWeights } from '../../src/clip/weights.js';
import { transposeHost } from '../../src/clip/towers-weights.js';

const ROOT = join(__dirname, '../../../..');
const MODELS = ['gelu', 'quickgelu-f16', 'hf-tokenizer'] as const;
const vectors = (name: string) => JSON.parse(readFileSync(join(ROOT, `tests/fixtures/clip-tiny/${name}.json`), 'utf8'));

function maxDiff(got: ArrayLike<number>, want: number[][]): number {
  const flat = want.flat();
  expect(got.length).toBe(flat.length);
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(got[i] - flat[i]));
  return m;
}

test('erf (float64) against known values', () => {
  // erf(x) to 16+ digits (Abramowitz & Stegun table / mpmath)
  const known: [number, number][] = [
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.9, 0.9999589021219005],
    [3.1, 0.9999883513426328],
    [4, 0.9999999845827421],
  ];
  for (const [x, y] of known) {
    expect(Math.abs(erf(x) - y)).toBeLessThan(2e-15);
    expect(erf(-x)).toBe(-erf(x));
  }
});

describe.each(MODELS)('%s: CPU towers = PyTorch float64', (name) => {
  const vec = vectors(name);
  const dir = join(ROOT, vec.model);

  test('float64 features within 1e-9', async () => {
    const set = await clipFolder(dir);
    const files = pickClipFiles(set, true);
    const config = await readClipConfig(set, files.config);
    expect(config.quickGelu).toBe(vec.quickGelu);
    const weights = await openClipWeights(await set.open(files.weights), config, files.weights);
    expect(weights.dtype).toBe(vec.dtype);
    const ref = await buildReferenceTowers(config, weights);
    await weights.close();
    // host memory of the CPU towers' weights: matrices kept as stored (F16 / BF16 bits, not a float32 copy),
    // only the vectors widened — at most 1.3× the file (the bound), whatever the dtype
    const fileBytes = statSync(join(dir, files.weights)).size;
    expect(ref.weightBytes / fileBytes).toBeLessThanOrEqual(1.3);
    expect(ref.weightBytes / fileBytes).toBeGreaterThan(0.5);
    if (vec.dtype !== 'F32') {
      // the bound bites: a source without readStored (float32 copies) holds about twice an F16 / BF16 file
      const w2 = await openClipWeights(await set.open(files.weights), config, files.weights);
      const f32only = await buildReferenceTowers(config, { entries: w2.entries, read: (n) => w2.read(n) });
      await w2.close();
      expect(f32only.weightBytes / fileBytes).toBeGreaterThan(1.5);
    }
    const ids = Int32Array.from(vec.text.ids.flat());
    const txt = await ref.encodeText(ids, vec.text.ids.length);
    expect(maxDiff(txt, vec.text.features)).toBeLessThan(1e-9);
    const img = await ref.encodeImage(vec.image.pixels, vec.image.n);
    expect(maxDiff(img, vec.image.features)).toBeLessThan(1e-9);
  });

  test('loadClip → tokenize, embedTexts, embedImages (float32, normalised or not)', async () => {
    const k = await init({ backend: 'cpu' });
    const clip = await loadClip(dir, { kernels: k });
    expect(clip.backend).toBe('cpu');
    expect(clip.files.weights.endsWith('open_clip_model.safetensors')).toBe(true);
    const L = vec.text.contextLength;
    const ids = clip.tokenize(vec.text.texts);
    expect(
      Array.from({ length: vec.text.texts.length }, (_, i) => Array.from(ids.subarray(i * L, (i + 1) * L))),
    ).toEqual(vec.text.ids);
    const progress: number[] = [];
    const raw = await clip.embedTexts(vec.text.texts, {
      normalize: false,
      batch: 2,
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toEqual([2, 4, 5]);
    expect([raw.n, raw.d]).toEqual([vec.text.texts.length, vec.embedDim]);
    expect(maxDiff(raw.data, vec.text.features)).toBeLessThan(1e-6);
    const unit = await clip.embedTexts(vec.text.texts);
    const E = vec.embedDim;
    for (let r = 0; r < unit.n; r++) {
      const want = vec.text.features[r] as number[];
      const norm = Math.hypot(...want);
      for (let j = 0; j < E; j++) expect(unit.data[r * E + j]).toBeCloseTo(want[j] / norm, 6);
    }
    const img = await clip.embedImages(Float32Array.from(vec.image.pixels), { normalize: false });
    expect(maxDiff(img.data, vec.image.features)).toBeLessThan(1e-6);
    clip.dispose();
    expect(() => clip.tokenize(['x'])).toThrow(/disposed/);
  });
});

test('an aborted signal stops embedTexts; a WebGPU-less towers table refuses by name', async () => {
  const k = await init({ backend: 'cpu' });
  const clip = await loadClip(join(ROOT, 'data/clip-tiny/gelu'), { kernels: k });
  const ac = new AbortController();
  ac.abort();
  await expect(clip.embedTexts(['a', 'b'], { signal: ac.signal })).rejects.toThrow(/aborted after 0 of 2 inputs/);
  await expect(clip.embedTexts(['a'], { batch: 0 })).rejects.toThrow(/batch must be an integer ≥ 1/);
  await expect(clip.embedImages(new Float32Array(5))).rejects.toThrow(/n × 3 × 24 × 24/);
  await expect(loadClip(join(ROOT, 'data/clip-tiny/gelu'), { kernels: k, precision: 'f16' })).rejects.toThrow(
    /precision "f16" needs the WebGPU backend/,
  );
});

test('transposeHost: [rows, cols] → [cols, rows] exactly, on shapes that are not block multiples, empty, one row', () => {
  for (const [r, c] of [
    [0, 5],
    [1, 1],
    [1, 70],
    [33, 1],
    [45, 67],
    [64, 96],
  ]) {
    const x = Float32Array.from({ length: r * c }, (_, i) => i * 1.5 - 7);
    const y = transposeHost(x, r, c);
    expect(y.length).toBe(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) expect(y[j * r + i]).toBe(x[i * c + j]);
  }
});
