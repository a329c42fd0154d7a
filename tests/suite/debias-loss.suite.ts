// The BA bank loss (spec §2.4) on the GPU: `debiasLoss` against its float64 reference, the spec §4.7 vectors
// and central finite differences. Tolerances are Burn-style |x − y| ≤ max(rel·|x + y|, abs), stated per test.
import { ArgumentError, init, ShapeError, type DebiasLossOptions, type Kernels } from '@m4kit/kernels';
import { debiasLoss, ref, type GpuContext, gpuContextOf } from '@m4kit/kernels/advanced';
import { assert, assertClose, assertRejects, randArray, rng, Suite, type Env, type Tol } from './harness.js';

type Hyper = { tau: number; alpha: number; mix: number };

/** abs floor = absFrac × the largest |expected| (entries ≪ max are float32 round-off) */
function scaled(expected: ArrayLike<number>, rel: number, absFrac: number): Tol {
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i]));
  return { rel, abs: Math.max(absFrac * m, 1e-12) };
}

interface Case {
  B: number;
  Q: number;
  D: number;
  R: 3 | 4;
  h: Hyper;
  xI: Float32Array;
  xT: Float32Array;
  bI: Float32Array;
  bT: Float32Array;
  qI: Float32Array;
  qT: Float32Array;
}

function randomCase(seed: number, B: number, Q: number, D: number, R: 3 | 4, h: Hyper, scale = 1): Case {
  const r = rng(seed);
  const m = (n: number) => randArray(r, n, scale);
  return { B, Q, D, R, h, xI: m(B * R * D), xT: m(B * R * D), bI: m(B * D), bT: m(B * D), qI: m(Q * D), qT: m(Q * D) };
}

function refOf(c: Case, xI: ArrayLike<number> = c.xI, xT: ArrayLike<number> = c.xT): ref.DebiasLossRefResult {
  const bankI = Float64Array.from([...c.bI, ...c.qI]);
  const bankT = Float64Array.from([...c.bT, ...c.qT]);
  return ref.debiasLossRef(xI, xT, bankI, bankT, c.B, c.R, c.B + c.Q, c.D, c.h);
}

async function gpuOf(ctx: GpuContext, c: Case, opts: Partial<DebiasLossOptions> = {}) {
  const t = (x: Float32Array, rows: number) => ctx.tensor(x, [rows, c.D]);
  const ins = [t(c.xI, c.B * c.R), t(c.xT, c.B * c.R), t(c.bI, c.B), t(c.qI, c.Q), t(c.bT, c.B), t(c.qT, c.Q)];
  const [xI, xT, bI, qI, bT, qT] = ins;
  const segI = c.Q > 0 ? [bI, qI] : [bI];
  const segT = c.Q > 0 ? [bT, qT] : [bT];
  try {
    const r = await debiasLoss(ctx, { xI, xT, bankI: segI, bankT: segT }, { ...c.h, rowsPerItem: c.R, ...opts });
    const out = { ...r, dIv: await r.dI.read(), dTv: await r.dT.read() };
    r.dI.dispose();
    r.dT.dispose();
    return out;
  } finally {
    for (const x of ins) x.dispose();
  }
}

type Got = Awaited<ReturnType<typeof gpuOf>>;

function compare(got: Got, want: ref.DebiasLossRefResult, rel: number, absFrac: number, label: string): void {
  for (const k of ['ba', 'i2t', 't2i', 'total'] as const) {
    assertClose([got[k]], [want[k]], { rel, abs: absFrac * Math.max(1, Math.abs(want[k])) }, `${label} ${k}`);
  }
  assertClose(got.dIv, want.dI, scaled(want.dI, rel, absFrac), `${label} dI`);
  assertClose(got.dTv, want.dT, scaled(want.dT, rel, absFrac), `${label} dT`);
}

