// Optimiser kernels: AdamW and global grad-norm clipping (moved from losses.suite.ts), and a whole training step.
// Tolerances are Burn-style |x − y| ≤ max(rel·|x + y|, abs), stated per test.
import { ArgumentError, init, ShapeError, type InitOptions, type Kernels } from '@m4kit/kernels';
import { adamw, clipGradNorm, clipLoss, ref, type GpuContext, gpuContextOf } from '@m4kit/kernels/advanced';
import { assert, assertClose, assertRejects, randArray, rng, Suite, type Env } from './harness.js';
import { data, scaled } from './losses.suite.js';

export function optimSuite(env: Env): Suite {
  const s = new Suite(`optim[${env.runtime}]`);
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
  const main = () => get();

  // ------------------------------------------------------------------ optimizer
  const adamCases: { n: number; cap?: number }[] = [{ n: 1 }, { n: 1000 }, { n: 5000, cap: 4096 }];
  for (const { n, cap } of adamCases) {
    s.test(
      `adamw: 6 steps vs float64 reference (n = ${n}${cap ? `, ${cap} B binding cap → chunks` : ''})`,
      async () => {
        const ctx = await get(cap ? { maxBindingSize: cap } : {});
        const r = rng(900 + n);
        const p0 = randArray(r, n);
        const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };
        const P = ctx.tensor(p0, [n]);
        const M = ctx.zeros([n]);
        const V = ctx.zeros([n]);
        let rp: ArrayLike<number> = p0;
        let rm: ArrayLike<number> = new Float64Array(n);
        let rv: ArrayLike<number> = new Float64Array(n);
        for (let step = 1; step <= 6; step++) {
          const g = randArray(r, n, step);
          const G = ctx.tensor(g, [n]);
          const scale = step % 2 ? undefined : 0.5;
          adamw(ctx, P, G, M, V, step, {
            ...hp,
            gradScale: scale === undefined ? undefined : ctx.tensor([scale], [1]),
          });
          const want = ref.adamwRef(rp, g, rm, rv, step, { ...hp, gradScale: scale });
          // params: rel 1e-5, abs 1e-6 (lr·1 steps of float32 arithmetic); moments: rel 1e-5, abs 1e-7 × scale
          assertClose(await P.read(), want.params, { rel: 1e-5, abs: 1e-6 }, `params step ${step}`);
          assertClose(await M.read(), want.m, scaled(want.m, 1e-5, 1e-6), `m step ${step}`);
          assertClose(await V.read(), want.v, scaled(want.v, 1e-5, 1e-6), `v step ${step}`);
          [rp, rm, rv] = [want.params, want.m, want.v];
          G.dispose();
        }
        await assertRejects(() => adamw(ctx, P, P, M, V, 1, hp), ArgumentError, /distinct buffers/, 'aliasing');
        await assertRejects(
          () => adamw(ctx, P, M, V, ctx.zeros([n + 1]), 1, hp),
          ShapeError,
          /v \[\d+\] must have as many elements/,
          'size',
        );
        await assertRejects(() => adamw(ctx, P, ctx.zeros([n]), M, V, 0, hp), ArgumentError, /step = 0/, 'step');
      },
    );
  }

  for (const cap of [undefined, 4096]) {
    s.test(
      `clipGradNorm: global norm over tensors, scaled in place vs float64${cap ? ' (4 KiB cap → chunks)' : ''}`,
      async () => {
        const ctx = await get(cap ? { maxBindingSize: cap } : {});
        const r = rng(31);
        const sizes = [1, 300, 5000, 17];
        const gs = sizes.map((n) => randArray(r, n, 2));
        for (const maxNorm of [1, 1e6]) {
          const T = gs.map((g, i) => ctx.tensor(g, [sizes[i]]));
          const res = clipGradNorm(ctx, T, maxNorm);
          const want = ref.clipGradNormRef(gs, maxNorm);
          // norm: sum of 5318 squares in float32 partials: rel 1e-5
          assertClose(await res.norm.read(), [want.norm], { rel: 1e-5, abs: 0 }, `norm maxNorm=${maxNorm}`);
          assertClose(await res.scale.read(), [want.scale], { rel: 1e-5, abs: 0 }, `scale maxNorm=${maxNorm}`);
          for (let i = 0; i < T.length; i++)
            assertClose(await T[i].read(), want.grads[i], { rel: 1e-5, abs: 1e-6 }, `grads[${i}] maxNorm=${maxNorm}`);
        }
        const bad = ctx.tensor([1, Infinity, 2], [3]);
        const res = clipGradNorm(ctx, [bad], 1);
        assert((await res.scale.read())[0] === 0, 'non-finite norm gives scale 0');
        assertEqualZero(await bad.read(), 'non-finite grads are zeroed');
        await assertRejects(() => clipGradNorm(ctx, [bad], 0), ArgumentError, /maxNorm = 0/, 'maxNorm');
      },
    );
  }

  s.test('a whole training step on the GPU (clipLoss → clipGradNorm → adamw) tracks a float64 emulation', async () => {
    const ctx = await main();
    const [N, d] = [16, 8];
    const { U, W } = data(55, N, d);
    const hp = { lr: 0.05, weightDecay: 0.01, eps: 1e-3 }; // eps ≫ f32 noise: no sign flips on tiny gradients
    const Ut = ctx.tensor(U, [N, d]);
    const Wt = ctx.tensor(W, [N, d]);
    const tT = ctx.tensor([Math.log(1 / 0.07)], [1]);
    const mom = [Ut, Wt, tT].map((x) => [ctx.zeros(x.shape), ctx.zeros(x.shape)]);
    let ru: ArrayLike<number> = U,
      rw: ArrayLike<number> = W,
      rt = Math.log(1 / 0.07);
    let rm: ArrayLike<number>[] = [new Float64Array(N * d), new Float64Array(N * d), new Float64Array(1)];
    let rv: ArrayLike<number>[] = [new Float64Array(N * d), new Float64Array(N * d), new Float64Array(1)];
    const losses: number[] = [];
    for (let step = 1; step <= 5; step++) {
      const g = await clipLoss(ctx, Ut, Wt, tT, { check: step === 5 });
      const cl = clipGradNorm(ctx, [g.dU, g.dW, g.dt], 0.5);
      const params = [Ut, Wt, tT];
      const grads = [g.dU, g.dW, g.dt];
      for (let k = 0; k < 3; k++) adamw(ctx, params[k], grads[k], mom[k][0], mom[k][1], step, hp);
      losses.push((await g.loss.read())[0]);
      const want = ref.clipLossRef(ru, rw, N, d, rt);
      const c = ref.clipGradNormRef([want.dU, want.dW, [want.dt]], 0.5);
      assertClose(await cl.norm.read(), [c.norm], { rel: 1e-3, abs: 0 }, `grad norm step ${step}`);
      const up = [ru, rw, [rt]].map((p, k) => ref.adamwRef(p, c.grads[k], rm[k], rv[k], step, hp));
      ru = up[0].params;
      rw = up[1].params;
      rt = up[2].params[0];
      rm = up.map((x) => x.m);
      rv = up.map((x) => x.v);
      // f32 vs f64 trajectories drift slowly: rel 1e-3, abs 1e-4
      assertClose([losses[step - 1]], [want.loss], { rel: 1e-3, abs: 1e-4 }, `loss step ${step}`);
      assertClose(await Ut.read(), ru, { rel: 1e-3, abs: 1e-4 }, `U after step ${step}`);
      assertClose(await tT.read(), [rt], { rel: 1e-3, abs: 1e-4 }, `t after step ${step}`);
      for (const x of [g.loss, g.dU, g.dW, g.dt, g.status, cl.norm, cl.scale]) x.dispose();
    }
    assert(losses[4] < losses[0], `loss should fall over 5 steps: ${losses.map((x) => x.toFixed(4)).join(' → ')}`);
  });

  // ------------------------------------------------------------------ the Kernels surface, both backends
  for (const backend of ['webgpu', 'cpu'] as const) {
    s.test(`k.optim (${backend}): adamw with a gradScale tensor and clipGradNorm in place vs float64`, async () => {
      const k: Kernels = await init({ backend });
      try {
        const r = rng(77);
        const n = 333;
        const [p0, g0, g1] = [randArray(r, n), randArray(r, n, 3), randArray(r, 17, 3)];
        const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };
        const [P, G, G1, M, V] = [k.tensor(p0, [n]), k.tensor(g0, [n]), k.tensor(g1, [17]), k.zeros([n]), k.zeros([n])];
        const c = k.optim.clipGradNorm([G, G1], 1);
        const cw = ref.clipGradNormRef([g0, g1], 1);
        // float32 sums on WebGPU: rel 1e-5; the CPU backend is the reference itself (exact)
        const tol = backend === 'cpu' ? { rel: 0, abs: 0 } : { rel: 1e-5, abs: 1e-6 };
        assertClose(await c.norm.read(), [cw.norm], tol, 'norm');
        assertClose(await G.read(), cw.grads[0], tol, 'clipped grads');
        k.optim.adamw(P, G, M, V, 1, { ...hp, gradScale: k.tensor([0.5], [1]) });
        const want = ref.adamwRef(p0, cw.grads[0], new Float64Array(n), new Float64Array(n), 1, {
          ...hp,
          gradScale: 0.5,
        });
        assertClose(await P.read(), want.params, tol, 'params');
        assertClose(await V.read(), want.v, backend === 'cpu' ? tol : scaled(want.v, 1e-5, 1e-6), 'v');
        await assertRejects(() => k.optim.adamw(P, P, M, V, 1, hp), ArgumentError, /distinct buffers/, 'aliasing');
        await assertRejects(
          () => k.optim.adamw(P, G, M, k.zeros([n + 1]), 1, hp),
          ShapeError,
          /must have as many elements/,
          'size',
        );
        await assertRejects(() => k.optim.clipGradNorm([G], 0), ArgumentError, /maxNorm = 0/, 'maxNorm');
      } finally {
        k.destroy();
      }
    });
  }

  return s;
}

function assertEqualZero(a: ArrayLike<number>, label: string): void {
  for (let i = 0; i < a.length; i++) assert(a[i] === 0, `${label}: element ${i} is ${a[i]}`);
}
