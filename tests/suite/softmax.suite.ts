// Softmax (packages/kernels/src/ops/softmax) per axis, chunked.
// Moved from kernels.suite.ts (assertions unchanged). Tolerances are Burn-style, stated per test.
import { init, type InitOptions, type Kernels } from '@m4kit/kernels';
import { ref } from '@m4kit/kernels/advanced';
import { assertClose, randArray, rng, Suite, type Env } from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function softmaxSuite(env: Env): Suite {
  const s = new Suite(`softmax[${env.runtime}]`);
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

  // ---------------------------------------------------------------- softmax
  const redShapes: [number, number][] = [
    [1, 1],
    [0, 4],
    [7, 13],
    [64, 65],
    [129, 3],
  ];
  for (const axis of [0, 1] as const) {
    s.test(`softmax axis ${axis}: odd shapes and chunked`, async () => {
      for (const k of [await main(), await chunked()]) {
        const r = rng(30 + axis);
        for (const [rows, cols] of [...redShapes, [300, 7] as [number, number]]) {
          const x = randArray(r, rows * cols, 5);
          const y = await k.softmax(k.tensor(x, [rows, cols]), axis).read();
          assertClose(y, ref.softmaxRef(x, rows, cols, axis), { rel: 1e-5, abs: 1e-6 }, `softmax [${rows},${cols}]`);
        }
      }
    });
  }

  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
