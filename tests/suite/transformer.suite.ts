// Transformer kernels for the CLIP towers (#23): layerNorm, fused multi-head attention (online softmax, causal),
// unfold (the patch conv's im2col), class token / token embedding + positions. Each against its float64
// reference on the WebGPU and the CPU backend, on ragged shapes, empty and 1-row inputs and large values; f16
// storage where the adapter has shader-f16 (the typed error where not); row chunking under a small binding
// limit; a second call compiles no pipeline. Tolerances |x − y| ≤ max(rel·|x + y|, abs), stated per test.
import { ArgumentError, init, roundToF16, ShapeError, type InitOptions, type Kernels } from '@m4kit/kernels';
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

const LN_SHAPES: [number, number][] = [
  [0, 5],
  [1, 1],
  [1, 7],
  [3, 65],
  [33, 17],
  [50, 768],
  [97, 130],
  [257, 3],
];
/** [batch, seq, heads, D, causal] */
const ATT_CASES: [number, number, number, number, boolean][] = [
  [1, 1, 1, 8, false],
  [2, 5, 2, 16, true],
  [3, 33, 3, 12, false],
  [2, 50, 2, 64, false],
  [2, 77, 2, 64, true],
  [1, 130, 1, 32, false],
  [1, 130, 2, 8, true],
  [1, 3, 1, 200, false],
];

