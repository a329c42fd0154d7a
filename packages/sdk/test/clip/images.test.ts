// embedImageInputs (packages/sdk/src/clip/images.ts) with a stand-in vision tower (per-channel means of the
// preprocessed pixels, so every row is checkable against the float64 preprocessing reference): input order,
// every input kind, batching with prefetch, --skip-bad, progress, abort, normalisation, both backends.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, type Kernels, type Tensor } from '@m4kit/kernels';
import { imagePreprocessRef } from '@m4kit/kernels/advanced';
import { describe, expect, it } from 'vitest';
import { DataError, decodeImage, embedImageInputs } from '../../src/node.js';
import type { ClipConfig, ClipTowers } from '../../src/clip/types.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const S = 8;
const config = {
  embedDim: 4,
  quickGelu: false,
  vision: { imageSize: S, patchSize: 4, width: 8, layers: 1, heads: 1, mlpRatio: 4 },
  text: { contextLength: 8, vocabSize: 10, width: 8, heads: 1, layers: 1, mlpRatio: 4 },
  preprocess: {
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
    interpolation: 'bicubic',
    resizeMode: 'shortest',
  },
} as ClipConfig;

/** features = [mean R, mean G, mean B, 3] of the normalised pixels; counts calls and batch sizes */
function standIn(): Pick<ClipTowers, 'encodeImage'> & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    async encodeImage(px: Float32Array | Tensor, n: number) {
      calls.push(n);
      const v = px instanceof Float32Array ? px : await px.read();
      expect(v.length).toBe(n * 3 * S * S);
      const out = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let q = 0; q < S * S; q++) s += v[(i * 3 + c) * S * S + q]!;
          out[i * 4 + c] = s / (S * S);
        }
        out[i * 4 + 3] = 3;
      }
      return out;
    },
  };
}

async function expected(files: string[]): Promise<Float64Array> {
  const imgs = await Promise.all(files.map((f) => decodeImage(join(dir, f), f)));
  const px = imagePreprocessRef(imgs, { size: S, mean: config.preprocess.mean, std: config.preprocess.std });
  const out = new Float64Array(files.length * 4);
  for (let i = 0; i < files.length; i++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let q = 0; q < S * S; q++) s += px[(i * 3 + c) * S * S + q]!;
      out[i * 4 + c] = s / (S * S);
    }
    out[i * 4 + 3] = 3;
  }
  return out;
}

const FILES = ['rgb8.png', 'grey8.png', 'rgb444.jpg', 'orient6.jpg', 'palette4.png', 'rgb16.png', 'cmyk.jpg'];

describe('embedImageInputs', () => {
  for (const backend of ['webgpu', 'cpu'] as const) {
    it(`${backend}: paths in input order, batches of 3 (3+3+1), unnormalised rows = reference`, async () => {
      const k: Kernels = await init({ backend });
      const t = standIn();
      const progress: [number, number][] = [];
      const r = await embedImageInputs(
        k,
        config,
        t,
        FILES.map((f) => join(dir, f)),
        { batch: 3, normalize: false, onProgress: (d, n) => progress.push([d, n]) },
      );
      expect(t.calls).toEqual([3, 3, 1]);
      expect(progress).toEqual([
        [3, 7],
        [6, 7],
        [7, 7],
      ]);
      expect([r.n, r.d, r.rows, r.skipped]).toEqual([7, 4, [0, 1, 2, 3, 4, 5, 6], []]);
      const want = await expected(FILES);
      for (let i = 0; i < want.length; i++) expect(Math.abs(r.data[i]! - want[i]!)).toBeLessThan(2e-6);
      k.destroy();
    });
  }

  it('bytes, Blob and RGBA inputs; normalised rows have unit norm', async () => {
    const k = await init({ backend: 'cpu' });
    const bytes = readFileSync(join(dir, 'rgb8.png'));
    const rgba = await decodeImage(join(dir, 'rgb8.png'), 'x');
    const r = await embedImageInputs(k, config, standIn(), [new Uint8Array(bytes), new Blob([bytes]), rgba]);
    for (let i = 0; i < 3; i++) {
      const row = r.data.subarray(i * 4, i * 4 + 4);
      expect(Math.hypot(...row)).toBeCloseTo(1, 6);
      expect([...row]).toEqual([...r.data.subarray(0, 4)]);
    }
  });

  it('an undecodable image fails naming it; skipBad leaves it out and lists it', async () => {
    const k = await init({ backend: 'cpu' });
    const list = ['rgb8.png', 'truncated.png', 'grey8.png', 'rgb.gif'].map((f) => join(dir, f));
    await expect(embedImageInputs(k, config, standIn(), list)).rejects.toThrow(
      /truncated\.png: cannot decode this PNG/,
    );
    await expect(embedImageInputs(k, config, standIn(), list)).rejects.toBeInstanceOf(DataError);
    const r = await embedImageInputs(k, config, standIn(), list, { skipBad: true, batch: 2 });
    expect(r.rows).toEqual([0, 2]);
    expect(r.n).toBe(2);
    expect(r.skipped.map((s) => [s.index, s.label.endsWith('truncated.png') || s.label.endsWith('rgb.gif')])).toEqual([
      [1, true],
      [3, true],
    ]);
    expect(r.skipped[1]!.reason).toMatch(/GIF images are decoded only where the platform/);
  });

  it('abort stops between images; bad options are named', async () => {
    const k = await init({ backend: 'cpu' });
    const ac = new AbortController();
    const t = standIn();
    const run = embedImageInputs(
      k,
      config,
      t,
      FILES.map((f) => join(dir, f)),
      { batch: 2, onProgress: (d) => d >= 2 && ac.abort(), signal: ac.signal },
    );
    await expect(run).rejects.toThrow(/abort/i);
    expect(t.calls.length).toBeLessThanOrEqual(2);
    await expect(embedImageInputs(k, config, t, [], { batch: 0 })).rejects.toThrow(/batch/);
    const empty = await embedImageInputs(k, config, t, []);
    expect([empty.n, empty.data.length]).toEqual([0, 0]);
  });
});
