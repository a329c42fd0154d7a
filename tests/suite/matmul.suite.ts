// Matrix multiply (packages/kernels/src/ops/matmul): every variant vs float64, batching, chunking, pipeline cache.
// Moved from kernels.suite.ts (assertions unchanged). Tolerances are Burn-style, stated per test.
import {
  ArgumentError,
  init,
  MATMUL_VARIANTS,
  ShapeError,
  type InitOptions,
  type Kernels,
  type MatmulVariant,
} from '@m4kit/kernels';
import { ref, gpuContextOf } from '@m4kit/kernels/advanced';
import {
  assert,
  assertClose,
  assertEqualArrays,
  assertRejects,
  randArray,
  rng,
  Suite,
  type Env,
  type Tol,
} from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function matmulSuite(env: Env): Suite {
  const s = new Suite(`matmul[${env.runtime}]`);
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

  // ---------------------------------------------------------------- matmul
  const mmShapes: [number, number, number][] = [
    [1, 1, 1],
    [0, 5, 3],
    [3, 0, 4],
    [37, 19, 45],
    [64, 64, 64],
    [65, 33, 70],
    [130, 7, 3],
    [5, 129, 17],
  ];
  const mmTol: Tol = { rel: 1e-5, abs: 1e-4 };
  for (const variant of MATMUL_VARIANTS) {
    s.test(`matmul ${variant}: A·B, A·Bᵀ, Aᵀ·B, Aᵀ·Bᵀ on odd shapes vs float64`, async () => {
      const k = await main();
      const r = rng(11);
      for (const [M, K, N] of mmShapes) {
        for (const [ta, tb] of [
          [false, false],
          [false, true],
          [true, false],
          [true, true],
        ] as [boolean, boolean][]) {
          const a = randArray(r, M * K);
          const b = randArray(r, K * N);
          const A = k.tensor(a, ta ? [K, M] : [M, K]);
          const B = k.tensor(b, tb ? [N, K] : [K, N]);
          const C = k.matmul(A, B, { transA: ta, transB: tb, variant });
          assertEqualArrays(C.shape, [M, N], 'output shape');
          const expected = ref.matmulRef(a, b, { batch: 1, M, K, N, transA: ta, transB: tb });
          assertClose(
            await C.read(),
            expected,
            { rel: mmTol.rel, abs: mmTol.abs * Math.sqrt(K + 1) },
            `${variant} ${M}x${K}x${N} ta=${ta} tb=${tb}`,
          );
          A.dispose();
          B.dispose();
          C.dispose();
        }
      }
    });
    s.test(`matmul ${variant}: batched and broadcast`, async () => {
      const k = await main();
      const r = rng(12);
      const [Bt, M, K, N] = [3, 17, 9, 23];
      const a = randArray(r, Bt * M * K);
      const b = randArray(r, Bt * K * N);
      const C = k.matmul(k.tensor(a, [Bt, M, K]), k.tensor(b, [Bt, K, N]), { variant });
      assertEqualArrays(C.shape, [Bt, M, N], 'batched shape');
      assertClose(await C.read(), ref.matmulRef(a, b, { batch: Bt, M, K, N }), mmTol, 'batched');
      const b2 = b.subarray(0, K * N);
      const C2 = k.matmul(k.tensor(a, [Bt, M, K]), k.tensor(b2, [K, N]), { variant });
      assertClose(await C2.read(), ref.matmulRef(a, b2, { batch: Bt, M, K, N, sB: 0 }), mmTol, 'broadcast B');
    });
    s.test(`matmul ${variant}: large magnitudes (|x| ~ 1e4)`, async () => {
      const k = await main();
      const r = rng(13);
      const [M, K, N] = [33, 65, 31];
      const a = randArray(r, M * K, 1e4);
      const b = randArray(r, K * N, 1e4);
      const C = k.matmul(k.tensor(a, [M, K]), k.tensor(b, [K, N]), { variant });
      assertClose(
        await C.read(),
        ref.matmulRef(a, b, { batch: 1, M, K, N }),
        { rel: 1e-4, abs: 1e8 * 1e-4 * Math.sqrt(K) },
        'large',
      );
    });
  }
  s.test('matmul: row-chunked (A·B, A·Bᵀ) and K-chunked (Aᵀ·B) paths under a 4 KiB binding cap', async () => {
    const k = await chunked();
    const r = rng(14);
    const [M, K, N] = [300, 7, 5]; // A is 8.4 KB > 4 KiB cap
    for (const variant of MATMUL_VARIANTS) {
      const a = randArray(r, M * K);
      const b = randArray(r, K * N);
      const C = k.matmul(k.tensor(a, [M, K]), k.tensor(b, [K, N]), { variant });
      assertClose(await C.read(), ref.matmulRef(a, b, { batch: 1, M, K, N }), mmTol, `chunked A·B ${variant}`);
      const bt = randArray(r, N * K);
      const Ct = k.matmul(k.tensor(a, [M, K]), k.tensor(bt, [N, K]), { variant, transB: true });
      assertClose(
        await Ct.read(),
        ref.matmulRef(a, bt, { batch: 1, M, K, N, transB: true }),
        mmTol,
        `chunked A·Bᵀ ${variant}`,
      );
      // Aᵀ·B with K = 300 rows shared: accumulates across K chunks
      const x = randArray(r, 300 * 6);
      const y = randArray(r, 300 * 4);
      const G = k.matmul(k.tensor(x, [300, 6]), k.tensor(y, [300, 4]), { variant, transA: true });
      assertClose(
        await G.read(),
        ref.matmulRef(x, y, { batch: 1, M: 6, K: 300, N: 4, transA: true }),
        { rel: 1e-5, abs: 1e-4 },
        `chunked Aᵀ·B ${variant}`,
      );
    }
  });
  s.test('matmul: shape mismatch is a ShapeError naming both shapes', async () => {
    const k = await main();
    const A = k.tensor(new Float32Array(6), [2, 3]);
    const B = k.tensor(new Float32Array(8), [4, 2]);
    await assertRejects(
      () => k.matmul(A, B),
      ShapeError,
      /\[2, 3\].*\[4, 2\].*inner dimensions differ \(3 vs 4\)/,
      'mismatch',
    );
    await assertRejects(
      () => k.matmul(A, A, { transB: true, variant: 'nope' as MatmulVariant }),
      ArgumentError,
      /unknown variant "nope"/,
      'variant',
    );
  });
  s.test('pipeline cache: a new batch size or shape does not compile a new pipeline', async () => {
    const k = await main();
    const ctx = gpuContextOf(k)!;
    const r = rng(15);
    const run = async (M: number) => {
      const C = k.matmul(k.tensor(randArray(r, M * 8), [M, 8]), k.tensor(randArray(r, 8 * 4), [8, 4]), {
        variant: 'simple',
      });
      await C.read();
    };
    await run(3);
    const before = ctx.pipelineCount;
    await run(77);
    await run(1000);
    assert(ctx.pipelineCount === before, `pipelines grew from ${before} to ${ctx.pipelineCount}`);
  });

  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