// spec §4.7 (B = 2, Q = 3, D = 4, τ = 0.07, α = 0.3), rows already unit
const V = {
  fI: [
    [0.18651688, -0.19597346, 0.9500471, 0.15561606],
    [-0.30849493, 0.20824458, 0.75098079, 0.54542913],
  ],
  fT: [
    [-0.44626868, -0.80245799, -0.39524505, 0.02620657],
    [-0.84660572, -0.07966788, -0.45366941, -0.26663807],
  ],
  qI: [
    [-0.42337962, -0.24605022, 0.32020782, 0.81097222],
    [-0.08212136, 0.87303946, -0.42499577, 0.22458132],
    [0.60535249, 0.0629911, -0.4981671, -0.61758402],
  ],
  qT: [
    [-0.39823599, 0.19157674, -0.87839986, -0.18198939],
    [-0.22740981, 0.77245146, 0.30658243, 0.50755368],
    [-0.36050871, -0.0714665, 0.43226923, 0.82344965],
  ],
  gI: [
    [-0.50166196, 0.60320766, 0.53625049, 0.31130565],
    [0.10675237, -0.12672071, 0.58855684, 0.79129428],
  ],
  gT1: [
    [0.70325191, 0.51333888, 0.13950022, -0.47165627],
    [-0.00297142, 0.43794437, -0.85948543, 0.26359191],
  ],
  gT2: [
    [0.27136843, 0.43940446, -0.74752123, -0.41772588],
    [-0.19857997, -0.53226506, 0.7914201, -0.22564158],
  ],
};
const SPEC = {
  ba: 0.48705069,
  i2t: 2.35473916,
  t2i: { cf: 21.81268978, factual: 11.46360597 },
  total: { cf: 3.96604982, factual: 2.41368725 },
};

function specCase(branch: 'cf' | 'factual'): Case {
  const gTs = branch === 'cf' ? V.gT2 : V.gT1;
  const xI: number[] = [];
  const xT: number[] = [];
  for (let i = 0; i < 2; i++) {
    xI.push(...V.fI[i].map((f, t) => f - V.gI[i][t]), ...gTs[i], ...V.fT[i]);
    xT.push(...V.fT[i].map((f, t) => f - V.gT1[i][t]), ...V.gI[i], ...V.fI[i]);
  }
  const f = (a: number[][]) => Float32Array.from(a.flat());
  return {
    B: 2,
    Q: 3,
    D: 4,
    R: 3,
    h: { tau: 0.07, alpha: 0.3, mix: 0 },
    xI: Float32Array.from(xI),
    xT: Float32Array.from(xT),
    bI: f(V.fI),
    bT: f(V.fT),
    qI: f(V.qI),
    qT: f(V.qT),
  };
}

