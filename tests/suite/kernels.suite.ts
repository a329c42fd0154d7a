import {
  ArgumentError,
  DeviceLostError,
  GpuContext,
  GpuValidationError,
  init,
  isCI,
  MATMUL_VARIANTS,
  NoAdapterError,
  ref,
  ShapeError,
  type InitOptions,
  type Kernels,
  type MatmulVariant,
  type Tensor,
} from '@m4kit/kernels';
import * as ext from '@m4kit/kernels';
import { assert, assertClose, assertEqualArrays, assertRejects, randArray, rng, Suite, TOL, type Env, type Tol } from './harness.js';

/** Binding cap that forces the row-chunking path on small inputs. */
const CHUNK_CAP = 4096;

export function kernelSuite(env: Env): Suite {
  const s = new Suite(`kernels[${env.runtime}]`);
  const contexts = new Map<string, Promise<Kernels>>();
  const get = (opts: InitOptions = {}): Promise<Kernels> => {
    const key = JSON.stringify(opts);
    if (!contexts.has(key)) contexts.set(key, init({ backend: 'webgpu', ...opts }));
    return contexts.get(key)!;
  };
  const main = () => get();
  const chunked = () => get({ maxBindingSize: CHUNK_CAP });

  s.test('adapter: a WebGPU adapter exists (required under CI)', async () => {
    let k: Kernels;
    try {
      k = await main();
    } catch (e) {
      if (e instanceof NoAdapterError && !isCI()) throw new Error(`no adapter on ${env.runtime} (outside CI this is reported, not skipped): ${e.message}`);
      throw e;
    }
    assert(k.backend === 'webgpu', 'backend is webgpu');
    assert(k.gpu !== null && k.gpu.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024, 'adapter max binding size was requested');
  });

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
        for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as [boolean, boolean][]) {
          const a = randArray(r, M * K);
          const b = randArray(r, K * N);
          const A = k.tensor(a, ta ? [K, M] : [M, K]);
          const B = k.tensor(b, tb ? [N, K] : [K, N]);
          const C = k.matmul(A, B, { transA: ta, transB: tb, variant });
          assertEqualArrays(C.shape, [M, N], 'output shape');
          const expected = ref.matmulRef(a, b, { batch: 1, M, K, N, transA: ta, transB: tb });
          assertClose(await C.read(), expected, { rel: mmTol.rel, abs: mmTol.abs * Math.sqrt(K + 1) }, `${variant} ${M}x${K}x${N} ta=${ta} tb=${tb}`);
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
      assertClose(await C.read(), ref.matmulRef(a, b, { batch: 1, M, K, N }), { rel: 1e-4, abs: 1e8 * 1e-4 * Math.sqrt(K) }, 'large');
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
      assertClose(await Ct.read(), ref.matmulRef(a, bt, { batch: 1, M, K, N, transB: true }), mmTol, `chunked A·Bᵀ ${variant}`);
      // Aᵀ·B with K = 300 rows shared: accumulates across K chunks
      const x = randArray(r, 300 * 6);
      const y = randArray(r, 300 * 4);
      const G = k.matmul(k.tensor(x, [300, 6]), k.tensor(y, [300, 4]), { variant, transA: true });
      assertClose(await G.read(), ref.matmulRef(x, y, { batch: 1, M: 6, K: 300, N: 4, transA: true }), { rel: 1e-5, abs: 1e-4 }, `chunked Aᵀ·B ${variant}`);
    }
  });
  s.test('matmul: shape mismatch is a ShapeError naming both shapes', async () => {
    const k = await main();
    const A = k.tensor(new Float32Array(6), [2, 3]);
    const B = k.tensor(new Float32Array(8), [4, 2]);
    await assertRejects(() => k.matmul(A, B), ShapeError, /\[2, 3\].*\[4, 2\].*inner dimensions differ \(3 vs 4\)/, 'mismatch');
    await assertRejects(() => k.matmul(A, A, { transB: true, variant: 'nope' as MatmulVariant }), ArgumentError, /unknown variant "nope"/, 'variant');
  });
  s.test('pipeline cache: a new batch size or shape does not compile a new pipeline', async () => {
    const k = await main();
    const ctx = k.gpu!;
    const r = rng(15);
    const run = async (M: number) => {
      const C = k.matmul(k.tensor(randArray(r, M * 8), [M, 8]), k.tensor(randArray(r, 8 * 4), [8, 4]), { variant: 'simple' });
      await C.read();
    };
    await run(3);
    const before = ctx.pipelineCount;
    await run(77);
    await run(1000);
    assert(ctx.pipelineCount === before, `pipelines grew from ${before} to ${ctx.pipelineCount}`);
  });

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
            assertClose(await y.read(), exp, { rel: 1e-5, abs: 1e-4 * Math.sqrt(Math.max(rows, cols)) }, `${op} axis=${axis} [${rows},${cols}]`);
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
      assertClose(await k.logsumexp(k.tensor(x, [rows, cols]), axis).read(), ref.reduceRef(x, rows, cols, 'logsumexp', axis), { rel: 1e-6, abs: 1e-3 }, `lse axis ${axis}`);
      assertClose(await k.softmax(k.tensor(x, [rows, cols]), axis).read(), ref.softmaxRef(x, rows, cols, axis), { rel: 1e-3, abs: 1e-5 }, `softmax axis ${axis}`);
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

  // ---------------------------------------------------------------- softmax
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

  // ---------------------------------------------------------------- normalize
  s.test('l2normalize forward/backward: odd shapes, zero row, chunked, large values', async () => {
    for (const k of [await main(), await chunked()]) {
      const r = rng(40);
      for (const [rows, cols, sc] of [[1, 1, 1], [0, 3, 1], [7, 13, 1], [300, 5, 1], [5, 9, 1e18]] as [number, number, number][]) {
        const x = randArray(r, rows * cols, sc);
        if (rows > 2) x.fill(0, cols, 2 * cols); // a zero row
        const g = randArray(r, rows * cols);
        const X = k.tensor(x, [rows, cols]);
        assertClose(await k.l2normalize(X).read(), ref.l2normalizeRef(x, rows, cols), { rel: 1e-5, abs: 1e-6 }, `fwd [${rows},${cols}] x${sc}`);
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

  // ---------------------------------------------------------------- elementwise
  s.test('elementwise scale / axpy / clip: sizes 0, 1, odd, large, chunked', async () => {
    for (const k of [await main(), await chunked()]) {
      const r = rng(50);
      for (const n of [0, 1, 1023, 300001]) {
        if (k === (await chunked()) && n > 5000) continue;
        const x = randArray(r, n, 10);
        const y = randArray(r, n, 10);
        const X = k.tensor(x, [n]);
        const Y = k.tensor(y, [n]);
        assertClose(await k.scale(X, -2.5).read(), ref.scaleRef(x, -2.5), TOL.f32, `scale n=${n}`);
        assertClose(await k.axpy(0.75, X, Y).read(), ref.axpyRef(0.75, x, y), TOL.f32, `axpy n=${n}`);
        assertClose(await k.clip(X, -1, 2).read(), ref.clipRef(x, -1, 2), TOL.exact, `clip n=${n}`);
      }
    }
  });
  s.test('elementwise: axpy shape mismatch and clip lo > hi are typed errors', async () => {
    const k = await main();
    const X = k.tensor([1, 2, 3], [3]);
    const Y = k.tensor([1, 2], [2]);
    await assertRejects(() => k.axpy(1, X, Y), ShapeError, /\[3\].*\[2\]/, 'axpy');
    await assertRejects(() => k.clip(X, 2, 1), ArgumentError, /lo \(2\) > hi \(1\)/, 'clip');
  });

  // ---------------------------------------------------------------- f16 storage + cast
  s.test('f16 tensors: upload/read round to nearest even (saturating), cast f32↔f16 vs float64, chunked; or a typed error without shader-f16', async () => {
    const r = rng(55);
    // host conversion: exact binary16 cases (ties to even, subnormals, saturation)
    const cases: [number, number][] = [[1, 0x3c00], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65504, 0x7bff], [1e6, 0x7bff], [-1e6, 0xfbff], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -26, 0x0001], [-0, 0x8000], [2 ** -14, 0x0400]];
    for (const [x, bits] of cases) assert(ext.f32ToF16Bits(x) === bits, `f32ToF16Bits(${x}) = 0x${ext.f32ToF16Bits(x).toString(16)}, expected 0x${bits.toString(16)}`);
    for (const k of [await main(), await chunked()]) {
      const ctx = k.gpu!;
      if (!ctx.features.f16) {
        await assertRejects(() => ctx.tensor([1, 2], [2], 'f16'), ArgumentError, /shader-f16/, 'f16 tensor without the feature');
        await assertRejects(() => ext.cast(ctx, ctx.tensor([1, 2], [2]), 'f16'), ArgumentError, /shader-f16/, 'cast without the feature');
        continue;
      }
      for (const n of [0, 1, 7, 1025, 5001]) {
        const x = randArray(r, n, 100);
        if (n > 4) x.set([70000, -70000, 3e-6, -65504], 0); // saturate, subnormal, max
        const want = Array.from(x, ext.roundToF16);
        // upload converts on the host: exact
        assertEqualArrays(await ctx.tensor(x, [n], 'f16').read(), want, `f16 round trip n=${n}`);
        // GPU f32 → f16: WGSL may round to either neighbour, so within one f16 ulp: rel 2^-11 of |x+y|, abs 2^-24
        const h = ext.cast(ctx, ctx.tensor(x, [n]), 'f16');
        assert(h.dtype === 'f16' && h.shape.join() === String(n), `cast shape/dtype n=${n}`);
        const got = await h.read();
        assertClose(got, want, { rel: 2 ** -11, abs: 2 ** -24 }, `cast f32→f16 n=${n}`);
        // f16 → f32 is exact
        assertEqualArrays(await ext.cast(ctx, h, 'f32').read(), got, `cast f16→f32 n=${n}`);
      }
      // an f16 tensor given to an f32 kernel is a typed error, not halves read as floats
      await assertRejects(() => k.scale(ctx.tensor([1, 2, 3], [3], 'f16') as never, 2), ArgumentError, /f16 tensor .* cast/, 'f16 into scale');
    }
  });

  // ---------------------------------------------------------------- topk
  s.test('topk: random rows, ties by lower index, k = cols, empty, chunked', async () => {
    for (const k of [await main(), await chunked()]) {
      const r = rng(60);
      for (const [rows, cols, kk, ties] of [[1, 1, 1, false], [0, 5, 2, false], [9, 37, 5, false], [300, 6, 6, false], [13, 50, 10, true]] as [number, number, number, boolean][]) {
        const x = randArray(r, rows * cols, 100);
        if (ties) for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] / 40);
        const { values, indices } = k.topk(k.tensor(x, [rows, cols]), kk);
        const exp = ref.topkRef(x, rows, cols, kk);
        assertEqualArrays(await indices.read(), exp.indices, `topk indices [${rows},${cols}] k=${kk}`);
        assertClose(await values.read(), exp.values, TOL.exact, `topk values [${rows},${cols}] k=${kk}`);
      }
      await assertRejects(() => k.topk(k.tensor([1, 2], [1, 2]), 3), ArgumentError, /k must be an integer in \[1, 2\]/, 'k > cols');
    }
  });

  // ---------------------------------------------------------------- M4 moments
  const momentsCase = async (k: Kernels, n: number, m: number, c: number, opts: { u?: boolean; w?: boolean; fixedQ?: number; probs?: boolean; noQ?: boolean; seed: number }) => {
    const ctx = k.gpu!;
    const r = rng(opts.seed);
    const S = new Float32Array(n * m);
    for (let i = 0; i < n; i++) {
      if (opts.probs) for (let j = 0; j < m; j++) S[i * m + j] = Math.fround(r());
      else S[i * m + Math.floor(r() * m)] = 1;
    }
    const Y = Float32Array.from({ length: n * c }, () => (opts.probs ? Math.fround(r()) : r() < 0.3 ? 1 : 0));
    const u = opts.u ? randArray(r, n, 0.2) : undefined;
    const w = opts.w ? Float32Array.from({ length: n }, () => 1 + Math.floor(r() * 50)) : undefined;
    const W = Array.from(randArray(r, m * (c + 1), 0.5));
    const pi = Array.from({ length: m }, () => 1 / m);
    const prm = { W, pi, mu: 0.05, eta: 0.6, fixedQ: opts.fixedQ };
    const qOut = opts.noQ ? undefined : ctx.empty([n]);
    const part = await ext.momentsPass(ctx, { S: ctx.tensor(S, [n, m]), Y: ctx.tensor(Y, [n, c]), u: u && ctx.tensor(u, [n]), w: w && ctx.tensor(w, [n]) }, { ...prm, qOut }).read();
    const got = ext.foldMomentsPartials(part, m, c);
    const exp = ref.momentsRef({ n, m, c, S, Y, u, w }, prm);
    const scale = (w ? 25 : 1) * Math.max(1, n);
    assertClose(got, exp.sums, { rel: 1e-5, abs: 1e-6 * scale }, `moments sums n=${n} m=${m} c=${c} ${JSON.stringify({ ...opts, seed: undefined })}`);
    if (n > 0 && qOut) assertClose(await qOut.read(), exp.q, { rel: 1e-5, abs: 1e-6 }, 'moments q');
  };
  s.test('moments: fused M4 pass (q, Σq(s−π)⊗[1,y], objective) vs float64, odd shapes', async () => {
    const k = await main();
    let seed = 70;
    for (const [n, m, c] of [[1, 1, 1], [0, 2, 3], [6, 2, 2], [257, 2, 10], [1000, 3, 7], [300, 16, 40]] as [number, number, number][]) {
      await momentsCase(k, n, m, c, { seed: seed++ });
      await momentsCase(k, n, m, c, { seed: seed++, u: true, w: true });
    }
    await momentsCase(k, 50, 4, 5, { seed: 80, probs: true, u: true });
    await momentsCase(k, 40, 2, 3, { seed: 81, fixedQ: 1 });
  });
  s.test('moments: pass without qOut (regression: writable Z and Q bindings aliased)', async () => {
    const k = await main();
    await momentsCase(k, 33, 2, 3, { seed: 95, noQ: true });
    await momentsCase(k, 33, 2, 3, { seed: 96, noQ: true, u: true, w: true });
  });
  s.test('moments: c = 1024, m = 16 (the issue bound) and many blocks', async () => {
    const k = await main();
    await momentsCase(k, 70, 16, 1024, { seed: 90 });
    await momentsCase(k, 20000, 2, 3, { seed: 91, w: true });
  });
  s.test('moments: mismatched S/Y rows and W size are ShapeErrors', async () => {
    const k = await main();
    const ctx = k.gpu!;
    const S = ctx.tensor(new Float32Array(6), [3, 2]);
    const Y = ctx.tensor(new Float32Array(8), [4, 2]);
    await assertRejects(() => ext.momentsPass(ctx, { S, Y }, { W: new Float32Array(6), pi: [0.5, 0.5], mu: 0, eta: 0.5 }), ShapeError, /Y \[4, 2\] must be \[3, c\]/, 'rows');
    const Y2 = ctx.tensor(new Float32Array(6), [3, 2]);
    await assertRejects(() => ext.momentsPass(ctx, { S, Y: Y2 }, { W: new Float32Array(5), pi: [0.5, 0.5], mu: 0, eta: 0.5 }), ShapeError, /expected m×\(c\+1\) = 6/, 'W');
  });

  // ---------------------------------------------------------------- errors and lifetime
  s.test('errors: bad WGSL surfaces as GpuValidationError with the implementation message', async () => {
    const ctx = (await main()).gpu!;
    const err = await assertRejects(
      async () => {
        const p = ctx.pipeline('test:bad-wgsl', () => '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_symbol; }');
        ctx.submit('bad-wgsl', [{ op: 'bad', pipeline: p, bindings: [], workgroups: [1] }]);
        await ctx.sync();
      },
      GpuValidationError,
      /.+/,
      'bad wgsl',
    );
    assert(err.gpuMessage.length > 0, 'gpu message present');
    // the context stays usable after a validation error
    const k = await main();
    assertClose(await k.scale(k.tensor([1, 2], [2]), 2).read(), [2, 4], TOL.exact, 'usable after error');
  });
  s.test('errors: a destroyed device gives DeviceLostError, not a hang', async () => {
    const k = await init({ backend: 'webgpu' });
    const X = k.tensor([1, 2, 3], [3]);
    const pending = k.scale(X, 2);
    k.destroy();
    await assertRejects(() => pending.read(), DeviceLostError, /destroy/, 'read after destroy', 15000);
    await assertRejects(() => k.scale(X, 2), DeviceLostError, /destroy/, 'op after destroy', 15000);
  });
  s.test('errors: destroying the device underneath (device.destroy()) rejects reads instead of hanging', async () => {
    const k = await init({ backend: 'webgpu' });
    const X = k.tensor([1, 2, 3], [3]);
    const Y = k.scale(X, 3);
    k.gpu!.device.destroy();
    await assertRejects(() => Y.read(), DeviceLostError, /.*/, 'read on lost device', 15000);
  });
  s.test('initFromDevice wraps a caller-owned device and never destroys it', async () => {
    const owner = (await main()).gpu!;
    const ctx = GpuContext.fromDevice(owner.device);
    const t = ctx.tensor([3, 4], [1, 2]);
    ctx.destroy();
    // the owner's device still works
    const k = await main();
    assertClose(await k.l2normalize(k.tensor([3, 4], [1, 2])).read(), [0.6, 0.8], TOL.f32, 'owner alive');
    void t;
  });
  s.test('cpu backend: same API, float64 results, same typed errors', async () => {
    const c = await init({ backend: 'cpu' });
    assert(c.backend === 'cpu', 'cpu backend');
    const y = await c.matmul(c.tensor([1, 2, 3, 4], [2, 2]), c.tensor([1, 0, 0, 1], [2, 2])).read();
    assert(y instanceof Float64Array, 'float64 output');
    assertEqualArrays(y, [1, 2, 3, 4], 'identity');
    await assertRejects(() => c.matmul(c.tensor([1, 2], [1, 2]), c.tensor([1, 2], [1, 2])), ShapeError, /inner dimensions differ/, 'cpu mismatch');
  });
  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}

export type { Tensor };
