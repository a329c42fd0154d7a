// f16 storage and the f32 ↔ f16 cast (packages/kernels/src/ops/cast, runtime/half.ts).
// Moved from kernels.suite.ts (assertions unchanged). Tolerances are Burn-style, stated per test.
import { ArgumentError, init, type InitOptions, type Kernels } from '@m4kit/kernels';
import { cast, gpuContextOf } from '@m4kit/kernels/advanced';
import * as ext from '@m4kit/kernels';
import { assert, assertClose, assertEqualArrays, assertRejects, randArray, rng, Suite, type Env } from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function castSuite(env: Env): Suite {
  const s = new Suite(`cast[${env.runtime}]`);
  const contexts = new Map<string, Promise<Kernels>>();
  const get = (opts: InitOptions = {}): Promise<Kernels> => {
    const key = JSON.stringify(opts);
    if (!contexts.has(key)) contexts.set(key, init({ backend: 'webgpu', ...opts }));
    return contexts.get(key)!;
  };
  const main = () => get();
  const chunked = () => get({ maxBindingSize: CHUNK_CAP });
  void main;
  void chunked;

  // ---------------------------------------------------------------- f16 storage + cast
  s.test(
    'f16 tensors: upload/read round to nearest even (saturating), cast f32↔f16 vs float64, chunked; or a typed error without shader-f16',
    async () => {
      const r = rng(55);
      // host conversion: exact binary16 cases (ties to even, subnormals, saturation)
      const cases: [number, number][] = [
        [1, 0x3c00],
        [1 + 2 ** -11, 0x3c00],
        [1 + 3 * 2 ** -11, 0x3c02],
        [65504, 0x7bff],
        [1e6, 0x7bff],
        [-1e6, 0xfbff],
        [2 ** -24, 0x0001],
        [2 ** -25, 0x0000],
        [3 * 2 ** -26, 0x0001],
        [-0, 0x8000],
        [2 ** -14, 0x0400],
      ];
      for (const [x, bits] of cases)
        assert(
          ext.f32ToF16Bits(x) === bits,
          `f32ToF16Bits(${x}) = 0x${ext.f32ToF16Bits(x).toString(16)}, expected 0x${bits.toString(16)}`,
        );
      for (const k of [await main(), await chunked()]) {
        const ctx = gpuContextOf(k)!;
        if (!ctx.features.f16) {
          await assertRejects(
            () => ctx.tensor([1, 2], [2], 'f16'),
            ArgumentError,
            /shader-f16/,
            'f16 tensor without the feature',
          );
          await assertRejects(
            () => cast(ctx, ctx.tensor([1, 2], [2]), 'f16'),
            ArgumentError,
            /shader-f16/,
            'cast without the feature',
          );
          continue;
        }
        for (const n of [0, 1, 7, 1025, 5001]) {
          const x = randArray(r, n, 100);
          if (n > 4) x.set([70000, -70000, 3e-6, -65504], 0); // saturate, subnormal, max
          const want = Array.from(x, ext.roundToF16);
          // upload converts on the host: exact
          assertEqualArrays(await ctx.tensor(x, [n], 'f16').read(), want, `f16 round trip n=${n}`);
          // GPU f32 → f16: WGSL may round to either neighbour, so within one f16 ulp: rel 2^-11 of |x+y|, abs 2^-24
          const h = cast(ctx, ctx.tensor(x, [n]), 'f16');
          assert(h.dtype === 'f16' && h.shape.join() === String(n), `cast shape/dtype n=${n}`);
          const got = await h.read();
          assertClose(got, want, { rel: 2 ** -11, abs: 2 ** -24 }, `cast f32→f16 n=${n}`);
          // f16 → f32 is exact
          assertEqualArrays(await cast(ctx, h, 'f32').read(), got, `cast f16→f32 n=${n}`);
        }
        // an f16 tensor given to an f32 kernel is a typed error, not halves read as floats
        await assertRejects(
          () => k.scale(ctx.tensor([1, 2, 3], [3], 'f16') as never, 2),
          ArgumentError,
          /f16 tensor .* cast/,
          'f16 into scale',
        );
      }
    },
  );

  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
