// Reductions (packages/kernels/src/ops/reduce): sum / mean / max / logsumexp per axis and over all elements.
// Moved from kernels.suite.ts (assertions unchanged). Tolerances are Burn-style, stated per test.
import { init, type InitOptions, type Kernels } from '@m4kit/kernels';
import { ref } from '@m4kit/kernels/advanced';
import { assertClose, randArray, rng, Suite, type Env } from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function reduceSuite(env: Env): Suite {
  const s = new Suite(`reduce[${env.runtime}]`);
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

  // ---------------------------------------------------------------- reductions
  const redShapes: [number, number][] = [
    [1, 1],
    [0, 4],
    [7, 13],
    [64, 65],
    [129, 3],
  ];
  for (const op of ['sum', 'mean', 'max', 'logsumexp'] as const) {
    for (const axis of [0, 1] as const) {
      s.test(`reduce ${op} axis ${axis}: odd shapes, empty, chunked`, async () => {
        for (const k of [await main(), await chunked()]) {
          const r = rng(20 + axis);
          for (const [rows, cols] of [...redShapes, [400, 5] as [number, number]]) {
            if (op === 'mean' && ((axis === 0 && rows === 0) || (axis === 1 && cols === 0))) continue; // mean of nothing is NaN
            const x = randArray(r, rows * cols, 3);
            const X = k.tensor(x, [rows, cols]);
            const y = k[op === 'logsumexp' ? 'logsumexp' : op](X, axis);
            const exp = ref.reduceRef(x, rows, cols, op, axis);
            assertClose(
              await y.read(),
              exp,
              { rel: 1e-5, abs: 1e-4 * Math.sqrt(Math.max(rows, cols)) },
              `${op} axis=${axis} [${rows},${cols}]`,
            );
          }
        }
      });
    }
  }
  s.test('reduce: logsumexp and softmax stay finite at |x| = 1e4', async () => {
    const k = await main();
    const r = rng(23);
    const [rows, cols] = [9, 31];
    const x = randArray(r, rows * cols, 1e4);
    for (const axis of [0, 1] as const) {
      assertClose(
        await k.logsumexp(k.tensor(x, [rows, cols]), axis).read(),
        ref.reduceRef(x, rows, cols, 'logsumexp', axis),
        { rel: 1e-6, abs: 1e-3 },
        `lse axis ${axis}`,
      );
      assertClose(
        await k.softmax(k.tensor(x, [rows, cols]), axis).read(),
        ref.softmaxRef(x, rows, cols, axis),
        { rel: 1e-3, abs: 1e-5 },
        `softmax axis ${axis}`,
      );
    }
  });
  s.test('reduce: sum/mean/max over all elements', async () => {
    for (const k of [await main(), await chunked()]) {
      const r = rng(24);
      for (const n of [1, 17, 5000]) {
        const x = randArray(r, n);
        for (const op of ['sum', 'mean', 'max'] as const) {
          const y = await k[op](k.tensor(x, [n, 1])).read();
          assertClose(y, [ref.reduceAllRef(x, op)], { rel: 1e-5, abs: 1e-4 }, `${op} all n=${n}`);
          const y2 = await k[op](k.tensor(x, [1, n])).read();
          assertClose(y2, [ref.reduceAllRef(x, op)], { rel: 1e-5, abs: 1e-4 }, `${op} all row n=${n}`);
        }
      }
    }
  });

  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