export function transformerSuite(env: Env): Suite {
  const s = new Suite(`transformer[${env.runtime}]`);
  const cache = new Map<string, Promise<Kernels>>();
  const get = (opts: InitOptions = {}): Promise<Kernels> => {
    const key = JSON.stringify(opts);
    if (!cache.has(key)) cache.set(key, init({ backend: 'webgpu', ...opts }));
    return cache.get(key)!;
  };
  const backends: [string, () => Promise<Kernels>][] = [
    ['webgpu', () => get()],
    ['cpu', () => get({ backend: 'cpu' })],
  ];

  for (const [name, k0] of backends) {
    s.test(`${name}: layerNorm matches the float64 reference on ragged shapes, 0 and 1 rows`, async () => {
      const k = await k0();
      const r = rng(101);
      for (const [M, W] of LN_SHAPES) {
        const x = randArray(r, M * W, 3);
        for (let i = 0; i < x.length; i++) x[i] += 2; // a mean away from 0
        const g = randArray(r, W, 2);
        const b = randArray(r, W, 1);
        const y = k.transformer.layerNorm(k.tensor(x, [M, W]), k.tensor(g, [W]), k.tensor(b, [W]));
        assertEqualArrays(y.shape, [M, W], `shape ${M}×${W}`);
        // f32 statistics over ≤ 768 terms of O(1) values: rel 1e-5, abs 2e-5
        assertClose(await y.read(), ref.layerNormRef(x, M, W, g, b), { rel: 1e-5, abs: 2e-5 }, `ln ${M}×${W}`);
      }
    });

    s.test(`${name}: layerNorm on large and constant rows, rank 3, eps 0 and a custom eps`, async () => {
      const k = await k0();
      const W = 40;
      const r = rng(102);
      const x = randArray(r, 4 * W, 1);
      for (let j = 0; j < W; j++) {
        x[j] *= 1e30; // squares overflow f32 without the row scaling
        x[W + j] = 7; // constant row → β
        x[2 * W + j] *= 1e-30;
        x[3 * W + j] = 1e4 + x[3 * W + j]; // large mean, small spread
      }
      const g = randArray(r, W, 2);
      const b = randArray(r, W, 1);
      for (const eps of [1e-5, 1e-12]) {
        const y = k.transformer.layerNorm(k.tensor(x, [2, 2, W]), k.tensor(g, [W]), k.tensor(b, [W]), eps);
        assertEqualArrays(y.shape, [2, 2, W], 'rank-3 shape kept');
        const want = ref.layerNormRef(x, 4, W, g, b, eps);
        const got = await y.read();
        // row 3 (mean 1e4, spread 0.6): µ in f32 carries ~√W·2⁻²⁴·1e4 ≈ 4e-3 of error, /σ ≈ 0.6, ×|γ| ≤ 2 → abs 2e-2
        // (PyTorch's f32 LayerNorm has the same cancellation); rows 0-2: rel 1e-5
        assertClose(got.slice(0, 3 * W), want.slice(0, 3 * W), { rel: 1e-5, abs: 2e-5 }, `extreme rows eps ${eps}`);
        assertClose(got.slice(3 * W), want.slice(3 * W), { rel: 0, abs: 2e-2 }, `offset row eps ${eps}`);
      }
      await assertRejects(
        () => k.transformer.layerNorm(k.tensor(x, [4, W]), k.tensor(g, [W]), k.tensor(b.subarray(0, W - 1), [W - 1])),
        ShapeError,
        /β \[39\].*40 elements/,
        'β size',
      );
      await assertRejects(
        () => k.transformer.layerNorm(k.tensor(x, [4, W]), k.tensor(g, [W]), k.tensor(b, [W]), -1),
        ArgumentError,
        /eps/,
        'negative eps',
      );
    });

    s.test(`${name}: attention matches the float64 reference (seq 1…130, causal, head sizes 8…200)`, async () => {
      const k = await k0();
      const r = rng(201);
      for (const [batch, seq, heads, D, causal] of ATT_CASES) {
        const W = heads * D;
        const qkv = randArray(r, batch * seq * 3 * W, 1.5);
        const o = k.transformer.attention(k.tensor(qkv, [batch * seq, 3 * W]), { batch, heads, causal });
        assertEqualArrays(o.shape, [batch * seq, W], `shape ${batch}×${seq}`);
        const want = ref.attentionRef(qkv, W, { batch, seq, heads, causal });
        // convex combinations of O(1) values, f32 exp and sums over ≤ 130 keys: rel 1e-5, abs 1e-5
        assertClose(await o.read(), want, { rel: 1e-5, abs: 1e-5 }, `att b${batch} L${seq} h${heads} D${D} c${causal}`);
      }
    });

    s.test(`${name}: attention with large scores (near one-hot softmax), a custom scale, empty batch`, async () => {
      const k = await k0();
      const r = rng(202);
      const [batch, seq, heads, D] = [2, 37, 2, 16];
      const W = heads * D;
      const qkv = randArray(r, batch * seq * 3 * W, 30); // scores up to ~1e3 after scaling
      for (const scale of [undefined, 0.7]) {
        const o = k.transformer.attention(k.tensor(qkv, [batch * seq, 3 * W]), { batch, heads, scale });
        const want = ref.attentionRef(qkv, W, { batch, seq, heads, scale });
        // exp of score differences up to ~1e3 in f32: the dot products carry rel ~1e-6 of |s| ≈ 1e3 → abs ~2e-3
        // in the exponent; outputs are convex combinations of values ≤ 30: abs 0.05
        assertClose(await o.read(), want, { rel: 1e-3, abs: 0.05 }, `large scores scale ${scale}`);
      }
      const e = k.transformer.attention(k.zeros([0, 3 * W]), { batch: 0, heads });
      assertEqualArrays(e.shape, [0, W], 'empty batch');
      await assertRejects(
        () => k.transformer.attention(k.zeros([10, 3 * W]), { batch: 3, heads }),
        ShapeError,
        /10 rows, not a multiple of batch 3/,
        'rows vs batch',
      );
      await assertRejects(
        () => k.transformer.attention(k.zeros([10, 3 * W]), { batch: 2, heads: 5 }),
        ShapeError,
        /not a multiple of heads 5/,
        'heads',
      );
    });

    s.test(`${name}: unfold = im2col of the stride-p conv (S not a multiple of p, 1 image, 0 images)`, async () => {
      const k = await k0();
      const r = rng(301);
      for (const [n, C, S, p] of [
        [0, 3, 8, 4],
        [1, 1, 1, 1],
        [2, 3, 8, 4],
        [3, 3, 10, 3],
        [1, 3, 32, 32],
        [2, 2, 7, 2],
      ]) {
        const x = randArray(r, n * C * S * S, 2);
        const y = k.transformer.unfold(k.tensor(x, [n, C, S, S]), p);
        const G = Math.floor(S / p);
        assertEqualArrays(y.shape, [n * G * G, C * p * p], `unfold shape ${n},${C},${S},${p}`);
        assertClose(await y.read(), ref.unfoldRef(x, n, C, S, p), { rel: 0, abs: 0 }, `unfold ${n},${C},${S},${p}`);
      }
      await assertRejects(() => k.transformer.unfold(k.zeros([1, 3, 4, 5]), 2), ShapeError, /square/, 'not square');
      await assertRejects(() => k.transformer.unfold(k.zeros([1, 3, 4, 4]), 5), ArgumentError, /patch/, 'patch > S');
    });

    s.test(`${name}: classTokens and embedTokens add positions to class / patch rows and token rows`, async () => {
      const k = await k0();
      const r = rng(302);
      for (const [n, P, W] of [
        [0, 4, 3],
        [1, 1, 5],
        [3, 49, 17],
      ]) {
        const x = randArray(r, n * P * W);
        const cls = randArray(r, W);
        const pos = randArray(r, (P + 1) * W);
        const y = k.transformer.classTokens(k.tensor(x, [n * P, W]), k.tensor(cls, [W]), k.tensor(pos, [P + 1, W]));
        assertEqualArrays(y.shape, [n * (P + 1), W], 'classTokens shape');
        // one f32 addition: rel 1e-7
        assertClose(
          await y.read(),
          ref.classTokensRef(x, n, P, W, cls, pos),
          { rel: 1e-7, abs: 0 },
          `cls ${n},${P},${W}`,
        );
      }
      for (const [n, L, V, W] of [
        [0, 4, 3, 2],
        [1, 1, 1, 1],
        [3, 77, 50, 9],
      ]) {
        const table = randArray(r, V * W);
        const pos = randArray(r, L * W);
        const ids = Array.from({ length: n * L }, () => Math.floor(r() * V));
        const y = k.transformer.embedTokens(k.tensor(table, [V, W]), ids, k.tensor(pos, [L, W]));
        const want = ref.embedTokensRef(table, V, W, ids, pos, L);
        assertClose(await y.read(), want, { rel: 1e-7, abs: 0 }, `embed ${n},${L},${V},${W}`);
        const yt = k.transformer.embedTokens(
          k.tensor(table, [V, W]),
          k.tensor(ids, [n * L], 'u32'),
          k.tensor(pos, [L, W]),
        );
        assertClose(await yt.read(), want, { rel: 1e-7, abs: 0 }, `embed (device ids) ${n},${L},${V},${W}`);
      }
      await assertRejects(
        () => k.transformer.embedTokens(k.zeros([5, 2]), [0, 5], k.zeros([2, 2])),
        ArgumentError,
        /ids\[1\] = 5 is outside \[0, 5\)/,
        'id out of range',
      );
    });
  }

  s.test('webgpu: chunking under a small binding limit gives the same results (all five kernels)', async () => {
    const k = await get({ maxBindingSize: 4096 });
    const r = rng(401);
    const [M, W] = [70, 40];
    const x = randArray(r, M * W, 2);
    const g = randArray(r, W);
    const b = randArray(r, W);
    const tol: Tol = { rel: 1e-5, abs: 2e-5 };
    const ln = k.transformer.layerNorm(k.tensor(x, [M, W]), k.tensor(g, [W]), k.tensor(b, [W]));
    assertClose(await ln.read(), ref.layerNormRef(x, M, W, g, b), tol, 'layerNorm chunked');
    const [batch, seq, heads, D] = [9, 5, 2, 4]; // 3·8·5·4 B = 480 B a sequence → several chunks
    const qkv = randArray(r, batch * seq * 24);
    const o = k.transformer.attention(k.tensor(qkv, [batch * seq, 24]), { batch, heads, causal: true });
    assertClose(
      await o.read(),
      ref.attentionRef(qkv, heads * D, { batch, seq, heads, causal: true }),
      tol,
      'att chunked',
    );
    const img = randArray(r, 6 * 3 * 8 * 8);
    const u = k.transformer.unfold(k.tensor(img, [6, 3, 8, 8]), 4);
    assertClose(await u.read(), ref.unfoldRef(img, 6, 3, 8, 4), { rel: 0, abs: 0 }, 'unfold chunked');
    const cls = randArray(r, W);
    const pos = randArray(r, 5 * W);
    const xc = randArray(r, 40 * W);
    const c = k.transformer.classTokens(k.tensor(xc, [40, W]), k.tensor(cls, [W]), k.tensor(pos, [5, W]));
    assertClose(await c.read(), ref.classTokensRef(xc, 10, 4, W, cls, pos), { rel: 1e-7, abs: 0 }, 'cls chunked');
    // a 300-row table (48 KB) is read in vocabulary slices
    const table = randArray(r, 300 * W);
    const ids = Array.from({ length: 60 }, () => Math.floor(r() * 300));
    const e = k.transformer.embedTokens(k.tensor(table, [300, W]), ids, k.tensor(pos, [5, W]));
    assertClose(await e.read(), ref.embedTokensRef(table, 300, W, ids, pos, 5), { rel: 1e-7, abs: 0 }, 'embed slices');
  });

  s.test(
    'webgpu: f16 storage (f32 statistics) where the adapter has shader-f16, the typed error where not',
    async () => {
      const k = await get();
      const r = rng(501);
      const [M, W] = [33, 96];
      const x = randArray(r, M * W, 3);
      const g = randArray(r, W);
      const b = randArray(r, W);
      if (!gpuContextOf(k)!.features.f16) {
        await assertRejects(() => k.tensor(x, [M, W], 'f16'), ArgumentError, /shader-f16/, 'f16 without the feature');
        return;
      }
      const xh = Float64Array.from(x, roundToF16);
      const y = await k.transformer.layerNorm(k.tensor(x, [M, W], 'f16'), k.tensor(g, [W]), k.tensor(b, [W])).read();
      // the output is rounded to binary16 (rel 2⁻¹¹): rel 1e-3, abs 2e-3
      assertClose(y, ref.layerNormRef(xh, M, W, g, b), { rel: 1e-3, abs: 2e-3 }, 'layerNorm f16');
      const [batch, seq, heads] = [2, 50, 2];
      const qkv = randArray(r, batch * seq * 3 * W);
      const qh = Float64Array.from(qkv, roundToF16);
      const o = k.transformer.attention(k.tensor(qkv, [batch * seq, 3 * W], 'f16'), { batch, heads, causal: true });
      assert(o.dtype === 'f16', 'f16 in, f16 out');
      const want = ref.attentionRef(qh, W, { batch, seq, heads, causal: true });
      assertClose(await o.read(), want, { rel: 1e-3, abs: 2e-3 }, 'attention f16');
    },
  );

  s.test('webgpu: a second call with other shapes compiles no pipeline', async () => {
    const k = await get();
    const r = rng(601);
    const run = (M: number, W: number, batch: number, seq: number) => {
      k.transformer.layerNorm(k.tensor(randArray(r, M * W), [M, W]), k.tensor(randArray(r, W), [W]), k.zeros([W]));
      k.transformer.attention(k.tensor(randArray(r, batch * seq * 3 * 64), [batch * seq, 192]), { batch, heads: 1 });
      k.transformer.unfold(k.zeros([batch, 3, 8, 8]), 4);
      k.transformer.classTokens(k.zeros([batch * 4, W]), k.zeros([W]), k.zeros([5, W]));
      k.transformer.embedTokens(k.zeros([7, W]), new Array(batch * seq).fill(1), k.zeros([seq, W]));
    };
    run(3, 20, 2, 5);
    await k.sync();
    const before = gpuContextOf(k)!.pipelineCount;
    run(17, 33, 3, 9);
    run(1, 768, 1, 77);
    await k.sync();
    assert(gpuContextOf(k)!.pipelineCount === before, `pipelines ${before} → ${gpuContextOf(k)!.pipelineCount}`);
  });

  return s;
}
