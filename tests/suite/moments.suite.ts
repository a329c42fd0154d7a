// M4 second-order statistics on the GPU (ops/moments/hessian.ts) against the float64 reference, on every runtime;
// the `k.moments` surface on both backends.
import { ArgumentError, init, ShapeError, type Kernels } from '@m4kit/kernels';
import { ref, gpuContextOf } from '@m4kit/kernels/advanced';
import * as ext from '@m4kit/kernels/advanced';
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
    const ctx = gpuContextOf(k)!;
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
    const ctx = gpuContextOf(k)!;
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
  // ---- compact row encodings (ops/moments/encode.ts) and the fused / split variants of the moments pass ----
  type Enc = { s: ext.SEncoding; y: ext.YEncoding };
  /** Binary S/Y (one-hot groups, 0/1 labels) bound in the given encoding. */
  const bind = (
    ctx: NonNullable<ReturnType<typeof gpuContextOf>>,
    d: { n: number; m: number; c: number; S: Float32Array; Y: Float32Array },
    e: Enc,
  ) => {
    const { n, m, c } = d;
    const S =
      e.s === 'f32'
        ? ctx.tensor(d.S, [n, m])
        : ctx.tensor(
            ext.packGroups(d.S, n, m, e.s === 'u8' ? 8 : 16),
            [ext.groupWords(n, e.s === 'u8' ? 8 : 16)],
            'u32',
          );
    const Y =
      e.y === 'f32' ? ctx.tensor(d.Y, [n, c]) : ctx.tensor(ext.packLabels(d.Y, n, c), [n, ext.labelWords(c)], 'u32');
    return { S, Y, sEnc: e.s, yEnc: e.y, m, c };
  };
  const encodings: Enc[] = [
    { s: 'f32', y: 'f32' },
    { s: 'u8', y: 'f32' },
    { s: 'u16', y: 'f32' },
    { s: 'f32', y: 'bits' },
    { s: 'u8', y: 'bits' },
    { s: 'u16', y: 'bits' },
  ];
  s.test(
    'moments: every row encoding × pass variant vs float64 (sums, q, Hessian); empty, 1-row, word edges',
    async () => {
      const k = await main();
      const ctx = gpuContextOf(k)!;
      const variants = ctx.variants;
      let seed = 400;
      try {
        // Every encoding at (m, c) = (2, 10) for n: empty, 1 row, not a multiple of 4 (u8 words) or 2 (u16 words),
        // several fused blocks (> 1024 rows), large weights; the label-word edges (c = 0, 32 = one full word, 33 =
        // just over) on the bit-packed encodings only (each (m, c, encoding) is a pipeline compile: ~2 s on lavapipe)
        const all = encodings;
        const bitsOnly = encodings.filter((e) => e.y === 'bits');
        for (const [n, m, c, big, encs] of [
          [0, 2, 10, 0, all],
          [1, 2, 10, 0, all],
          [7, 2, 10, 0, all],
          [2051, 2, 10, 0, all],
          [3001, 2, 10, 1, all],
          [1, 1, 0, 0, bitsOnly.slice(1, 2)],
          [33, 4, 32, 0, bitsOnly.slice(0, 2)],
          [514, 3, 33, 0, bitsOnly.slice(2)],
        ] as const) {
          const r = rng(seed++);
          const S = new Float32Array(n * m);
          for (let i = 0; i < n; i++) S[i * m + Math.floor(r() * m)] = 1;
          const Y = Float32Array.from({ length: n * c }, () => (r() < 0.3 ? 1 : 0));
          const u = randArray(r, n, 0.6);
          const w = Float32Array.from({ length: n }, () => (big ? 1e4 : 1) * (1 + Math.floor(r() * 50)));
          const W = Array.from(randArray(r, m * (c + 1), 0.3));
          const pi = Array.from({ length: m }, () => 1 / m);
          const prm = { W, pi, mu: 0.02, eta: 0.55 };
          const exp = ref.momentsRef({ n, m, c, S, Y, u, w }, prm);
          const sumW = w.reduce((a, b) => a + b, 0);
          const K = m * (c + 1) + 1;
          const expH = K <= ext.HESSIAN_MAX_K ? ref.hessianRef({ n, m, c, S, Y, u, w }, { ...prm, stride: 2 }) : null;
          for (const e of encs) {
            const ch = { ...bind(ctx, { n, m, c, S, Y }, e), u: ctx.tensor(u, [n]), w: ctx.tensor(w, [n]) };
            for (const v of e.s === 'f32' && e.y === 'f32' ? (['fused', 'split'] as const) : (['fused'] as const)) {
              variants['moments.pass'] = v;
              const label = `n=${n} m=${m} c=${c} S ${e.s} Y ${e.y} ${v}`;
              const qOut = ctx.empty([Math.max(1, n)]);
              const part = ext.momentsPass(ctx, ch, { ...prm, qOut: n ? qOut : undefined });
              const got = ext.foldMomentsPartials(await part.read(), m, c);
              // f32 Kahan sums per invocation and workgroup, blocks in float64 (as the kernels suite)
              assertClose(got, exp.sums, { rel: 1e-5, abs: 1e-6 * Math.max(1, sumW) }, `${label}: sums`);
              if (n) assertClose(await qOut.read(), exp.q, { rel: 1e-5, abs: 1e-6 }, `${label}: q`);
              part.dispose();
              qOut.dispose();
            }
            delete variants['moments.pass'];
            // categorical rows: the per-group kernel (default where it fits) and the tiled one; f32 S: tiled only
            const groups = e.s !== 'f32' && ext.hessianGroupOutputs(m, c) <= ext.HESSIAN_GROUPS_MAX;
            for (const hv of expH ? (groups ? (['groups', 'tiled'] as const) : (['tiled'] as const)) : []) {
              variants['moments.hessian'] = hv;
              assert(ext.hessianLayout(ctx, ch) === hv, `hessianLayout ${hv}`);
              const h = ext.momentsHessianPass(ctx, ch, { ...prm, stride: 2 });
              const raw = await h.read();
              h.dispose();
              const H =
                hv === 'groups' ? ext.foldHessianGroupPartials(raw, m, c, pi) : ext.foldHessianPartials(raw, m, c);
              const tol = { rel: 1e-5, abs: 2e-6 * Math.max(1, sumW) };
              assertClose(H, expH!, tol, `n=${n} m=${m} c=${c} S ${e.s} Y ${e.y}: Hessian (${hv})`);
            }
            delete variants['moments.hessian'];
            for (const t of [ch.S, ch.Y, ch.u, ch.w]) t.dispose();
          }
          if (n > 100) assert(expH === null || expH[K * K - 1] > 0, `n=${n}: some rows are free`);
        }
      } finally {
        delete variants['moments.pass'];
        delete variants['moments.hessian'];
      }
    },
  );
  s.test('moments: fixed q and probabilistic rows on the fused pass; R at the fused limit', async () => {
    const k = await main();
    const ctx = gpuContextOf(k)!;
    const r = rng(450);
    // probabilistic S and Y stay f32 (fused, the default at this R)
    const [n, m, c] = [1500, 3, 4];
    const S = Float32Array.from({ length: n * m }, () => Math.fround(r()));
    const Y = Float32Array.from({ length: n * c }, () => Math.fround(r()));
    const W = Array.from(randArray(r, m * (c + 1), 0.3));
    const pi = [0.3, 0.3, 0.4];
    for (const fixedQ of [undefined, 1]) {
      const prm = { W, pi, mu: 0.01, eta: 0.5, fixedQ };
      const part = ext.momentsPass(ctx, { S: ctx.tensor(S, [n, m]), Y: ctx.tensor(Y, [n, c]) }, prm);
      const got = ext.foldMomentsPartials(await part.read(), m, c);
      const exp = ref.momentsRef({ n, m, c, S, Y }, prm);
      assertClose(got, exp.sums, { rel: 1e-5, abs: 1e-6 * n }, `probabilistic rows, fixedQ ${fixedQ}`);
    }
    // (m+1)(c+1)+2 = 256 = FUSED_MAX_R: m = 1, c = 126 (four label words), bits
    const [n2, m2, c2] = [300, 1, 126];
    assert((m2 + 1) * (c2 + 1) + 2 === ext.FUSED_MAX_R, 'the case sits at the fused limit');
    const S2 = new Float32Array(n2).fill(1);
    const Y2 = Float32Array.from({ length: n2 * c2 }, () => (r() < 0.1 ? 1 : 0));
    const prm2 = { W: Array.from(randArray(r, c2 + 1, 0.05)), pi: [1], mu: 0, eta: 0.5 };
    const ch = bind(ctx, { n: n2, m: m2, c: c2, S: S2, Y: Y2 }, { s: 'u8', y: 'bits' });
    const part = ext.momentsPass(ctx, ch, prm2);
    const exp = ref.momentsRef({ n: n2, m: m2, c: c2, S: S2, Y: Y2 }, prm2);
    assertClose(ext.foldMomentsPartials(await part.read(), m2, c2), exp.sums, { rel: 1e-5, abs: 1e-6 * n2 }, 'R = 256');
  });
  s.test(
    'moments: compact encodings: packing errors name row and column; wrong shapes and variants are typed errors',
    async () => {
      const k = await main();
      const ctx = gpuContextOf(k)!;
      const bad = () => ext.packGroups(Float32Array.from([1, 0, 0, 0.5]), 2, 2, 8);
      assert(
        ext.isOneHot(Float32Array.from([1, 0, 0, 1]), 2, 2) && !ext.isOneHot(Float32Array.from([1, 1]), 1, 2),
        'isOneHot',
      );
      assert(
        ext.isBinary(Float32Array.from([0, 1, 1]), 3) && !ext.isBinary(Float32Array.from([0, 0.5]), 2),
        'isBinary',
      );
      await assertRejects(async () => bad(), ArgumentError, /not one-hot at row 1, column 1: 0.5/, 'packGroups 0.5');
      await assertRejects(
        async () => ext.packGroups(Float32Array.from([1, 1]), 1, 2, 8),
        ArgumentError,
        /row 0, column 1: a second 1/,
        'packGroups two ones',
      );
      await assertRejects(
        async () => ext.packGroups(Float32Array.from([1, 0, 0, 0]), 2, 2, 8),
        ArgumentError,
        /row 1, column 0: the row has no 1/,
        'packGroups empty row',
      );
      await assertRejects(
        async () => ext.packLabels(Float32Array.from([0, 1, 2]), 1, 3),
        ArgumentError,
        /Y is not 0\/1 at row 0, column 2: 2/,
        'packLabels',
      );
      const G = ext.packGroups(Float32Array.from([0, 1, 1, 0, 0, 1]), 3, 2, 16);
      assert([0, 1, 2].map((i) => ext.groupAt(G, i, 16)).join() === '1,0,1', 'u16 round trip');
      const S = ctx.tensor(new Uint32Array(1), [1], 'u32');
      const Y = ctx.tensor(new Uint32Array(4), [4, 1], 'u32');
      const prm = { W: new Float32Array(2 * 6), pi: [0.5, 0.5], mu: 0, eta: 0.5 };
      await assertRejects(
        async () => ext.momentsPass(ctx, { S, Y, sEnc: 'u8', yEnc: 'bits', m: 2, c: 40 }, prm),
        ShapeError,
        /must be \[rows, 2\] for c = 40/,
        'bits Y words',
      );
      await assertRejects(
        async () => ext.momentsPass(ctx, { S, Y, sEnc: 'u8', yEnc: 'bits', m: 2 }, prm),
        ArgumentError,
        /needs the label count c/,
        'bits Y without c',
      );
      const Y5 = ctx.tensor(new Uint32Array(5), [5, 1], 'u32');
      await assertRejects(
        async () => ext.momentsPass(ctx, { S, Y: Y5, sEnc: 'u8', yEnc: 'bits', m: 2, c: 5 }, prm),
        ShapeError,
        /fewer than 5 u8 group indices/,
        'packed S too short',
      );
      const variants = ctx.variants;
      try {
        variants['moments.pass'] = 'split';
        await assertRejects(
          async () => ext.momentsPass(ctx, { S, Y, sEnc: 'u8', yEnc: 'bits', m: 2, c: 5 }, prm),
          ArgumentError,
          /need the fused pass/,
          'compact on split',
        );
        variants['moments.hessian'] = 'groups';
        const S2 = ctx.tensor(new Float32Array(2 * 2), [2, 2]);
        const Y2 = ctx.tensor(new Float32Array(2 * 3), [2, 3]);
        await assertRejects(
          async () => ext.momentsHessianPass(ctx, { S: S2, Y: Y2 }, { ...prm, W: new Float32Array(8) }),
          ArgumentError,
          /groups variant needs group indices/,
          'groups Hessian on f32 S',
        );
        delete variants['moments.hessian'];
        variants['moments.pass'] = 'fused';
        const Sf = ctx.tensor(new Float32Array(2 * 2), [2, 2]);
        const Yf = ctx.tensor(new Float32Array(2 * 100), [2, 100]);
        await assertRejects(
          async () => ext.momentsPass(ctx, { S: Sf, Y: Yf }, { ...prm, W: new Float32Array(2 * 101) }),
          ArgumentError,
          /fused pass needs \(m\+1\)\(c\+1\)\+2 ≤ 256, got 305/,
          'fused above the limit',
        );
      } finally {
        delete variants['moments.pass'];
        delete variants['moments.hessian'];
      }
    },
  );
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
          const prm = { W, pi, mu: 0.02, eta: 0.55 };
          // the folded sums, repacked as the raw [P = D + π gᵀ, g, Σw, Σo] of the reference
          const sums = await k.moments.pass(chunk, prm);
          const c1 = c + 1;
          const g = [sums.sumQ, ...sums.qy];
          const got = [
            ...Array.from(sums.D, (d, j) => d + pi[Math.floor(j / c1)] * g[j % c1]),
            ...g,
            sums.sumW,
            sums.obj,
          ];
          const exp = ref.momentsRef({ n, m, c, S, Y, u, w }, prm);
          // f32 Kahan sums on WebGPU (as the kernels suite); the CPU backend is the float64 reference itself
          const sumW = w.reduce((a, b) => a + b, 0);
          const tol = backend === 'cpu' ? { rel: 1e-12, abs: 1e-12 * sumW } : { rel: 1e-5, abs: 1e-6 * sumW };
          assertClose(got, exp.sums, tol, `${backend} k.moments.pass sums`);
          const qTol = backend === 'cpu' ? { rel: 1e-12, abs: 1e-12 } : { rel: 1e-5, abs: 1e-6 };
          assertClose(await k.moments.q(chunk, prm), exp.q, qTol, `${backend} k.moments.pass q`);
          const H = await k.moments.hessian(chunk, { ...prm, stride: 3 });
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