export function debiasLossSuite(env: Env): Suite {
  const s = new Suite(`debias-loss[${env.runtime}]`);
  let ctxP: Promise<GpuContext> | null = null;
  const main = () => (ctxP ??= init({ backend: 'webgpu' }).then((k) => gpuContextOf(k)!));

  s.test('spec §4.7 vectors: float64 reference to 1e-6 relative, GPU (1-column tiles) to 1e-5', async () => {
    const ctx = await main();
    for (const branch of ['cf', 'factual'] as const) {
      const c = specCase(branch);
      const want = refOf(c);
      const exp = { ba: SPEC.ba, i2t: SPEC.i2t, t2i: SPEC.t2i[branch], total: SPEC.total[branch] };
      for (const k of ['ba', 'i2t', 't2i', 'total'] as const) {
        // the spec prints 8 decimals of float64 values computed from the same 8-decimal inputs
        assertClose([want[k]], [exp[k]], { rel: 1e-6, abs: 0 }, `${branch} ref ${k}`);
      }
      for (const tileCols of [1, 2, 5]) {
        const got = await gpuOf(ctx, c, { tileCols });
        for (const k of ['ba', 'i2t', 't2i', 'total'] as const)
          assertClose([got[k]], [exp[k]], { rel: 1e-5, abs: 1e-6 }, `${branch} GPU Tc=${tileCols} ${k}`);
        // gradients: rel 1e-4, abs 1e-4 × max|∂| (float32 exp/log and sums)
        assertClose(got.dIv, want.dI, scaled(want.dI, 1e-4, 1e-4), `${branch} GPU Tc=${tileCols} dI`);
        assertClose(got.dTv, want.dT, scaled(want.dT, 1e-4, 1e-4), `${branch} GPU Tc=${tileCols} dT`);
      }
    }
  });

  // [B, Q, D, R, mix, tileCols, seed]; sizes that are not tile multiples, 1 row, empty queue, one-column tiles
  const shapes: [number, number, number, 3 | 4, number, number | undefined, number][] = [
    [1, 0, 3, 3, 0, undefined, 1],
    [1, 1, 5, 3, 0, 1, 2],
    [1, 9, 7, 4, 0.4, 4, 3],
    [3, 10, 5, 3, 0, 4, 4],
    [5, 37, 8, 4, 0.4, 7, 5],
    [7, 200, 16, 4, 0.4, 33, 6],
    [13, 129, 33, 3, 0, 64, 7],
    [33, 300, 12, 4, 0.25, undefined, 8],
  ];
  s.test('random shapes: GPU vs float64 reference (rel 1e-4, abs 1e-4 × max)', async () => {
    const ctx = await main();
    for (const [B, Q, D, R, mix, tileCols, seed] of shapes) {
      const c = randomCase(seed, B, Q, D, R, { tau: 0.07, alpha: 0.3, mix });
      const got = await gpuOf(ctx, c, { tileCols });
      compare(got, refOf(c), 1e-4, 1e-4, `B=${B} Q=${Q} D=${D} R=${R} mix=${mix} Tc=${tileCols ?? 'auto'}`);
      if (tileCols !== undefined) assert(got.tileCols === Math.min(tileCols, B + Q), `tileCols ${got.tileCols}`);
    }
  });

  s.test(
    'large logits (|z| up to ~1e3, τ = 0.01): finite and matching the reference (rel 1e-3, abs 1e-3 × max)',
    async () => {
      const ctx = await main();
      for (const [B, Q, D, seed] of [
        [4, 50, 6, 11],
        [9, 70, 10, 12],
      ]) {
        // entries U(−3, 3) → dot products of size ~10 → logits ~1e3; the online max keeps every exp() ≤ 1
        const c = randomCase(seed, B, Q, D, 4, { tau: 0.01, alpha: 0.3, mix: 0.4 }, 3);
        const want = refOf(c);
        const got = await gpuOf(ctx, c, { tileCols: 16 });
        for (const v of [got.ba, got.i2t, got.t2i, ...got.dIv, ...got.dTv])
          assert(Number.isFinite(v), `non-finite output ${v}`);
        // logits ~1e3 in float32 carry absolute error ~1e-4 each: losses of size ~1e2 agree to ~1e-3 relative
        compare(got, want, 1e-3, 1e-3, `large B=${B} Q=${Q}`);
      }
    },
  );

  s.test(
    'tiling does not change the result: 1-column tiles vs one tile ' +
      '(losses rel 1e-5; gradients rel 1e-4, abs 1e-4 × max)',
    async () => {
      const ctx = await main();
      const c = randomCase(21, 6, 45, 9, 4, { tau: 0.07, alpha: 0.3, mix: 0.4 });
      const a = await gpuOf(ctx, c, { tileCols: 1 });
      const b = await gpuOf(ctx, c, { tileCols: 1000 });
      assert(a.tiles === 51 && b.tiles === 2, `tiles ${a.tiles} / ${b.tiles}`);
      for (const k of ['ba', 'i2t', 't2i'] as const)
        assertClose([a[k]], [b[k]], { rel: 1e-5, abs: 1e-6 }, `tiling ${k}`);
      // 51 float32 partial products accumulated in a different order
      assertClose(a.dIv, b.dIv, scaled(b.dIv, 1e-4, 1e-4), 'tiling dI');
      assertClose(a.dTv, b.dTv, scaled(b.dTv, 1e-4, 1e-4), 'tiling dT');
      // the tiled plan allocates a fraction of the full logit matrix (B·R × N floats per bank)
      const full = 2 * 6 * 4 * 51 * 4;
      assert(
        a.peakBytes < b.peakBytes && a.peakBytes > 0,
        `peak bytes ${a.peakBytes} vs ${b.peakBytes} (full logits ${full} B)`,
      );
    },
  );

  s.test(
    'gradients vs central finite differences of the float64 loss (ref rel 1e-5; GPU rel 1e-3, abs 2e-4 × max)',
    async () => {
      const ctx = await main();
      for (const [B, Q, D, R, mix, seed] of [
        [2, 3, 4, 3, 0, 31],
        [3, 11, 5, 4, 0.4, 32],
        [1, 6, 3, 4, 0.4, 33],
      ] as const) {
        const c = randomCase(seed, B, Q, D, R, { tau: 0.2, alpha: 0.3, mix });
        const want = refOf(c);
        const got = await gpuOf(ctx, c, { tileCols: 4 });
        const h = 1e-6;
        for (const side of ['I', 'T'] as const) {
          const X = Float64Array.from(side === 'I' ? c.xI : c.xT);
          const gRef = side === 'I' ? want.dI : want.dT;
          const gGpu = side === 'I' ? got.dIv : got.dTv;
          const sc = scaled(gRef, 0, 1).abs;
          const L = () => (side === 'I' ? refOf(c, X, c.xT) : refOf(c, c.xI, X)).total;
          // only rows 0 and 1 of each item carry gradient (rows 2, 3 are the no-grad targets)
          for (let i = 0; i < B; i++)
            for (let r = 0; r < 2; r++)
              for (let t = 0; t < D; t++) {
                const at = (i * R + r) * D + t;
                const x0 = X[at];
                X[at] = x0 + h;
                const lp = L();
                X[at] = x0 - h;
                const lm = L();
                X[at] = x0;
                const fd = (lp - lm) / (2 * h);
                const g = (i * 2 + r) * D + t;
                const lab = `B=${B} d${side}[item ${i}, row ${r}, col ${t}]`;
                assertClose([gRef[g]], [fd], { rel: 1e-5, abs: Math.max(1e-7 * sc, 1e-9) }, `${lab} ref vs FD`);
                assertClose([gGpu[g]], [fd], { rel: 1e-3, abs: Math.max(2e-4 * sc, 1e-7) }, `${lab} GPU vs FD`);
              }
        }
      }
    },
  );

  s.test('bad input: typed errors naming the argument or row', async () => {
    const ctx = await main();
    const c = randomCase(41, 2, 3, 4, 3, { tau: 0.07, alpha: 0.3, mix: 0 });
    await assertRejects(() => gpuOf(ctx, c, { mix: 0.4 }), ArgumentError, /momentum rows/, 'mix without momentum rows');
    await assertRejects(() => gpuOf(ctx, c, { tau: 0 }), ArgumentError, /tau/, 'tau = 0');
    await assertRejects(() => gpuOf(ctx, c, { alpha: 2 }), ArgumentError, /alpha/, 'alpha = 2');
    await assertRejects(
      () => gpuOf(ctx, c, { rowsPerItem: 4 }),
      ShapeError,
      /multiple of rowsPerItem/,
      '6 rows, R = 4',
    );
    await assertRejects(() => gpuOf(ctx, c, { tileCols: 0 }), ArgumentError, /tileCols/, 'tileCols 0');
    const t = (n: number, d: number) => ctx.tensor(new Float32Array(n * d), [n, d]);
    await assertRejects(
      () =>
        debiasLoss(
          ctx,
          { xI: t(3, 4), xT: t(3, 4), bankI: [t(2, 4)], bankT: [t(3, 4)] },
          { tau: 0.07, alpha: 0.3, mix: 0, rowsPerItem: 3 },
        ),
      ShapeError,
      /segment 0/,
      'bank segments of different lengths',
    );
    await assertRejects(
      () =>
        debiasLoss(
          ctx,
          { xI: t(3, 4), xT: t(3, 4), bankI: [t(2, 5)], bankT: [t(2, 5)] },
          { tau: 0.07, alpha: 0.3, mix: 0, rowsPerItem: 3 },
        ),
      ShapeError,
      /D = 4/,
      'bank width',
    );
    const bad = { ...c, xI: c.xI.slice() };
    bad.xI[1 * 3 * 4 + 2] = NaN; // item 1
    await assertRejects(() => gpuOf(ctx, bad), ArgumentError, /batch row 1/, 'NaN input names the row');
  });

  for (const backend of ['webgpu', 'cpu'] as const) {
    s.test(`Kernels surface (${backend}): k.losses.debias vs float64 (segments, mix), typed errors`, async () => {
      const k: Kernels = await init({ backend });
      try {
        // WebGPU: rel 1e-4, abs 1e-4 × max (as the launcher's random shapes); CPU: the reference itself, 1e-12
        const [rel, absFrac] = backend === 'cpu' ? [1e-12, 1e-12] : [1e-4, 1e-4];
        for (const [B, Q, D, R, mix, seed] of [
          [1, 0, 3, 3, 0, 41],
          [5, 37, 8, 4, 0.4, 42],
        ] as [number, number, number, 3 | 4, number, number][]) {
          const c = randomCase(seed, B, Q, D, R, { tau: 0.07, alpha: 0.3, mix });
          const t = (x: Float32Array, rows: number) => k.tensor(x, [rows, D]);
          const bankI = Q > 0 ? [t(c.bI, B), t(c.qI, Q)] : [t(c.bI, B)];
          const bankT = Q > 0 ? [t(c.bT, B), t(c.qT, Q)] : [t(c.bT, B)];
          const inp = { xI: t(c.xI, B * R), xT: t(c.xT, B * R), bankI, bankT };
          const r = await k.losses.debias(inp, { ...c.h, rowsPerItem: R });
          const want = refOf(c);
          const label = `${backend} B=${B} Q=${Q} D=${D} R=${R}`;
          for (const key of ['ba', 'i2t', 't2i', 'total'] as const) {
            const tol = { rel, abs: absFrac * Math.max(1, Math.abs(want[key])) };
            assertClose([r[key]], [want[key]], tol, `${label} ${key}`);
          }
          assert(r.dI.shape.join() === `${2 * B},${D}`, `${label}: dI shape ${r.dI.shape}`);
          assertClose(await r.dI.read(), want.dI, scaled(want.dI, rel, absFrac), `${label} dI`);
          assertClose(await r.dT.read(), want.dT, scaled(want.dT, rel, absFrac), `${label} dT`);
          await assertRejects(
            () => k.losses.debias({ ...inp, bankT: [...bankT, t(c.bT, B)] }, { ...c.h, rowsPerItem: R }),
            ShapeError,
            /same number \(≥ 1\) of segments/,
            `${label}: segment mismatch`,
          );
          await assertRejects(
            () => k.losses.debias(inp, { ...c.h, tau: 0, rowsPerItem: R }),
            ArgumentError,
            /tau = 0 must be finite and > 0/,
            `${label}: tau`,
          );
          if (B > 1) {
            const bad = Float32Array.from(c.xI);
            bad[1 * R * D + 2] = NaN; // item 1
            await assertRejects(
              () => k.losses.debias({ ...inp, xI: t(bad, B * R) }, { ...c.h, rowsPerItem: R }),
              ArgumentError,
              /batch row 1: the loss is not finite/,
              `${label}: NaN input names the row`,
            );
          }
        }
      } finally {
        k.destroy();
      }
    });
  }
  return s;
}
