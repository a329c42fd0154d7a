// Projection-head kernels for training (packages/kernels/src/ops/mlp): bias + GELU forward/backward with fused
// bias-gradient column sums, and the minibatch row gather. Tolerances |x − y| ≤ max(rel·|x + y|, abs), per test.
import { ArgumentError, init, ShapeError, type Activation, type InitOptions, type Kernels } from '@m4kit/kernels';
import {
  biasAct,
  biasActBackward,
  biasActBackwardRef,
  biasActRef,
  gatherRows,
  gatherRowsRef,
  geluGradRef,
  geluRef,
  type GpuContext,
  gpuContextOf,
} from '@m4kit/kernels/advanced';
import { assert, assertClose, assertEqualArrays, assertRejects, randArray, rng, Suite, type Env } from './harness.js';

const SHAPES: [number, number][] = [
  [0, 5],
  [1, 1],
  [1, 7],
  [3, 65],
  [33, 17],
  [64, 64],
  [97, 130],
  [257, 3],
];

export function mlpSuite(env: Env): Suite {
  const s = new Suite(`mlp[${env.runtime}]`);
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

  s.test('gelu reference: known values and a central-difference derivative', () => {
    // PyTorch GELU(approximate='tanh'): gelu(1) = 0.8411919906082768, gelu(-1) = -0.15880800939172324
    assertClose(
      [geluRef(1), geluRef(-1), geluRef(0)],
      [0.8411919906082768, -0.15880800939172324, 0],
      { rel: 1e-14, abs: 1e-15 },
      'gelu values',
    );
    for (const z of [-6, -2.5, -0.3, 0, 0.7, 3, 9]) {
      const h = 1e-6;
      const fd = (geluRef(z + h) - geluRef(z - h)) / (2 * h);
      assertClose([geluGradRef(z)], [fd], { rel: 1e-8, abs: 1e-9 }, `gelu′(${z})`);
    }
  });

  for (const act of ['none', 'gelu'] as Activation[]) {
    s.test(`biasAct (${act}) matches the float64 reference on ragged shapes, 0 and 1 rows`, async () => {
      const ctx = await get();
      const r = rng(act === 'gelu' ? 11 : 12);
      for (const [M, N] of SHAPES) {
        const x = randArray(r, M * N, 4);
        const b = randArray(r, N, 2);
        const X = ctx.tensor(x, [M, N]);
        const B = ctx.tensor(b, [N]);
        const Y = biasAct(ctx, X, B, act);
        assertEqualArrays(Y.shape, [M, N], `shape ${M}×${N}`);
        // f32 inputs; GELU in f32 with tanh: rel 1e-5, abs 1e-6
        assertClose(await Y.read(), biasActRef(x, M, N, b, act), { rel: 1e-5, abs: 1e-6 }, `${act} ${M}×${N}`);
        for (const t of [X, B, Y]) t.dispose();
      }
    });

    s.test(`biasActBackward (${act}): dX and the fused bias column sums match the float64 reference`, async () => {
      const ctx = await get();
      const r = rng(act === 'gelu' ? 21 : 22);
      for (const [M, N] of [...SHAPES, [1000, 33] as [number, number]]) {
        const x = randArray(r, M * N, 4);
        const b = randArray(r, N, 2);
        const dy = randArray(r, M * N, 1);
        const [X, B, DY] = [ctx.tensor(x, [M, N]), ctx.tensor(b, [N]), ctx.tensor(dy, [M, N])];
        const got = biasActBackward(ctx, DY, act === 'gelu' ? X : null, act === 'gelu' ? B : null, act);
        const want = biasActBackwardRef(dy, x, M, N, b, act);
        if (act === 'gelu') assertClose(await got.dx!.read(), want.dx, { rel: 1e-5, abs: 1e-6 }, `dx ${M}×${N}`);
        else assert(got.dx === null, 'act none returns dx = null (it equals dy)');
        // column sums of up to 1000 f32 terms: abs 1e-5·√M scale
        assertClose(
          await got.dbias.read(),
          want.dbias,
          { rel: 1e-5, abs: 2e-5 * Math.sqrt(Math.max(M, 1)) },
          `dbias ${M}×${N}`,
        );
        for (const t of [X, B, DY, got.dbias, got.dx]) t?.dispose();
      }
    });
  }

  s.test('large pre-activations: GELU saturates to z and 0 without NaN/Inf, gradient to 1 and 0', async () => {
    const ctx = await get();
    const x = Float32Array.from([1e4, -1e4, 3e38, -3e38, 50, -50, 1e-30, 0]);
    const N = x.length;
    const X = ctx.tensor(x, [1, N]);
    const B = ctx.zeros([N]);
    const y = await biasAct(ctx, X, B, 'gelu').read();
    assertClose(y, biasActRef(x, 1, N, new Float64Array(N), 'gelu'), { rel: 1e-6, abs: 1e-30 }, 'gelu at extremes');
    const g = await biasActBackward(ctx, ctx.tensor(new Float32Array(N).fill(1), [1, N]), X, B, 'gelu').dx!.read();
    assertClose(g, [1, 0, 1, 0, 1, 0, 0.5, 0.5], { rel: 1e-6, abs: 1e-6 }, 'gelu′ at extremes');
  });

  s.test('row chunking under a small binding limit gives the same results', async () => {
    const ctx = await get({ maxBindingSize: 4096 });
    const r = rng(31);
    const [M, N] = [301, 9];
    const x = randArray(r, M * N, 3);
    const b = randArray(r, N, 1);
    const dy = randArray(r, M * N, 1);
    const X = ctx.tensor(x, [M, N]);
    const B = ctx.tensor(b, [N]);
    assertClose(
      await biasAct(ctx, X, B, 'gelu').read(),
      biasActRef(x, M, N, b, 'gelu'),
      { rel: 1e-5, abs: 1e-6 },
      'biasAct chunked',
    );
    const bw = biasActBackward(ctx, ctx.tensor(dy, [M, N]), X, B, 'gelu');
    const want = biasActBackwardRef(dy, x, M, N, b, 'gelu');
    assertClose(await bw.dx!.read(), want.dx, { rel: 1e-5, abs: 1e-6 }, 'dx chunked');
    assertClose(await bw.dbias.read(), want.dbias, { rel: 1e-5, abs: 1e-4 }, 'dbias chunked');
    const src = randArray(r, 50 * 7, 5);
    const idx = Array.from({ length: 200 }, () => Math.floor(r() * 50));
    const g = gatherRows(ctx, ctx.tensor(src, [50, 7]), idx);
    assertEqualArrays(await g.read(), Float32Array.from(gatherRowsRef(src, 50, 7, idx)), 'gather chunked (exact)');
  });

  s.test('gatherRows: exact copies for arrays and device indices, 0 and 1 rows', async () => {
    const ctx = await get();
    const r = rng(41);
    for (const [n, d, B] of [
      [1, 1, 1],
      [5, 3, 0],
      [37, 13, 64],
      [100, 130, 257],
    ]) {
      const src = randArray(r, n * d, 1e6);
      const idx = Array.from({ length: B }, () => Math.floor(r() * n));
      const X = ctx.tensor(src, [n, d]);
      const a = gatherRows(ctx, X, idx);
      const bdev = gatherRows(ctx, X, ctx.tensor(idx, [B], 'u32'));
      const want = Float32Array.from(gatherRowsRef(src, n, d, idx));
      assertEqualArrays(await a.read(), want, `gather ${n}×${d} → ${B}`);
      assertEqualArrays(await bdev.read(), want, `gather (device idx) ${n}×${d} → ${B}`);
    }
  });

  s.test('bad arguments fail on the host with typed errors', async () => {
    const ctx = await get();
    const X = ctx.tensor(new Float32Array(6), [2, 3]);
    await assertRejects(() => biasAct(ctx, X, ctx.tensor([1, 2], [2]), 'gelu'), ShapeError, /bias/, 'bias length');
    await assertRejects(
      () => biasAct(ctx, X, ctx.tensor([1, 2, 3], [3]), 'relu' as Activation),
      ArgumentError,
      /unknown activation/,
      'activation',
    );
    await assertRejects(
      () => biasActBackward(ctx, X, null, null, 'gelu'),
      ArgumentError,
      /needs the forward input/,
      'gelu backward without x',
    );
    await assertRejects(
      () => biasActBackward(ctx, X, ctx.tensor(new Float32Array(4), [2, 2]), ctx.tensor([1, 2, 3], [3]), 'gelu'),
      ShapeError,
      /differ/,
      'x/dy shapes',
    );
    await assertRejects(() => gatherRows(ctx, X, [0, 2]), ArgumentError, /idx\[1\] = 2/, 'gather index range');
    await assertRejects(
      () => biasAct(ctx, ctx.tensor(new Float32Array(6), [6]), ctx.tensor([1], [1])),
      ShapeError,
      /rank 2/,
      'rank',
    );
  });

  // ------------------------------------------------------------------ the Kernels surface, both backends
  for (const backend of ['webgpu', 'cpu'] as const) {
    s.test(
      `k.mlp (${backend}): biasAct, biasActBackward, gatherRows vs float64 on odd shapes; typed errors`,
      async () => {
        const k: Kernels = await init({ backend });
        try {
          const r = rng(58);
          // WebGPU: float32 GELU (rel 1e-5, abs 1e-6 as above); CPU: the reference itself (exact)
          const tol = backend === 'cpu' ? { rel: 0, abs: 0 } : { rel: 1e-5, abs: 1e-6 };
          for (const [M, N] of [
            [1, 1],
            [33, 17],
            [0, 5],
          ]) {
            const [x, b, dy] = [randArray(r, M * N, 3), randArray(r, N), randArray(r, M * N)];
            const [X, B, DY] = [k.tensor(x, [M, N]), k.tensor(b, [N]), k.tensor(dy, [M, N])];
            assertClose(
              await k.mlp.biasAct(X, B, 'gelu').read(),
              biasActRef(x, M, N, b, 'gelu'),
              tol,
              `biasAct ${M}×${N}`,
            );
            const g = k.mlp.biasActBackward(DY, X, B, 'gelu');
            const want = biasActBackwardRef(dy, x, M, N, b, 'gelu');
            assertClose(await g.dx!.read(), want.dx, tol, `dx ${M}×${N}`);
            assertClose(
              await g.dbias.read(),
              want.dbias,
              backend === 'cpu' ? tol : { rel: 1e-5, abs: 1e-5 },
              `dbias ${M}×${N}`,
            );
            assert(k.mlp.biasActBackward(DY, null, null, 'none').dx === null, 'no dx for none');
          }
          const src = randArray(r, 5 * 3);
          const X = k.tensor(src, [5, 3]);
          const idx = [4, 0, 4, 2];
          const want = gatherRowsRef(src, 5, 3, idx);
          assertClose(await k.mlp.gatherRows(X, idx).read(), want, { rel: 0, abs: 0 }, 'gather (array)');
          assertClose(
            await k.mlp.gatherRows(X, k.tensor(idx, [4], 'u32')).read(),
            want,
            { rel: 0, abs: 0 },
            'gather (tensor)',
          );
          await assertRejects(() => k.mlp.gatherRows(X, [0, 5]), ArgumentError, /idx\[1\] = 5/, 'gather index range');
          await assertRejects(() => k.mlp.biasAct(X, k.tensor([1, 2], [2]), 'gelu'), ShapeError, /bias/, 'bias length');
          await assertRejects(
            () => k.mlp.biasActBackward(X, null, null, 'gelu'),
            ArgumentError,
            /needs the forward input/,
            'gelu backward without x',
          );
        } finally {
          k.destroy();
        }
      },
    );
  }

  return s;
}
