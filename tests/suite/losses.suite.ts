// CLIP / SigLIP losses (spec §3) with gradients (the optimiser's tests are in optim.suite.ts).
// Tolerances are Burn-style |x − y| ≤ max(rel·|x + y|, abs), stated per test.
import {
  ArgumentError,
  init,
  ShapeError,
  type InitOptions,
  type LossOptions,
  type LossVariant,
  type Kernels,
  type Tensor,
} from '@m4kit/kernels';
import {
  clipLoss,
  lossStatusError,
  ref,
  siglipLoss,
  type GpuContext,
  type GpuTensor,
  gpuContextOf,
} from '@m4kit/kernels/advanced';
import { assert, assertClose, assertRejects, randArray, rng, Suite, type Env, type Tol } from './harness.js';
import { clipVectors, siglipVectors } from './loss-vectors.js';

type Kind = 'clip' | 'siglip';

interface Grads {
  loss: number;
  dU: ArrayLike<number>;
  dW: ArrayLike<number>;
  dt: number;
  db: number;
}

/** |x − y| ≤ max(rel·|x + y|, absFrac·max|expected|): relative, with an absolute floor scaled to the data. */
export function scaled(expected: ArrayLike<number>, rel: number, absFrac: number, absMin = 0): Tol {
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i]));
  return { rel, abs: Math.max(absFrac * m, absMin) };
}

function refGrads(
  kind: Kind,
  U: ArrayLike<number>,
  W: ArrayLike<number>,
  N: number,
  d: number,
  t: number,
  b: number,
  opts: ref.LossRefOptions = {},
): Grads {
  if (kind === 'clip') {
    const r = ref.clipLossRef(U, W, N, d, t, opts);
    return { loss: r.loss, dU: r.dU, dW: r.dW, dt: r.dt, db: 0 };
  }
  const r = ref.siglipLossRef(U, W, N, d, t, b, opts);
  return { loss: r.loss, dU: r.dU, dW: r.dW, dt: r.dt, db: r.db };
}

function refLoss(
  kind: Kind,
  U: ArrayLike<number>,
  W: ArrayLike<number>,
  N: number,
  d: number,
  t: number,
  b: number,
  opts: ref.LossRefOptions = {},
): number {
  return refGrads(kind, U, W, N, d, t, b, opts).loss;
}

async function gpuGrads(
  kind: Kind,
  ctx: GpuContext,
  U: Float32Array,
  W: Float32Array,
  N: number,
  d: number,
  t: number | GpuTensor,
  b: number | GpuTensor,
  opts: LossOptions = {},
): Promise<Grads & { peakBytes: number; blockRows: number }> {
  const Ut = ctx.tensor(U, [N, d]);
  const Wt = ctx.tensor(W, [N, d]);
  const r = kind === 'clip' ? await clipLoss(ctx, Ut, Wt, t, opts) : await siglipLoss(ctx, Ut, Wt, t, b, opts);
  const out = {
    loss: (await r.loss.read())[0],
    dU: await r.dU.read(),
    dW: await r.dW.read(),
    dt: (await r.dt.read())[0],
    db: 'db' in r ? (await (r as { db: GpuTensor }).db.read())[0] : 0,
    peakBytes: r.peakBytes,
    blockRows: r.blockRows,
  };
  for (const x of [Ut, Wt, r.loss, r.dU, r.dW, r.dt, r.status]) x.dispose();
  if ('db' in r) (r as { db: GpuTensor }).db.dispose();
  return out;
}

function assertFinite(a: ArrayLike<number>, label: string): void {
  for (let i = 0; i < a.length; i++) assert(Number.isFinite(a[i]), `${label}: element ${i} is ${a[i]}`);
}

function compareGrads(got: Grads, want: Grads, kind: Kind, tol: { rel: number; absFrac: number }, label: string): void {
  assertClose([got.loss], [want.loss], { rel: tol.rel, abs: tol.absFrac * Math.abs(want.loss) }, `${label} loss`);
  assertClose(got.dU, want.dU, scaled(want.dU, tol.rel, tol.absFrac), `${label} dU`);
  assertClose(got.dW, want.dW, scaled(want.dW, tol.rel, tol.absFrac), `${label} dW`);
  const sc = Math.max(Math.abs(want.dt), Math.abs(want.db), 1e-12);
  assertClose([got.dt], [want.dt], { rel: tol.rel, abs: tol.absFrac * sc }, `${label} dt`);
  if (kind === 'siglip') assertClose([got.db], [want.db], { rel: tol.rel, abs: tol.absFrac * sc }, `${label} db`);
}

