// Decoders (packages/sdk/src/clip/image) against PIL: fixtures and PIL's pixels from scripts/make-image-fixtures.py
// (`ImageOps.exif_transpose(Image.open(f)).convert('RGB')`). Tolerances per case in the manifest: 0 for PNG (same
// bytes as PIL), a few levels for JPEG (jpeg-js vs libjpeg-turbo IDCT), more for 4:2:0 chroma upsampling.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  applyOrientation,
  decodeBytes,
  decodeImage,
  DataError,
  exifOrientation,
  sniffImageFormat,
} from '../../src/node.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
  cases: { file: string; width: number; height: number; tolerance: number; note: string }[];
};

describe('image decoders vs PIL', () => {
  for (const c of manifest.cases) {
    it(`${c.file}: ${c.note} (max |Δ| ≤ ${c.tolerance})`, async () => {
      const img = await decodeImage(join(dir, c.file), c.file);
      expect([img.width, img.height]).toEqual([c.width, c.height]);
      const want = readFileSync(join(dir, c.file + '.rgb'));
      let max = 0;
      let sum = 0;
      for (let i = 0; i < c.width * c.height; i++)
        for (let ch = 0; ch < 3; ch++) {
          const d = Math.abs(img.data[4 * i + ch]! - want[3 * i + ch]!);
          max = Math.max(max, d);
          sum += d;
        }
      expect(max, `mean |Δ| ${(sum / (3 * c.width * c.height)).toFixed(3)}`).toBeLessThanOrEqual(c.tolerance);
    });
  }

  it('orientation: the tag is read from JPEG APP1 and PNG eXIf, and the 8 transforms are distinct', () => {
    for (let o = 1; o <= 8; o++) expect(exifOrientation(readFileSync(join(dir, `orient${o}.jpg`)), 'jpeg')).toBe(o);
    expect(exifOrientation(readFileSync(join(dir, 'orient6.png')), 'png')).toBe(6);
    expect(exifOrientation(readFileSync(join(dir, 'rgb8.png')), 'png')).toBe(1);
    const img = { width: 3, height: 2, data: new Uint8Array(24).map((_, i) => (i % 4 === 0 ? i / 4 : 0)) };
    const seen = new Set<string>();
    for (let o = 1; o <= 8; o++) {
      const r = applyOrientation(img, o);
      expect(r.width * r.height).toBe(6);
      seen.add(`${r.width}x${r.height}:${[...r.data].filter((_, i) => i % 4 === 0).join(',')}`);
    }
    expect(seen.size).toBe(8);
  });

  it('formats are sniffed from the bytes, not the name', () => {
    expect(sniffImageFormat(readFileSync(join(dir, 'rgb8.png')))).toBe('png');
    expect(sniffImageFormat(readFileSync(join(dir, 'rgb444.jpg')))).toBe('jpeg');
    expect(sniffImageFormat(readFileSync(join(dir, 'rgb.webp')))).toBe('webp');
    expect(sniffImageFormat(readFileSync(join(dir, 'rgb.gif')))).toBe('gif');
    expect(sniffImageFormat(readFileSync(join(dir, 'notanimage.png')))).toBe('unknown');
  });

  it('refusals name the file and the reason', async () => {
    const bad: [string, RegExp][] = [
      ['truncated.png', /truncated\.png: cannot decode this PNG/],
      ['truncated.jpg', /truncated\.jpg: cannot decode this JPEG/],
      ['notanimage.png', /notanimage\.png: not a PNG, JPEG or WebP image/],
      ['rgb.webp', /rgb\.webp: WEBP images are decoded only where the platform decodes them/],
      ['rgb.gif', /rgb\.gif: GIF images are decoded only where the platform/],
      ['missing.png', /missing\.png: image file not found/],
    ];
    for (const [f, re] of bad) {
      const e = await decodeImage(join(dir, f), f).catch((x: unknown) => x);
      expect(e, f).toBeInstanceOf(DataError);
      expect(String((e as Error).message), f).toMatch(re);
    }
    await expect(decodeBytes(new Uint8Array(0), 'empty')).rejects.toThrow(/empty: not a PNG/);
  });

  it('bytes, ArrayBuffer, Blob and RGBA inputs decode alike', async () => {
    const bytes = readFileSync(join(dir, 'rgb8.png'));
    const a = await decodeImage(new Uint8Array(bytes), 'a');
    const b = await decodeImage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), 'b');
    const c = await decodeImage(new Blob([bytes]), 'c');
    const d = await decodeImage(a, 'd');
    for (const x of [b, c, d]) expect(x.data).toEqual(a.data);
    await expect(decodeImage({ width: 2, height: 2, data: new Uint8Array(3) }, 'px')).rejects.toThrow(/px: RGBA/);
  });
});
