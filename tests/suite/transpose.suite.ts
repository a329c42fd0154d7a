// Layout helpers (packages/kernels/src/ops/transpose): transpose and in-place accumulate, exact (pure data
// movement and one f32 add per element), on odd shapes, 0 and 1 rows, chunked under a small binding cap.
import { ArgumentError, init, ShapeError, type InitOptions, type Kernels } from '@m4kit/kernels';
import { accumulate, ref, transpose, type GpuContext, gpuContextOf } from '@m4kit/kernels/advanced';
import { assertClose, assertEqualArrays, assertRejects, randArray, rng, Suite, type Env } from './harness.js';

const SHAPES: [number, number][] = [
  [0, 4],
  [1, 1],
  [1, 33],
  [17, 1],
  [16, 16],
  [37, 70],
  [300, 5],
];

export function transposeSuite(env: Env): Suite {
  const s = new Suite(`transpose[${env.runtime}]`);
  const contexts = new Map<string, Promise<GpuContext>>();
  const get = (opts: InitOptions = {}): Promise<GpuContext> => {
    const key = JSON.stringify(opts);
    if (!contexts.has(key))
      contexts.set(
        key,
        init({ backend: 'webgpu', ...opts }).then((k) => gpuContextOf(k)!),
      );
    return contexts.get(key)!;
  };

  s.test('transpose: exact vs float64 on odd shapes (tiles of 16 with ragged edges), 0 and 1 rows', async () => {
    const ctx = await get();
    const r = rng(12);
    for (const [rows, cols] of SHAPES) {
      const x = randArray(r, rows * cols, 1e3);
      const y = transpose(ctx, ctx.tensor(x, [rows, cols]));
      assertEqualArrays(y.shape, [cols, rows], `shape ${rows}×${cols}`);
      assertEqualArrays(
        await y.read(),
        Float32Array.from(ref.transposeRef(x, rows, cols)),
        `transpose ${rows}×${cols}`,
      );
    }
    await assertRejects(() => transpose(ctx, ctx.tensor([1, 2, 3], [3])), ShapeError, /rank-2/, 'rank');
  });

  for (const cap of [undefined, 4096]) {
    s.test(`accumulate: acc += part in place vs float64${cap ? ' (4 KiB cap → chunks)' : ''}`, async () => {
      const ctx = await get(cap ? { maxBindingSize: cap } : {});
      const r = rng(13);
      for (const n of [1, 255, 257, 5000]) {
        const [a, p] = [randArray(r, n), randArray(r, n)];
        const A = ctx.tensor(a, [n]);
        accumulate(ctx, A, ctx.tensor(p, [n]));
        // one f32 add: the float64 sum rounded once, |error| ≤ 2^-24·|sum|
        assertClose(await A.read(), ref.accumulateRef(a, p), { rel: 2 ** -24, abs: 0 }, `accumulate n=${n}`);
      }
      const A = ctx.tensor([1, 2], [2]);
      await assertRejects(() => accumulate(ctx, A, ctx.tensor([1], [1])), ShapeError, /differ in size/, 'size');
      await assertRejects(() => accumulate(ctx, A, A), ArgumentError, /distinct buffers/, 'aliasing');
    });
  }

  for (const backend of ['webgpu', 'cpu'] as const) {
    s.test(`k.transpose (${backend}): exact vs float64`, async () => {
      const k: Kernels = await init({ backend });
      try {
        const r = rng(14);
        for (const [rows, cols] of SHAPES) {
          const x = randArray(r, rows * cols);
          assertClose(
            await k.transpose(k.tensor(x, [rows, cols])).read(),
            ref.transposeRef(x, rows, cols),
            { rel: 0, abs: 0 },
            `${rows}×${cols}`,
          );
        }
      } finally {
        k.destroy();
      }
    });
  }
  return s;
}
