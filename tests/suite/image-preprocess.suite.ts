// open_clip's image preprocessing (packages/kernels/src/ops/image-preprocess): resize (PIL bicubic / bilinear,
// antialiased when shrinking) + centre crop / pad + /255 + mean/std → [n, 3, S, S].
// Against PIL + torchvision (vectors from scripts/make-preprocess-vectors.py): the 8-bit crop must be byte-exact
// (tolerance 0 levels) on both backends; normalised values within 2e-6 of float64 (f32 division). Against the float64
// reference: random sizes (1×1 to 90 px, S 1 to 40), every mode, mixed sizes in one call, misaligned buffers.
import {
  ArgumentError,
  init,
  ShapeError,
  type InitOptions,
  type Kernels,
  type PreprocessImage,
  type PreprocessOptions,
  type ResizeMode,
} from '@m4kit/kernels';
import { imagePreprocessRef, resizeCropRef } from '@m4kit/kernels/advanced';
import { assert, assertClose, assertRejects, rng, Suite, type Env } from './harness.js';
import { PREPROCESS_VECTORS } from './image-preprocess-vectors.js';

const MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const STD = [0.26862954, 0.26130258, 0.27577711] as const;
/** f32 division and subtraction of values ≤ ~2.2 in magnitude: a few ulps */
const F32 = { rel: 0, abs: 2e-6 };

function b64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function rgbToRgba(rgb: Uint8Array, w: number, h: number): PreprocessImage {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    data.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    data[4 * i + 3] = (i * 37) & 255; // alpha is ignored
  }
  return { width: w, height: h, data };
}

function randomImage(r: () => number, w: number, h: number, smooth: boolean): PreprocessImage {
  const data = new Uint8Array(w * h * 4);
  const ph = [r() * 6, r() * 6, r() * 6];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 4; c++) {
        const v = smooth ? 128 + 120 * Math.sin(x / 9 + ph[c % 3]!) * Math.cos(y / 7 - ph[c % 3]!) : r() * 256;
        data[4 * (y * w + x) + c] = Math.max(0, Math.min(255, Math.floor(v)));
      }
  return { width: w, height: h, data };
}

/** The bytes back from normalised values (exact inverse up to f32 rounding). */
function toBytes(v: ArrayLike<number>, S: number, n: number): Uint8Array {
  const out = new Uint8Array(n * S * S * 3);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++)
      for (let q = 0; q < S * S; q++)
        out[(i * S * S + q) * 3 + c] = Math.round((v[(i * 3 + c) * S * S + q]! * STD[c]! + MEAN[c]!) * 255);
  return out;
}

