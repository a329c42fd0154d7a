// Per-row top-k (packages/kernels/src/ops/topk).
// Moved from kernels.suite.ts (assertions unchanged). Tolerances are Burn-style, stated per test.
import { ArgumentError, init, type InitOptions, type Kernels } from '@m4kit/kernels';
import { ref } from '@m4kit/kernels/advanced';
import { assertClose, assertEqualArrays, assertRejects, randArray, rng, Suite, TOL, type Env } from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function topkSuite(env: Env): Suite {
  const s = new Suite(`topk[${env.runtime}]`);
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

  // ---------------------------------------------------------------- topk
  s.test('topk: random rows, ties by lower index, k = cols, empty, chunked', async () => {
    for (const k of [await main(), await chunked()]) {
      const r = rng(60);
      for (const [rows, cols, kk, ties] of [
        [1, 1, 1, false],
        [0, 5, 2, false],
        [9, 37, 5, false],
        [300, 6, 6, false],
        [13, 50, 10, true],
      ] as [number, number, number, boolean][]) {
        const x = randArray(r, rows * cols, 100);
        if (ties) for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] / 40);
        const { values, indices } = k.topk(k.tensor(x, [rows, cols]), kk);
        const exp = ref.topkRef(x, rows, cols, kk);
        assertEqualArrays(await indices.read(), exp.indices, `topk indices [${rows},${cols}] k=${kk}`);
        assertClose(await values.read(), exp.values, TOL.exact, `topk values [${rows},${cols}] k=${kk}`);
      }
      await assertRejects(
        () => k.topk(k.tensor([1, 2], [1, 2]), 3),
        ArgumentError,
        /k must be an integer in \[1, 2\]/,
        'k > cols',
      );
    }
  });

  // regression: on Dawn/lavapipe the kernel's `x != x` NaN test compiled to false, so [1, NaN, 3, 2, 0.5, 7]
  // with k = 3 returned [1, NaN, 7] instead of [7, 3, 2]
  s.test('topk NaN entered the list on lavapipe (x != x folded to false): NaN is skipped', async () => {
    for (const k of [await main(), await chunked()]) {
      const x = [1, NaN, 3, 2, 0.5, 7, NaN, NaN, -1, 4, NaN, 0];
      const { values, indices } = k.topk(k.tensor(x, [2, 6]), 3);
      const exp = ref.topkRef(x, 2, 6, 3);
      assertEqualArrays(await indices.read(), exp.indices, 'topk indices with NaN');
      assertEqualArrays(await indices.read(), [5, 2, 3, 3, 5, 2], 'topk indices with NaN (by hand)');
      assertClose(await values.read(), exp.values, TOL.exact, 'topk values with NaN');
    }
  });

  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
