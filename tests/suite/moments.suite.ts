// M4 second-order statistics on the GPU (ops/moments/hessian.ts) against the float64 reference, on every runtime;
// the `k.moments` surface on both backends.
import { ArgumentError, init, ref, ShapeError, type Kernels } from '@m4kit/kernels';
import * as ext from '@m4kit/kernels';
import { assert, assertClose, assertRejects, randArray, rng, Suite, type Env } from './harness.js';

export function momentsSuite(env: Env): Suite {
  const s = new Suite(`moments[${env.runtime}]`);
  let kp: Promise<Kernels> | undefined;
  const main = () => (kp ??= init({ backend: 'webgpu' }));

  interface Opts {
    seed: number;
    u?: number;
    w?: boolean;
    probs?: boolean;
    big?: boolean;
    stride?: number;
  }
  /** One random instance; returns the worst |GPU − float64| / scale for the record. */
  const hessianCase = async (k: Kernels, n: number, m: number, c: number, o: Opts) => {
    const ctx = k.gpu!;
    const r = rng(o.seed);
    const S = new Float32Array(n * m);
    for (let i = 0; i < n; i++) {
      if (o.probs) for (let j = 0; j < m; j++) S[i * m + j] = Math.fround(r());
      else S[i * m + Math.floor(r() * m)] = 1;
    }
    const Y = Float32Array.from({ length: n * c }, () => (o.probs ? Math.fround(r()) : r() < 0.3 ? 1 : 0));
    // utilities wide enough that a share of the rows is clipped at 0 and at 1 (those rows must not count)
    const u = o.u ? randArray(r, n, o.u) : undefined;
    const w = o.w ? Float32Array.from({ length: n }, () => (o.big ? 1e4 : 1) * (1 + Math.floor(r() * 50))) : undefined;
    const W = Array.from(randArray(r, m * (c + 1), 0.3));
    const pi = Array.from({ length: m }, () => 1 / m);
    const prm = { W, pi, mu: 0.02, eta: 0.55, stride: o.stride };
    const chunk = {
      S: ctx.tensor(S, [n, m]),
      Y: ctx.tensor(Y, [n, c]),
      u: u && ctx.tensor(u, [n]),
      w: w && ctx.tensor(w, [n]),
    };
    const t = ext.momentsHessianPass(ctx, chunk, prm);
    const got = ext.foldHessianPartials(await t.read(), m, c);
    t.dispose();
    const exp = ref.hessianRef({ n, m, c, S, Y, u, w }, prm);
    // f32 products summed in f32 within a block (≤ a few thousand rows), blocks in f64: relative 1e-4 of the
    // largest possible entry (Σ w, since |z_j| ≤ 1) is far above the rounding (~rows·2⁻²⁴) and far below any
    // wrong row in or out of the free set (a whole row is ≥ w_min·z² ≈ 1/(#rows) of the scale here).
    let sumW = 0;
    for (let i = 0; i < n; i += o.stride ?? 1) sumW += w ? w[i] : 1;
    const label = `hessian n=${n} m=${m} c=${c} ${JSON.stringify({ ...o, seed: undefined })}`;
    assertClose(got, exp, { rel: 1e-5, abs: 2e-6 * Math.max(1, sumW) }, label);
    // symmetric, and the (µ, µ) entry is the free rows' weight to better than one row (w ≥ 1): a row wrongly in or out
    // of the free set fails here even when the other entries hide it
    const K = m * (c + 1) + 1;
    for (let a = 0; a < K; a++) {
      for (let b = 0; b < a; b++) assert(got[a * K + b] === got[b * K + a], `${label}: not symmetric at (${a}, ${b})`);
    }
    const dw = Math.abs(got[K * K - 1] - exp[K * K - 1]);
    const msg = `${label}: Σ_free w = ${got[K * K - 1]}, expected ${exp[K * K - 1]}`;
    if (!o.big) assert(dw <= 1e-6 * exp[K * K - 1] + 1e-3, msg);
    return exp[K * K - 1];
  };

  s.test('hessian: Σ_free w z zᵀ vs float64, random shapes, non-tile-multiple n, clipped rows excluded', async () => {
    const k = await main();
    let seed = 300;
    for (const [n, m, c] of [
      [1, 1, 0],
      [1, 2, 3],
      [7, 2, 1],
      [257, 3, 2],
      [1025, 2, 10],
      [4099, 4, 7],
      [3001, 2, 5],
    ]) {
      await hessianCase(k, n, m, c, { seed: seed++ });
      const free = await hessianCase(k, n, m, c, { seed: seed++, u: 0.8, w: true });
      if (n > 100) assert(free > 0, `n=${n}: the clipped-rows case has no free row (test would not exercise the sum)`);
    }
  });
  s.test('hessian: probabilistic attributes/labels, K at the specialisation limit, large weights', async () => {
    const k = await main();
    await hessianCase(k, 600, 3, 4, { seed: 320, probs: true, u: 0.3 });
    await hessianCase(k, 300, 3, 41, { seed: 321 }); // K = 3·42 + 1 = 127 = HESSIAN_MAX_K
    await hessianCase(k, 3000, 2, 3, { seed: 322, w: true, big: true, u: 0.5 });
  });
  s.test('hessian: strided sub-sample (rows 0, s, 2s, …) vs float64', async () => {
    const k = await main();
    for (const [n, stride] of [
      [1, 3],
      [10, 3],
      [5001, 7],
      [3000, 1000],
    ]) {
      await hessianCase(k, n, 2, 4, { seed: 330 + stride, u: 0.6, w: true, stride });
    }
  });
  s.test('hessian: empty chunk gives zeros; K above the limit and bad W are typed errors', async () => {
    const k = await main();
    const ctx = k.gpu!;
    const empty = { S: ctx.tensor(new Float32Array(0), [0, 2]), Y: ctx.tensor(new Float32Array(0), [0, 3]) };
    const z = ext.momentsHessianPass(ctx, empty, { W: new Float32Array(8), pi: [0.5, 0.5], mu: 0, eta: 0.5 });
    const H = ext.foldHessianPartials(await z.read(), 2, 3);
    assert(H.length === 81 && H.every((x) => x === 0), 'empty chunk: expected a zero 9×9 matrix');
    const S = ctx.tensor(new Float32Array(4), [2, 2]);
    const prm = (len: number) => ({ W: new Float32Array(len), pi: [0.5, 0.5], mu: 0, eta: 0.5 });
    const Y63 = ctx.tensor(new Float32Array(2 * 63), [2, 63]);
    const h = ext.momentsHessianPass;
    await assertRejects(() => h(ctx, { S, Y: Y63 }, prm(128)), ArgumentError, /exceeds 127/, 'K too large');
    const Y2 = ctx.tensor(new Float32Array(4), [2, 2]);
    await assertRejects(() => h(ctx, { S, Y: Y2 }, prm(5)), ShapeError, /expected m×\(c\+1\) = 6/, 'W');
  });
  for (const backend of ['webgpu', 'cpu'] as const) {
    s.test(
      `Kernels surface (${backend}): k.moments.pass / hessian vs float64, qOut, stride, typed errors`,
      async () => {
        const k: Kernels = await init({ backend });
        try {
          const r = rng(340);
          const [n, m, c] = [257, 3, 5];
          const S = new Float32Array(n * m);
          for (let i = 0; i < n; i++) S[i * m + Math.floor(r() * m)] = 1;
          const Y = Float32Array.from({ length: n * c }, () => (r() < 0.3 ? 1 : 0));
          const u = randArray(r, n, 0.6);
          const w = Float32Array.from({ length: n }, () => 1 + Math.floor(r() * 50));
          const W = Array.from(randArray(r, m * (c + 1), 0.3));
          const pi = Array.from({ length: m }, () => 1 / m);
          const chunk = { S: k.tensor(S, [n, m]), Y: k.tensor(Y, [n, c]), u: k.tensor(u, [n]), w: k.tensor(w, [n]) };
          const qOut = k.zeros([n]);
          const prm = { W, pi, mu: 0.02, eta: 0.55 };
          const part = k.moments.pass(chunk, { ...prm, qOut });
          const got = ext.foldMomentsPartials(await part.read(), m, c);
          const exp = ref.momentsRef({ n, m, c, S, Y, u, w }, prm);
          // f32 Kahan sums on WebGPU (as the kernels suite); the CPU backend is the float64 reference itself
          const sumW = w.reduce((a, b) => a + b, 0);
          const tol = backend === 'cpu' ? { rel: 1e-12, abs: 1e-12 * sumW } : { rel: 1e-5, abs: 1e-6 * sumW };
          assertClose(got, exp.sums, tol, `${backend} k.moments.pass sums`);
          const qTol = backend === 'cpu' ? { rel: 1e-12, abs: 1e-12 } : { rel: 1e-5, abs: 1e-6 };
          assertClose(await qOut.read(), exp.q, qTol, `${backend} k.moments.pass q`);
          const h = k.moments.hessian(chunk, { ...prm, stride: 3 });
          const H = ext.foldHessianPartials(await h.read(), m, c);
          const expH = ref.hessianRef({ n, m, c, S, Y, u, w }, { ...prm, stride: 3 });
          const hTol = backend === 'cpu' ? { rel: 1e-12, abs: 1e-12 * sumW } : { rel: 1e-5, abs: 2e-6 * sumW };
          assertClose(H, expH, hTol, `${backend} k.moments.hessian (stride 3)`);
          const K = m * (c + 1) + 1;
          assert(expH[K * K - 1] > 0, 'some rows are free (the Hessian sum is exercised)');
          await assertRejects(
            () => k.moments.pass(chunk, { ...prm, W: W.slice(1) }),
            ShapeError,
            /expected m×\(c\+1\) = 18/,
            `${backend} pass: bad W`,
          );
          await assertRejects(
            () => k.moments.hessian(chunk, { ...prm, stride: 0 }),
            ArgumentError,
            /stride must be an integer/,
            `${backend} hessian: bad stride`,
          );
        } finally {
          k.destroy();
        }
      },
    );
  }
  return s;
}