/** Unit-ish random rows (entries U(−1, 1)); the seeded PRNG keeps every runtime on the same data. */
export function data(seed: number, N: number, d: number): { U: Float32Array; W: Float32Array } {
  const r = rng(seed);
  return { U: randArray(r, N * d), W: randArray(r, N * d) };
}

export function lossSuite(env: Env): Suite {
  const s = new Suite(`losses[${env.runtime}]`);
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

  // ------------------------------------------------------------------ spec vectors (§4.2, §4.3)
  s.test('spec §4.2/§4.3 vectors: float64 references to 1e-6 relative', () => {
    const tol = (x: ArrayLike<number>) => scaled(x, 1e-6, 1e-6, 1e-12);
    for (const [k, v] of clipVectors.entries()) {
      const [N, d] = [v.U.length, v.U[0].length];
      const r = ref.clipLossRef(v.U.flat(), v.W.flat(), N, d, v.t);
      assertClose([r.loss], [v.loss], { rel: 1e-6, abs: 0 }, `clip[${k}] loss`);
      assertClose([r.dt], [v.dt], { rel: 1e-6, abs: 0 }, `clip[${k}] dt`);
      assertClose(r.Z, v.Z.flat(), tol(v.Z.flat()), `clip[${k}] Z`);
      assertClose(r.dU, v.dU.flat(), tol(v.dU.flat()), `clip[${k}] dU`);
      assertClose(r.dW, v.dW.flat(), tol(v.dW.flat()), `clip[${k}] dW`);
    }
    for (const [k, v] of siglipVectors.entries()) {
      const [N, d] = [v.U.length, v.U[0].length];
      const r = ref.siglipLossRef(v.U.flat(), v.W.flat(), N, d, v.t_prime, v.b);
      assertClose([r.loss], [v.loss], { rel: 1e-6, abs: 0 }, `siglip[${k}] loss`);
      assertClose([r.dt], [v.dt_prime], { rel: 1e-6, abs: 0 }, `siglip[${k}] dt'`);
      assertClose([r.db], [v.db], { rel: 1e-6, abs: 0 }, `siglip[${k}] db`);
      assertClose(r.Z, v.Z.flat(), tol(v.Z.flat()), `siglip[${k}] Z`);
      assertClose(r.dU, v.dU.flat(), tol(v.dU.flat()), `siglip[${k}] dU`);
      assertClose(r.dW, v.dW.flat(), tol(v.dW.flat()), `siglip[${k}] dW`);
    }
    // ∂L/∂Z printed in §4.2 / §4.3 (8 decimals)
    const dZclip = [
      [-0.00202621, 0.00019079, 0.00000022],
      [0.00952643, -0.00771979, 0.00000125],
      [0.00000022, 0.00003438, -0.00000731],
    ].flat();
    const c0 = clipVectors[0];
    assertClose(
      ref.clipLossRef(c0.U.flat(), c0.W.flat(), 3, 4, c0.t).dZ,
      dZclip,
      { rel: 0, abs: 5e-9 },
      'clip ∂L/∂Z (§4.2)',
    );
    const dZsig = [
      [-0.09045109, 0.15141748, 0.08964714],
      [0.19710071, -0.10360638, 0.09762924],
      [0.08964714, 0.13196096, -0.09018943],
    ].flat();
    assertClose(
      ref.siglipLossRef(c0.U.flat(), c0.W.flat(), 3, 4, Math.log(2), -1).dZ,
      dZsig,
      { rel: 0, abs: 5e-9 },
      'siglip ∂L/∂Z (§4.3, t′ = ln 2, b = −1)',
    );
  });

  for (const variant of ['materialized', 'tiled'] as LossVariant[]) {
    s.test(`spec vectors on the GPU (${variant}): loss and every gradient to 1e-4`, async () => {
      const ctx = await main();
      // rel 1e-4; abs floor 1e-4 × the largest entry of that output (entries ≪ max are float32 round-off)
      const tol = { rel: 1e-4, absFrac: 1e-4 };
      const opts: LossOptions = { variant, blockRows: 2 };
      for (const [k, v] of clipVectors.entries()) {
        const [N, d] = [v.U.length, v.U[0].length];
        const g = await gpuGrads(
          'clip',
          ctx,
          Float32Array.from(v.U.flat()),
          Float32Array.from(v.W.flat()),
          N,
          d,
          v.t,
          0,
          opts,
        );
        compareGrads(
          g,
          { loss: v.loss, dU: v.dU.flat(), dW: v.dW.flat(), dt: v.dt, db: 0 },
          'clip',
          tol,
          `clip[${k}] ${variant}`,
        );
      }
      for (const [k, v] of siglipVectors.entries()) {
        const [N, d] = [v.U.length, v.U[0].length];
        const g = await gpuGrads(
          'siglip',
          ctx,
          Float32Array.from(v.U.flat()),
          Float32Array.from(v.W.flat()),
          N,
          d,
          v.t_prime,
          v.b,
          opts,
        );
        compareGrads(
          g,
          { loss: v.loss, dU: v.dU.flat(), dW: v.dW.flat(), dt: v.dt_prime, db: v.db },
          'siglip',
          tol,
          `siglip[${k}] ${variant}`,
        );
      }
    });
  }

  // ------------------------------------------------------------------ finite differences
  const fdCases: [number, number, number][] = [
    [3, 2, 1],
    [5, 3, 2],
    [17, 8, 3],
    [64, 32, 4],
  ];
  for (const kind of ['clip', 'siglip'] as Kind[]) {
    for (const weighted of [false, true]) {
      s.test(
        `${kind}${weighted ? ' weighted' : ''}: GPU gradients vs central finite differences of the float64 loss`,
        async () => {
          const ctx = await main();
          for (const [N, d, seed] of fdCases) {
            const { U, W } = data(100 + seed, N, d);
            const r = rng(200 + seed);
            const t = kind === 'clip' ? 1 + 2 * r() : 0.5 + 2 * r();
            const b = kind === 'clip' ? 0 : -3 * r();
            const wts: number[] | undefined = weighted
              ? Array.from({ length: N }, (_, i) => (i % 4 === 0 ? 0 : 0.2 + 2 * r()))
              : undefined;
            if (wts && !wts.some((w) => w > 0)) wts[0] = 1;
            const o = { weights: wts };
            const L = (u: ArrayLike<number>, w: ArrayLike<number>, tt: number, bb: number) =>
              refLoss(kind, u, w, N, d, tt, bb, o);
            const h = 1e-6;
            const want = refGrads(kind, U, W, N, d, t, b, o);
            const got = await gpuGrads(kind, ctx, U, W, N, d, t, b, {
              weights: wts,
              variant: N > 8 ? 'tiled' : 'materialized',
              blockRows: Math.max(1, Math.ceil(N / 3)),
            });
            // FD (float64, h = 1e-6, error ~1e-9) vs reference gradient: rel 1e-5, abs 1e-7 × max|grad| (checks the reference)
            // FD vs GPU gradient: rel 1e-3, abs 2e-4 × max|grad| (float32 kernels)
            const check = (fd: number, refG: number, gpuG: number, scale: number, label: string) => {
              assertClose([refG], [fd], { rel: 1e-5, abs: Math.max(1e-7 * scale, 1e-9) }, `${label} ref vs FD`);
              assertClose([gpuG], [fd], { rel: 1e-3, abs: Math.max(2e-4 * scale, 1e-7) }, `${label} GPU vs FD`);
            };
            for (const [name, X, gRef, gGpu] of [
              ['U', U, want.dU, got.dU],
              ['W', W, want.dW, got.dW],
            ] as const) {
              const scale = scaled(gRef, 0, 1).abs;
              const Xp = Float64Array.from(X);
              const coords =
                N * d <= 48 ? [...Array(N * d).keys()] : Array.from({ length: 16 }, () => Math.floor(r() * N * d));
              for (const c of coords) {
                const x0 = Xp[c];
                Xp[c] = x0 + h;
                const lp = name === 'U' ? L(Xp, W, t, b) : L(U, Xp, t, b);
                Xp[c] = x0 - h;
                const lm = name === 'U' ? L(Xp, W, t, b) : L(U, Xp, t, b);
                Xp[c] = x0;
                check((lp - lm) / (2 * h), gRef[c], gGpu[c], scale, `${kind} N=${N} d=${d} d${name}[${c}]`);
              }
              // one random direction covers every coordinate at once
              const dir = Float64Array.from({ length: N * d }, () => r() * 2 - 1);
              const plus = Xp.map((x, i) => x + h * dir[i]);
              const minus = Xp.map((x, i) => x - h * dir[i]);
              const fd =
                name === 'U'
                  ? (L(plus, W, t, b) - L(minus, W, t, b)) / (2 * h)
                  : (L(U, plus, t, b) - L(U, minus, t, b)) / (2 * h);
              let gr = 0,
                gg = 0,
                sc = 0;
              for (let i = 0; i < N * d; i++) {
                gr += gRef[i] * dir[i];
                gg += gGpu[i] * dir[i];
                sc += Math.abs(gRef[i] * dir[i]);
              }
              check(fd, gr, gg, sc, `${kind} N=${N} d=${d} d${name}·v`);
            }
            const st = Math.max(Math.abs(want.dt), Math.abs(want.db), 1e-3);
            check((L(U, W, t + h, b) - L(U, W, t - h, b)) / (2 * h), want.dt, got.dt, st, `${kind} N=${N} d=${d} dt`);
            if (kind === 'siglip')
              check((L(U, W, t, b + h) - L(U, W, t, b - h)) / (2 * h), want.db, got.db, st, `${kind} N=${N} d=${d} db`);
            assertClose([got.loss], [want.loss], { rel: 1e-5, abs: 1e-6 }, `${kind} N=${N} d=${d} loss`);
          }
        },
      );
    }
  }

  s.test(
    'weights ≡ 1 give the unweighted loss; weights scale-invariant; a zero-weight pair only acts as a negative',
    async () => {
      const ctx = await main();
      const [N, d] = [9, 5];
      const { U, W } = data(7, N, d);
      for (const kind of ['clip', 'siglip'] as Kind[]) {
        const a = await gpuGrads(kind, ctx, U, W, N, d, 2, -2);
        const b = await gpuGrads(kind, ctx, U, W, N, d, 2, -2, { weights: new Array(N).fill(1) });
        const c = await gpuGrads(kind, ctx, U, W, N, d, 2, -2, {
          weights: ctx.tensor(new Float32Array(N).fill(3.5), [N]),
        });
        compareGrads(b, a, kind, { rel: 1e-5, absFrac: 1e-5 }, `${kind} ω≡1`);
        compareGrads(c, a, kind, { rel: 1e-5, absFrac: 1e-5 }, `${kind} ω≡3.5 (GPU tensor)`);
        const w = Array.from({ length: N }, (_, i) => (i === 4 ? 0 : 1 + (i % 3)));
        const e = await gpuGrads(kind, ctx, U, W, N, d, 2, -2, { weights: w });
        compareGrads(
          e,
          refGrads(kind, U, W, N, d, 2, -2, { weights: w }),
          kind,
          { rel: 1e-4, absFrac: 1e-4 },
          `${kind} ω with a zero`,
        );
      }
    },
  );

  // ------------------------------------------------------------------ tiled vs materialized
  const agreeCases: [number, number][] = [
    [1, 8],
    [2, 8],
    [7, 8],
    [64, 16],
    [1000, 8],
    [4099, 4],
  ];
  for (const kind of ['clip', 'siglip'] as Kind[]) {
    s.test(
      `${kind}: tiled (3+ row blocks, transposed and direct layouts) and materialized agree, N ∈ {1, 2, 7, 64, 1000, 4099}`,
      async () => {
        const ctx = await main();
        for (const [N, d] of agreeCases) {
          const { U, W } = data(300 + N, N, d);
          const t = kind === 'clip' ? Math.log(1 / 0.07) : Math.log(10);
          const b = kind === 'clip' ? 0 : -10;
          const m = await gpuGrads(kind, ctx, U, W, N, d, t, b, { variant: 'materialized' });
          const tl = await gpuGrads(kind, ctx, U, W, N, d, t, b, {
            variant: 'tiled',
            blockRows: Math.max(1, Math.ceil(N / 3) - 1),
          });
          assert(
            (m.blockRows === N && tl.blockRows < N) || N === 1,
            `${kind} N=${N}: plans ${m.blockRows} / ${tl.blockRows}`,
          );
          // same float32 arithmetic in a different block order: rel 1e-4, abs 1e-4 × max
          compareGrads(tl, m, kind, { rel: 1e-4, absFrac: 1e-4 }, `${kind} N=${N} tiled vs materialized`);
          if (N <= 1000) {
            // matmul with transB / transA instead of explicit transposes
            const dr = await gpuGrads(kind, ctx, U, W, N, d, t, b, {
              variant: 'tiled',
              layout: 'direct',
              blockRows: Math.max(1, Math.ceil(N / 2)),
            });
            compareGrads(dr, m, kind, { rel: 1e-4, absFrac: 1e-4 }, `${kind} N=${N} direct layout vs materialized`);
          }
          if (N <= 1000)
            compareGrads(
              m,
              refGrads(kind, U, W, N, d, t, b),
              kind,
              { rel: 1e-4, absFrac: 2e-4 },
              `${kind} N=${N} vs float64`,
            );
        }
      },
    );
  }

  s.test('tiled plan under a 1 MiB binding cap: N = 2048 runs in blocks, materialized is a ShapeError', async () => {
    const ctx = await get({ maxBindingSize: 1 << 20 });
    const [N, d] = [2048, 8];
    const { U, W } = data(41, N, d);
    const g = await gpuGrads('clip', ctx, U, W, N, d, 2.5, 0, {});
    assert(g.blockRows * N * 4 <= 1 << 20, `block of ${g.blockRows} rows exceeds the cap`);
    assert(g.peakBytes < (N * N * 4) / 2, `peak ${g.peakBytes} B is not below the ${N}×${N} logits`);
    const main_ = await main();
    const m = await gpuGrads('clip', main_, U, W, N, d, 2.5, 0, { variant: 'materialized' });
    compareGrads(g, m, 'clip', { rel: 1e-4, absFrac: 1e-4 }, 'capped tiled vs materialized');
    await assertRejects(
      () => clipLoss(ctx, ctx.tensor(U, [N, d]), ctx.tensor(W, [N, d]), 2.5, { variant: 'materialized' }),
      ShapeError,
      /materialized variant needs the 2048×2048 logits/,
      'materialized over the cap',
    );
    const s2 = await gpuGrads('siglip', ctx, U, W, N, d, 1, -5, {});
    const s3 = await gpuGrads('siglip', main_, U, W, N, d, 1, -5, { variant: 'materialized' });
    compareGrads(s2, s3, 'siglip', { rel: 1e-4, absFrac: 1e-4 }, 'capped siglip');
  });

  s.test('pipeline cache: new N, d and block sizes compile nothing new', async () => {
    const ctx = await main();
    const run = async (N: number, d: number, B: number) => {
      const { U, W } = data(N, N, d);
      await gpuGrads('clip', ctx, U, W, N, d, 1, 0, { variant: 'tiled', blockRows: B });
      await gpuGrads('siglip', ctx, U, W, N, d, 1, 0, { variant: 'tiled', blockRows: B });
    };
    await run(6, 3, 2);
    const before = ctx.pipelineCount;
    await run(33, 5, 7);
    await run(100, 4, 40);
    assert(ctx.pipelineCount === before, `pipelines grew from ${before} to ${ctx.pipelineCount}`);
  });

  // ------------------------------------------------------------------ extremes and errors
  s.test(
    'extremes stay finite and match float64: τ = 100 (clamped), near-duplicates, SigLIP |logits| ~ 1e4',
    async () => {
      const ctx = await main();
      const [N, d] = [12, 6];
      const r = rng(77);
      const base = randArray(r, d);
      const U = new Float32Array(N * d);
      const W = new Float32Array(N * d);
      for (let i = 0; i < N; i++)
        for (let c = 0; c < d; c++) {
          U[i * d + c] = base[c] + 1e-3 * (r() - 0.5);
          W[i * d + c] = base[c] + 1e-3 * (r() - 0.5);
        }
      for (const variant of ['materialized', 'tiled'] as LossVariant[]) {
        const o: LossOptions = { variant, blockRows: 5 };
        // t above ln 100: τ clamps to 100 and ∂L/∂t = 0
        const c1 = await gpuGrads('clip', ctx, U, W, N, d, Math.log(100) + 1, 0, o);
        for (const [k, v] of Object.entries(c1))
          assertFinite(typeof v === 'number' ? [v] : (v as ArrayLike<number>), `clip τ=100 ${k}`);
        assert(c1.dt === 0, `clamped t must get ∂L/∂t = 0, got ${c1.dt}`);
        // near-duplicates at τ = 100: cosines differ by ~1e-6, so compare against float64 on the same f32 inputs loosely
        compareGrads(
          c1,
          refGrads('clip', U, W, N, d, Math.log(100) + 1, 0),
          'clip',
          { rel: 1e-2, absFrac: 2e-2 },
          `clip τ=100 near-dup ${variant}`,
        );
        // orthogonal-ish random rows at τ = 100: logits spread over ±100
        const { U: U2, W: W2 } = data(78, N, d);
        const c2 = await gpuGrads('clip', ctx, U2, W2, N, d, Math.log(100), 0, o);
        compareGrads(
          c2,
          refGrads('clip', U2, W2, N, d, Math.log(100), 0),
          'clip',
          { rel: 1e-4, absFrac: 1e-4 },
          `clip τ=100 random ${variant}`,
        );
        for (const [tp, b] of [
          [Math.log(10), 1e4],
          [Math.log(10), -1e4],
          [Math.log(1e4), 0],
          [Math.log(1e4), -5e3],
        ]) {
          const g = await gpuGrads('siglip', ctx, U2, W2, N, d, tp, b, o);
          for (const [k, v] of Object.entries(g))
            assertFinite(typeof v === 'number' ? [v] : (v as ArrayLike<number>), `siglip t′=${tp} b=${b} ${k}`);
          compareGrads(
            g,
            refGrads('siglip', U2, W2, N, d, tp, b),
            'siglip',
            { rel: 1e-4, absFrac: 1e-4 },
            `siglip t′=${tp.toFixed(2)} b=${b} ${variant}`,
          );
        }
      }
    },
  );

  s.test(
    'zero-norm and non-finite rows, bad weights and bad scalars are typed errors (never NaN outputs)',
    async () => {
      const ctx = await main();
      const [N, d] = [6, 4];
      const { U, W } = data(5, N, d);
      const Uz = U.slice();
      Uz.fill(0, 2 * d, 3 * d);
      const Wz = W.slice();
      Wz.fill(0, 4 * d, 5 * d);
      const Un = U.slice();
      Un[7] = NaN;
      const T = (a: Float32Array) => ctx.tensor(a, [N, d]);
      for (const variant of ['materialized', 'tiled'] as LossVariant[]) {
        const o: LossOptions = { variant, blockRows: 2 };
        await assertRejects(
          () => clipLoss(ctx, T(Uz), T(W), 1, o),
          ArgumentError,
          /U \(first at row 2\) has a zero .* L2 norm/,
          `clip zero U ${variant}`,
        );
        await assertRejects(
          () => siglipLoss(ctx, T(U), T(Wz), 1, -1, o),
          ArgumentError,
          /W \(first at row 4\) has a zero/,
          `siglip zero W ${variant}`,
        );
        await assertRejects(
          () => clipLoss(ctx, T(Un), T(W), 1, o),
          ArgumentError,
          /U \(first at row 1\) has a zero .* or non-finite/,
          `clip NaN U ${variant}`,
        );
      }
      // check: false hands back the status word instead
      const r = await clipLoss(ctx, T(Uz), T(W), 1, { check: false });
      const err = lossStatusError('clipLoss', await r.status.read());
      assert(err instanceof ArgumentError && /row 2/.test(err.message), `status word: ${err?.message}`);
      assertFinite(await r.dU.read(), 'dU with a zero row (flagged) holds no NaN');
      assertFinite(await r.loss.read(), 'loss with a zero row (flagged) holds no NaN');
      await assertRejects(
        () => clipLoss(ctx, T(U), T(W), 1, { weights: [1, 1, -1, 1, 1, 1] }),
        ArgumentError,
        /weights\[2\] = -1/,
        'negative weight (host)',
      );
      await assertRejects(
        () => clipLoss(ctx, T(U), T(W), 1, { weights: ctx.tensor([1, 1, 1, NaN, 1, 1], [N]) }),
        ArgumentError,
        /weights must be finite/,
        'NaN weight (device)',
      );
      await assertRejects(
        () => siglipLoss(ctx, T(U), T(W), 1, 0, { weights: ctx.tensor(new Float32Array(N), [N]) }),
        ArgumentError,
        /Σω > 0/,
        'zero weights (device)',
      );
      await assertRejects(
        () => siglipLoss(ctx, T(U), T(W), 1, 0, { weights: [1, 2] }),
        ShapeError,
        /weights has 2 entries, expected N = 6/,
        'weights length',
      );
      await assertRejects(
        () => clipLoss(ctx, T(U), T(W), NaN),
        ArgumentError,
        /t = NaN must be finite/,
        'NaN t (host)',
      );
      await assertRejects(
        () => siglipLoss(ctx, T(U), T(W), 1, ctx.tensor([Infinity], [1])),
        ArgumentError,
        /must be finite/,
        'Inf b (device)',
      );
      await assertRejects(
        () => siglipLoss(ctx, T(U), T(W), 200, 0),
        ArgumentError,
        /exp\(t\) overflows/,
        'exp(t′) overflow',
      );
      await assertRejects(
        () => clipLoss(ctx, T(U), ctx.tensor(W.subarray(0, 5 * d), [5, d]), 1),
        ShapeError,
        /U \[6, 4\] and W \[5, 4\] must both be \[N, d\]/,
        'shape mismatch',
      );
      await assertRejects(
        () => clipLoss(ctx, T(U), T(W), 1, { variant: 'nope' as LossVariant }),
        ArgumentError,
        /unknown variant "nope"/,
        'variant',
      );
      let threw = false;
      try {
        ref.clipLossRef(Uz, W, N, d, 1);
      } catch (e) {
        threw = e instanceof ArgumentError && /U row 2/.test((e as Error).message);
      }
      assert(threw, 'reference rejects a zero row too');
    },
  );

  s.test('t and b as device tensors give the same result as numbers', async () => {
    const ctx = await main();
    const [N, d] = [10, 7];
    const { U, W } = data(9, N, d);
    const a = await gpuGrads('siglip', ctx, U, W, N, d, 0.7, -3);
    const b = await gpuGrads('siglip', ctx, U, W, N, d, ctx.tensor([0.7], [1]), ctx.tensor([-3], [1]));
    compareGrads(b, a, 'siglip', { rel: 1e-6, absFrac: 1e-6 }, 'tensor scalars');
    const c = await gpuGrads('clip', ctx, U, W, N, d, 2.2, 0);
    const e = await gpuGrads('clip', ctx, U, W, N, d, ctx.tensor([2.2], [1]), 0);
    compareGrads(e, c, 'clip', { rel: 1e-6, absFrac: 1e-6 }, 'tensor t');
  });

  // ------------------------------------------------------------------ the Kernels surface, both backends
  for (const backend of ['webgpu', 'cpu'] as const) {
    s.test(`k.losses (${backend}): clip and siglip, weights and tensor scalars vs float64; status`, async () => {
      const k: Kernels = await init({ backend });
      try {
        const [N, d] = [37, 9];
        const { U, W } = data(404, N, d);
        const w = Array.from({ length: N }, (_, i) => 0.5 + (i % 3));
        const [Ut, Wt] = [k.tensor(U, [N, d]), k.tensor(W, [N, d])];
        const c = await k.losses.clip(Ut, Wt, k.tensor([2.1], [1]), { weights: k.tensor(w, [N]) });
        const sg = await k.losses.siglip(Ut, Wt, 1.5, -2, { weights: w });
        const rc = refGrads('clip', U, W, N, d, 2.1, 0, { weights: w });
        const rs = refGrads('siglip', U, W, N, d, 1.5, -2, { weights: w });
        // WebGPU: float32 (as the GPU tests above); CPU: the reference itself
        const tol = backend === 'cpu' ? { rel: 1e-12, absFrac: 0 } : { rel: 1e-4, absFrac: 1e-4 };
        const grads = async (r: { loss: Tensor; dU: Tensor; dW: Tensor; dt: Tensor; db?: Tensor }): Promise<Grads> => ({
          loss: (await r.loss.read())[0],
          dU: await r.dU.read(),
          dW: await r.dW.read(),
          dt: (await r.dt.read())[0],
          db: r.db ? (await r.db.read())[0] : 0,
        });
        compareGrads(await grads(c), rc, 'clip', tol, `${backend} clip`);
        compareGrads(await grads(sg), rs, 'siglip', tol, `${backend} siglip`);
        assert(!('db' in c), 'clip has no db');
        assert((await c.status.read())[0] === 0, 'clean status');
        const Z = k.tensor(new Float32Array(N * d), [N, d]);
        await assertRejects(() => k.losses.clip(Z, Wt, 2), ArgumentError, /zero/, 'zero rows');
        const short = k.tensor(W.subarray(d), [N - 1, d]);
        await assertRejects(() => k.losses.clip(Ut, short, 2), ShapeError, /must both be \[N, d\]/, 'shapes');
      } finally {
        k.destroy();
      }
    });
  }

  return s;
}
