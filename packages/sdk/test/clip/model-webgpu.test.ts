// loadClip on a WebGPU Kernels runs the WGSL towers (towers-gpu.ts): the tiny models' features against the float64
// PyTorch vectors within 1e-4 relative to the largest feature (f32 storage; the towers' own tests cover f16 and the
// three runtimes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '@m4kit/kernels';
import '@m4kit/kernels/node';
import { afterAll, describe, expect, test } from 'vitest';
import { loadClip } from '../../src/clip/node.js';

const ROOT = join(__dirname, '../../../..');
const k = await init({ backend: 'webgpu' });
afterAll(() => k.destroy());

function relErr(got: ArrayLike<number>, want: number[][]): number {
  const flat = want.flat();
  const scale = Math.max(...flat.map(Math.abs));
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(got[i] - flat[i]));
  return m / scale;
}

describe.each(['gelu', 'quickgelu-f16', 'hf-tokenizer'])('%s on WebGPU', (name) => {
  test('embedTexts / embedImages = PyTorch float64 within 1e-4', async () => {
    const vec = JSON.parse(readFileSync(join(ROOT, `tests/fixtures/clip-tiny/${name}.json`), 'utf8'));
    const clip = await loadClip(join(ROOT, vec.model), { kernels: k, precision: 'f32' });
    expect([clip.backend, clip.precision]).toEqual(['webgpu', 'f32']);
    const t = await clip.embedTexts(vec.text.texts, { normalize: false });
    expect(relErr(t.data, vec.text.features)).toBeLessThan(1e-4);
    const im = await clip.embedImages(Float32Array.from(vec.image.pixels), { normalize: false });
    expect(relErr(im.data, vec.image.features)).toBeLessThan(1e-4);
    clip.dispose();
  });
});
