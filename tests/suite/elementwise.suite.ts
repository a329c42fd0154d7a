// Elementwise scale / axpy / clip (packages/kernels/src/ops/elementwise).
// Moved from kernels.suite.ts (assertions unchanged). Tolerances are Burn-style, stated per test.
import { ArgumentError, init, ShapeError, type InitOptions, type Kernels } from '@m4kit/kernels';
import { ref } from '@m4kit/kernels/advanced';
import { assertClose, assertRejects, randArray, rng, Suite, TOL, type Env } from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function elementwiseSuite(env: Env): Suite {
  const s = new Suite(`elementwise[${env.runtime}]`);
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

  // ---------------------------------------------------------------- elementwise
  s.test('elementwise scale / axpy / clip: sizes 0, 1, odd, large, chunked', async () => {
    for (const k of [await main(), await chunked()]) {
      const r = rng(50);
      for (const n of [0, 1, 1023, 300001]) {
        if (k === (await chunked()) && n > 5000) continue;
        const x = randArray(r, n, 10);
        const y = randArray(r, n, 10);
        const X = k.tensor(x, [n]);
        const Y = k.tensor(y, [n]);
        assertClose(await k.scale(X, -2.5).read(), ref.scaleRef(x, -2.5), TOL.f32, `scale n=${n}`);
        assertClose(await k.axpy(0.75, X, Y).read(), ref.axpyRef(0.75, x, y), TOL.f32, `axpy n=${n}`);
        assertClose(await k.clip(X, -1, 2).read(), ref.clipRef(x, -1, 2), TOL.exact, `clip n=${n}`);
      }
    }
  });
  s.test('elementwise: axpy shape mismatch and clip lo > hi are typed errors', async () => {
    const k = await main();
    const X = k.tensor([1, 2, 3], [3]);
    const Y = k.tensor([1, 2], [2]);
    await assertRejects(() => k.axpy(1, X, Y), ShapeError, /\[3\].*\[2\]/, 'axpy');
    await assertRejects(() => k.clip(X, 2, 1), ArgumentError, /lo \(2\) > hi \(1\)/, 'clip');
  });

  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
