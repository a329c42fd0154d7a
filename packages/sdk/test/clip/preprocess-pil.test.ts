// The whole image path against open_clip's (PIL 9.4 + torchvision 0.14, scripts/make-preprocess-vectors.py) on a
// smooth 480×320 photo-like PNG: decode (fast-png) → k.imagePreprocess on WebGPU (Dawn) and on the float64 CPU
// backend → [1, 3, 224, 224]. Bar (issue #23): cosine ≥ 0.99; measured: every byte equal to PIL's (0 levels), so
// the normalised values differ only by f32 rounding (max |Δ| 1.6e-7 on Dawn/lavapipe; 0 on the CPU backend).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@m4kit/kernels';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/node.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const STD = [0.26862954, 0.26130258, 0.27577711] as const;

describe('preprocessing vs PIL + torchvision on a smooth image', () => {
  for (const backend of ['webgpu', 'cpu'] as const) {
    it(`${backend}: byte-exact (0 levels), max |Δ| < 2e-6 (measured 1.6e-7 on Dawn), cosine ≥ 0.99 (measured 1 − 1e-13)`, async () => {
      const k = await init({ backend });
      const img = await decodeImage(join(dir, 'smooth-480x320.png'), 'smooth');
      const pil = await decodeImage(join(dir, 'smooth-480x320.s224.png'), 'pil');
      expect([pil.width, pil.height]).toEqual([224, 224]);
      const t = k.imagePreprocess([img], { size: 224, mean: MEAN, std: STD });
      const got = await t.read();
      const S2 = 224 * 224;
      let dot = 0,
        ng = 0,
        nw = 0,
        maxAbs = 0,
        maxLevels = 0;
      for (let c = 0; c < 3; c++)
        for (let q = 0; q < S2; q++) {
          const want = (pil.data[4 * q + c]! / 255 - MEAN[c]) / STD[c];
          const g = got[c * S2 + q]!;
          dot += g * want;
          ng += g * g;
          nw += want * want;
          maxAbs = Math.max(maxAbs, Math.abs(g - want));
          maxLevels = Math.max(maxLevels, Math.abs(Math.round((g * STD[c] + MEAN[c]) * 255) - pil.data[4 * q + c]!));
        }
      const cos = dot / Math.sqrt(ng * nw);
      expect(maxLevels).toBe(0);
      expect(maxAbs).toBeLessThan(backend === 'cpu' ? 1e-12 : 2e-6);
      expect(cos).toBeGreaterThan(1 - 1e-9);
      k.destroy();
    });
  }
});
