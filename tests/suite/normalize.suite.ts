// Row-wise L2 normalisation and its backward (packages/kernels/src/ops/normalize).
// Moved from kernels.suite.ts (assertions unchanged). Tolerances are Burn-style, stated per test.
import { init, type InitOptions, type Kernels } from '@m4kit/kernels';
import { ref } from '@m4kit/kernels/advanced';
import { assertClose, randArray, rng, Suite, type Env } from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function normalizeSuite(env: Env): Suite {
  const s = new Suite(`normalize[${env.runtime}]`);
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

  // ---------------------------------------------------------------- normalize
  s.test('l2normalize forward/backward: odd shapes, zero row, chunked, large values', async () => {
    for (const k of [await main(), await chunked()]) {
      const r = rng(40);
      for (const [rows, cols, sc] of [
        [1, 1, 1],
        [0, 3, 1],
        [7, 13, 1],
        [300, 5, 1],
        [5, 9, 1e18],
      ] as [number, number, number][]) {
        const x = randArray(r, rows * cols, sc);
        if (rows > 2) x.fill(0, cols, 2 * cols); // a zero row
        const g = randArray(r, rows * cols);
        const X = k.tensor(x, [rows, cols]);
        assertClose(
          await k.l2normalize(X).read(),
          ref.l2normalizeRef(x, rows, cols),
          { rel: 1e-5, abs: 1e-6 },
          `fwd [${rows},${cols}] x${sc}`,
        );
        const dx = await k.l2normalizeBackward(X, k.tensor(g, [rows, cols])).read();
        const exp = ref.l2normalizeBackwardRef(x, g, rows, cols);
        assertClose(dx, exp, { rel: 1e-4, abs: 1e-4 / sc }, `bwd [${rows},${cols}] x${sc}`);
      }
    }
  });
  s.test('l2normalize backward matches central finite differences of the forward', async () => {
    const k = await main();
    const r = rng(41);
    const [rows, cols] = [4, 6];
    const x = Float64Array.from(randArray(r, rows * cols));
    const g = Float64Array.from(randArray(r, rows * cols));
    const dx = await k.l2normalizeBackward(k.tensor(x, [rows, cols]), k.tensor(g, [rows, cols])).read();
    const h = 1e-6;
    const fd = new Float64Array(rows * cols);
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      const yp = ref.l2normalizeRef(xp, rows, cols);
      const ym = ref.l2normalizeRef(xm, rows, cols);
      let v = 0;
      for (let j = 0; j < x.length; j++) v += (g[j] * (yp[j] - ym[j])) / (2 * h);
      fd[i] = v;
    }
    assertClose(dx, fd, { rel: 1e-4, abs: 1e-5 }, 'fd');
  });

  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