export function imagePreprocessSuite(env: Env): Suite {
  const s = new Suite(`imagePreprocess[${env.runtime}]`);
  const contexts = new Map<string, Promise<Kernels>>();
  const get = (opts: InitOptions = {}): Promise<Kernels> => {
    const key = JSON.stringify(opts);
    if (!contexts.has(key)) contexts.set(key, init({ backend: 'webgpu', ...opts }));
    return contexts.get(key)!;
  };
  const backends = async () => [await get(), await init({ backend: 'cpu' })];

  s.test('PIL + torchvision vectors: byte-exact crops (0 levels), normalised within 2e-6, both backends', async () => {
    for (const k of await backends()) {
      for (const v of PREPROCESS_VECTORS) {
        const img = rgbToRgba(b64(v.rgb), v.width, v.height);
        const opts: PreprocessOptions = {
          size: v.size,
          mean: MEAN,
          std: STD,
          resizeMode: v.resizeMode,
          interpolation: v.interpolation,
        };
        const label = `${k.backend} ${v.note} (${v.width}×${v.height} → ${v.size}, ${v.resizeMode}, ${v.interpolation})`;
        const want = b64(v.want);
        const ref = resizeCropRef(img, { interpolation: 'bicubic', resizeMode: 'shortest', ...opts });
        let diff = 0;
        for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(ref[i]! - want[i]!));
        assert(diff === 0, `${label}: reference differs from PIL by up to ${diff} levels`);
        const t = k.imagePreprocess([img], opts);
        assert(t.shape.join() === `1,3,${v.size},${v.size}`, `${label}: shape [${t.shape}]`);
        const got = await t.read();
        t.dispose();
        const bytes = toBytes(got, v.size, 1);
        for (let i = 0; i < want.length; i++)
          assert(bytes[i] === want[i], `${label}: byte ${i}: got ${bytes[i]}, PIL ${want[i]}`);
        assertClose(got, imagePreprocessRef([img], opts), k.backend === 'cpu' ? { rel: 0, abs: 1e-12 } : F32, label);
      }
    }
  });

  s.test('random sizes, modes and interpolations, mixed sizes in one call: WebGPU = float64 reference', async () => {
    const k = await get();
    const r = rng(2323);
    const modes: ResizeMode[] = ['shortest', 'longest', 'squash'];
    for (let trial = 0; trial < 12; trial++) {
      const S = 1 + Math.floor(r() * 40);
      const opts: PreprocessOptions = {
        size: S,
        mean: [r(), r(), r()],
        std: [0.1 + r(), 0.1 + r(), 0.1 + r()],
        resizeMode: modes[trial % 3]!,
        interpolation: trial % 4 === 3 ? 'bilinear' : 'bicubic',
      };
      const n = 1 + Math.floor(r() * 4);
      const imgs = Array.from({ length: n }, () =>
        randomImage(r, 1 + Math.floor(r() * 90), 1 + Math.floor(r() * 90), r() < 0.5),
      );
      const t = k.imagePreprocess(imgs, opts);
      const label = `trial ${trial}: S=${S} ${opts.resizeMode} ${opts.interpolation} sizes ${imgs.map((m) => `${m.width}×${m.height}`)}`;
      // normalised values are up to 1/(255·0.1) per level apart; f32 error relative to |x| ≤ 10
      assertClose(await t.read(), imagePreprocessRef(imgs, opts), { rel: 0, abs: 1e-5 }, label);
      t.dispose();
    }
  });

  s.test('1×1 images, extreme contrast (clipping of bicubic overshoot), misaligned pixel bytes', async () => {
    const k = await get();
    const opts: PreprocessOptions = { size: 5, mean: MEAN, std: STD };
    const one = { width: 1, height: 1, data: new Uint8Array([200, 10, 90, 255]) };
    const checker = { width: 6, height: 4, data: new Uint8Array(96).map((_, i) => (((i >> 2) + (i >> 4)) % 2) * 255) };
    const buf = new Uint8Array(1 + 96);
    buf.set(checker.data, 1);
    const misaligned = { width: 6, height: 4, data: buf.subarray(1) };
    for (const [name, img] of [
      ['1×1', one],
      ['checker', checker],
      ['misaligned', misaligned],
    ] as const) {
      const t = k.imagePreprocess([img], opts);
      assertClose(await t.read(), imagePreprocessRef([img], opts), F32, name);
      t.dispose();
    }
    const t = k.imagePreprocess([], opts);
    assert(t.shape.join() === '0,3,5,5', `empty batch: shape [${t.shape}]`);
  });

  s.test('refusals: typed errors naming the argument, before any GPU work', async () => {
    for (const k of await backends()) {
      const img = { width: 2, height: 2, data: new Uint8Array(16) };
      const base: PreprocessOptions = { size: 4, mean: MEAN, std: STD };
      const bad: [string, () => unknown, abstract new (...a: never[]) => Error, RegExp][] = [
        ['size 0', () => k.imagePreprocess([img], { ...base, size: 0 }), ArgumentError, /size must be an integer/],
        ['std 0', () => k.imagePreprocess([img], { ...base, std: [1, 0, 1] }), ArgumentError, /std must be positive/],
        [
          'mode',
          () => k.imagePreprocess([img], { ...base, resizeMode: 'fit' as ResizeMode }),
          ArgumentError,
          /unknown resizeMode "fit"/,
        ],
        [
          'short data',
          () => k.imagePreprocess([img, { width: 3, height: 1, data: new Uint8Array(9) }], base),
          ShapeError,
          /image 1 \(3×1\) needs 12 RGBA bytes, got 9/,
        ],
        [
          '0×0',
          () => k.imagePreprocess([{ width: 0, height: 3, data: new Uint8Array(0) }], base),
          ShapeError,
          /image 0 has size 0×3/,
        ],
      ];
      for (const [name, fn, cls, re] of bad) await assertRejects(fn, cls, re, `${k.backend} ${name}`);
    }
    const small = await get({ maxBindingSize: 4096 });
    const big = { width: 40, height: 40, data: new Uint8Array(6400) };
    await assertRejects(
      () => small.imagePreprocess([big], { size: 8, mean: MEAN, std: STD }),
      ShapeError,
      /image 0 \(40×40, 6400 B\) exceeds the binding limit 4096 B/,
      'over the binding limit',
    );
  });
  return s;
}
