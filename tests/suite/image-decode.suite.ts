// Image decoding on every runtime (packages/sdk/src/clip/image): PNG (fast-png) and JPEG (jpeg-js in Node and Deno,
// the platform's createImageBitmap + OffscreenCanvas in browsers) against PIL's pixels (scripts/make-image-fixtures.py,
// `ImageOps.exif_transpose(Image.open(f)).convert('RGB')`), EXIF orientation, CMYK, 16-bit; WebP decoded where the
// platform does (browsers) and refused by name elsewhere. Tolerance in levels per case (the manifest's: 0 for PNG, 2-3
// for JPEG IDCT differences, 12 for 4:2:0 chroma upsampling with jpeg-js; the browser's libjpeg-turbo is PIL's decoder).
import { DataError, decodeBytes, decodeImage, platformDecodes } from '@m4kit/sdk';
import { assert, assertRejects, Suite, type Env } from './harness.js';
import { DECODE_VECTORS } from './image-decode-vectors.js';

function b64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function imageDecodeSuite(env: Env): Suite {
  const s = new Suite(`imageDecode[${env.runtime}]`);
  const platform = platformDecodes();
  s.test(`PNG / JPEG / WebP vs PIL (${platform ? 'platform JPEG + WebP' : 'jpeg-js; WebP refused'})`, async () => {
    for (const v of DECODE_VECTORS) {
      const bytes = b64(v.bytes);
      const webp = v.file.endsWith('.webp');
      if (webp && !platform) {
        await assertRejects(
          () => decodeBytes(bytes, v.file),
          DataError,
          /rgb\.webp: WEBP images are decoded only/,
          'webp',
        );
        continue;
      }
      for (const decoder of platform && !v.file.endsWith('.png') && !webp
        ? (['auto', 'js'] as const)
        : (['auto'] as const)) {
        const img = await decodeBytes(bytes, v.file, { decoder });
        assert(img.width === v.width && img.height === v.height, `${v.file}: ${img.width}×${img.height}`);
        const want = b64(v.rgb);
        let max = 0;
        for (let i = 0; i < v.width * v.height; i++)
          for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(img.data[4 * i + c]! - want[3 * i + c]!));
        // the browser's JPEG decoder is libjpeg-turbo, PIL's: a level for rounding (CMYK: the same formula, 2)
        const tol = decoder === 'auto' && platform && !v.file.endsWith('.png') ? 2 : v.tolerance;
        assert(max <= tol, `${v.file} (${v.note}, decoder ${decoder}): max |Δ| ${max} levels > ${tol}`);
      }
    }
  });
  s.test(
    'Blob inputs, and ImageBitmap inputs where the platform decodes: the same pixels as PIL for an opaque PNG',
    async () => {
      const v = DECODE_VECTORS.find((x) => x.file === 'rgb8.png')!;
      const blob = new Blob([b64(v.bytes) as Uint8Array<ArrayBuffer>], { type: 'image/png' });
      const fromBlob = await decodeImage(blob, 'blob');
      const want = b64(v.rgb);
      for (let i = 0; i < v.width * v.height * 3; i++)
        assert(fromBlob.data[4 * Math.floor(i / 3) + (i % 3)] === want[i], `Blob: byte ${i}`);
      if (!platform) return;
      const bmp = await createImageBitmap(blob);
      const img = await decodeImage(bmp, 'bitmap');
      assert(img.width === v.width && img.height === v.height, `bitmap ${img.width}×${img.height}`);
      let max = 0;
      for (let i = 0; i < v.width * v.height; i++)
        for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(img.data[4 * i + c]! - want[3 * i + c]!));
      assert(max === 0, `ImageBitmap: max |Δ| ${max} levels from PIL`);
    },
  );
  s.test('an undecodable or unknown file is a DataError naming it', async () => {
    const png = b64(DECODE_VECTORS[0]!.bytes);
    await assertRejects(
      () => decodeBytes(png.subarray(0, 60), 'half.png'),
      DataError,
      /half\.png: cannot decode/,
      'png',
    );
    await assertRejects(
      () => decodeBytes(new TextEncoder().encode('hello'), 'a.txt'),
      DataError,
      /a\.txt: not a PNG, JPEG or WebP image/,
      'text',
    );
  });
  return s;
}
