import { init, type Kernels } from '@m4kit/kernels';
import { topk as topkGpu, gpuContextOf } from '@m4kit/kernels/advanced';
import {
  able,
  biasPrompts,
  biasRetrieval,
  bootstrapCI,
  classEmbeddings,
  maxSkewAtK,
  modelBias,
  ndklAtK,
  retrieval,
  searchTopK,
  wilcoxon,
  zeroShot,
  type Embeddings,
} from '@m4kit/sdk';
import { searchTopKRef } from '@m4kit/sdk/advanced';
import { assert, assertClose, assertEqualArrays, rng, Suite, type Env } from './harness.js';

// spec §4.4 / §4.5 (vectors.json "retrieval_bias", "able")
const SKEW2 = [0, 0, 1, 0, 0, 1, 1, 1, 1, 0];
const SKEW3 = [0, 2, 0, 0, 1, 2, 0, 1, 2, 1];
const V2: [number, number, number][] = [
  [1, 0.69314718, 0.69314718],
  [2, 0.69314718, 0.69314718],
  [4, 0.40546511, 0.47436194],
  [10, 0, 0.28945161],
];
const V3: [number, number, number][] = [
  [3, 0.69314718, 0.74403267],
  [5, 0.58778666, 0.63552849],
  [10, 0.18232156, 0.43694434],
];
const ABLE: [number, number, number][] = [
  [0, 0.683, 0.81164587],
  [0.2, 0.68, 0.74294454],
  [0.5, 0.6, 0.60324766],
  [0.043, 0.755, 0.84443726],
];

/** integer-valued embeddings: every dot product is exact in f32, so GPU and float64 rankings must match */
function intEmb(r: () => number, n: number, d: number, lo = -4, hi = 4): Embeddings {
  return { n, d, data: Float32Array.from({ length: n * d }, () => lo + Math.floor(r() * (hi - lo + 1))) };
}

export function evaluateSuite(env: Env): Suite {
  const s = new Suite(`evaluate[${env.runtime}]`);
  let kp: Promise<Kernels> | null = null;
  const gpu = () => (kp ??= init({ backend: 'webgpu' }));
  const cpu = init({ backend: 'cpu' });

  s.test('MaxSkew@k and NDKL@k match the spec vectors (1e-8)', () => {
    for (const [k, ms, nd] of V2) {
      assertClose([maxSkewAtK(SKEW2, k, 2)], [ms], { rel: 0, abs: 1e-8 }, `maxskew 2 groups k=${k}`);
      assertClose([ndklAtK(SKEW2, k, 2)], [nd], { rel: 0, abs: 1e-8 }, `ndkl 2 groups k=${k}`);
    }
    for (const [k, ms, nd] of V3) {
      assertClose([maxSkewAtK(SKEW3, k, 3)], [ms], { rel: 0, abs: 1e-8 }, `maxskew 3 groups k=${k}`);
      assertClose([ndklAtK(SKEW3, k, 3)], [nd], { rel: 0, abs: 1e-8 }, `ndkl 3 groups k=${k}`);
    }
    // dataset-prior desired distribution: a ranking that reproduces the prior has zero NDKL at k = n
    assertClose(
      [ndklAtK([0, 1, 1, 0, 1, 1], 6, 2, 'prior', [0, 1, 1, 0, 1, 1]) > 0 ? 1 : 0],
      [1],
      { rel: 0, abs: 0 },
      'prefixes differ from the prior',
    );
    assertClose([maxSkewAtK([0, 1, 1], 3, 2, 'prior', [0, 1, 1])], [0], { rel: 0, abs: 1e-12 }, 'prior skew 0');
  });
  s.test('ABLE matches the spec vectors (1e-8)', () => {
    for (const [ms, t1, v] of ABLE) assertClose([able(ms, t1)], [v], { rel: 0, abs: 1e-8 }, `able(${ms}, ${t1})`);
  });
  s.test('Wilcoxon signed-rank: published examples (exact and normal approximation)', () => {
    // Hollander & Wolfe depression scores (R's wilcox.test example): V = 40, p = 0.01953 one-sided, 0.03906 two-sided
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const g = wilcoxon(x, y, 'greater');
    assertClose([g.statistic, g.pValue], [40, 0.01953125], { rel: 0, abs: 1e-12 }, 'depression greater');
    assertClose([wilcoxon(x, y).pValue], [0.0390625], { rel: 0, abs: 1e-12 }, 'depression two-sided');
    // Darwin's Zea mays differences (Fisher; scipy's example): T = 24, p = 0.041259765625
    const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
    const w = wilcoxon(d);
    assertClose([w.statistic, w.pValue], [24, 0.041259765625], { rel: 0, abs: 1e-12 }, 'darwin');
    assertClose(
      [wilcoxon(d, undefined, 'greater').pValue],
      [0.0206298828125],
      { rel: 0, abs: 1e-12 },
      'darwin greater',
    );
    // ties and zeros → normal approximation (scipy 1.10: statistic 1390.5, p 0.45494299759752843)
    const r = rng(1);
    void r;
    const a = [
      0.3, 0.8, 0.3, -1.3, 0.9, 0.4, -0.5, 0.6, 0.4, 0.3, 0.0, 0.5, -0.7, -0.2, -0.5, 0.6, 0.0, -0.3, -0.8, -0.3, 0.0,
      -0.3, 1.3, 1.0, -2.7, -1.9, -0.2, -0.4, 0.2, 0.2, 2.1, -1.1, -0.4, 2.0, 0.6, 0.7, -0.5, -1.6, 0.2, 0.1, -1.2,
      -0.7, -0.1, -0.9, -0.1, 0.1, 0.0, -0.5, 0.6, 0.9, 0.3, -0.8, 0.7, -0.5, 0.9, -1.1, 0.9, -0.0, -1.2, -0.3, 0.1,
      0.3, -1.0, -1.1, 0.2, -0.5, 0.2, 0.8, -1.6, 0.3, 1.2, -0.3, -0.8, 0.8, 0.3, 0.9, -0.3, -1.5, -0.1, -0.4,
    ];
    const b = [
      1.0, 0.4, -1.4, -1.0, 1.1, 0.9, -0.4, 0.2, 0.6, 0.7, 1.1, 0.5, 0.1, -0.1, 1.3, -2.1, 0.1, 0.2, -1.2, 0.5, -0.5,
      1.1, 0.1, 0.9, 1.4, 0.6, -0.7, -1.3, 2.0, 0.1, -0.5, 0.3, 0.0, 1.1, 0.2, 0.2, -0.5, 0.7, -0.8, 0.9, 1.7, -1.3,
      -2.3, 0.8, 2.7, -0.8, -1.1, 0.8, -0.6, -0.3, -0.1, 0.7, -0.2, 0.5, 0.0, -0.6, -0.1, -0.8, 0.2, -0.9, -0.9, 1.7,
      0.1, 0.1, 0.7, -0.2, -0.0, 0.6, 0.5, -1.0, 1.0, -0.4, -0.9, -0.7, -0.2, 1.8, -1.0, 0.4, -1.9, 0.2,
    ];
    const t = wilcoxon(a, b);
    assert(t.method === 'normal', 'ties use the normal approximation');
    assertClose([t.statistic, t.pValue], [1390.5, 0.45494299759752843], { rel: 0, abs: 2e-6 }, 'ties');
  });
  s.test('bootstrap CI: seeded, contains the mean, narrows with n', () => {
    const r = rng(3);
    const x = Array.from({ length: 400 }, () => r() + 0.1);
    const ci = bootstrapCI(x, undefined, { seed: 1 });
    const again = bootstrapCI(x, undefined, { seed: 1 });
    assert(ci.lo === again.lo && ci.hi === again.hi, 'seeded');
    assert(ci.lo < ci.mean && ci.mean < ci.hi, `mean ${ci.mean} in [${ci.lo}, ${ci.hi}]`);
    assertClose([ci.hi - ci.lo], [2 * 1.96 * Math.sqrt(1 / 12 / 400)], { rel: 0.15, abs: 0 }, 'width ≈ normal theory');
  });
  s.test('search: chunked GPU top-k equals the float64 ranking exactly (ties by index), odd sizes', async () => {
    const k = await gpu();
    const r = rng(4);
    for (const [nq, nx, d, kk, chunk] of [
      [1, 1, 1, 1, 1],
      [3, 50, 7, 5, 8],
      [17, 1000, 16, 10, 97],
      [5, 300, 3, 40, 64],
      [2, 10, 4, 20, 3],
    ] as [number, number, number, number, number][]) {
      const q = intEmb(r, nq, d);
      const x = intEmb(r, nx, d, -1, 1); // many ties
      const got = await searchTopK(k, q, x, kk, { chunkItems: chunk });
      const exp = searchTopKRef(q, x, kk);
      assertEqualArrays(got.indices, exp.indices, `indices nq=${nq} nx=${nx} k=${kk} chunk=${chunk}`);
      assertEqualArrays(got.scores, exp.scores, 'scores');
    }
  });
  s.test('search: wide rows use the segmented top-k path and still equal the float64 ranking', async () => {
    const k = await gpu();
    const r = rng(44);
    for (const [nq, nx, kk] of [
      [3, 5000, 7],
      [2, 4097, 1],
      [1, 9000, 64],
    ] as [number, number, number][]) {
      const q = intEmb(r, nq, 5);
      const x = intEmb(r, nx, 5, -2, 2); // heavy ties across segments
      const got = await searchTopK(k, q, x, kk, { chunkItems: 8192 });
      const exp = searchTopKRef(q, x, kk);
      assertEqualArrays(got.indices, exp.indices, `segmented nq=${nq} nx=${nx} k=${kk}`);
    }
  });
  s.test('topk segments: [rows, segments·k] candidates with global indices, empty slots marked', async () => {
    const k = await gpu();
    const ctx = gpuContextOf(k)!;
    const x = Float32Array.from([5, 1, 9, 3, 7, 2, 8]);
    const t = topkGpu(ctx, ctx.tensor(x, [1, 7]), 2, { segment: 3 });
    assertEqualArrays(await t.indices.read(), [2, 0, 4, 3, 6, 0xffffffff], 'segment indices');
    assertClose(await t.values.read(), [9, 5, 7, 3, 8, -3.4028234663852886e38], { rel: 0, abs: 0 }, 'segment values');
  });
  s.test('zero-shot top-1/top-5 and retrieval recall@K: GPU equals the CPU backend', async () => {
    const k = await gpu();
    const c = await cpu;
    const r = rng(5);
    const C = 7;
    const prompts = intEmb(r, C * 3, 12);
    const cls = classEmbeddings(
      prompts,
      Array.from({ length: C * 3 }, (_, i) => i % C),
      C,
    );
    const images = intEmb(r, 200, 12);
    const labels = Array.from({ length: 200 }, () => Math.floor(r() * C));
    const [zg, zc] = [await zeroShot(k, images, cls, labels), await zeroShot(c, images, cls, labels)];
    assertClose(
      [zg.top1, zg.top5, zg.meanPerClassTop1],
      [zc.top1, zc.top5, zc.meanPerClassTop1],
      { rel: 0, abs: 0.011 },
      'zero-shot',
    );
    assert(zg.top5 >= zg.top1, 'top5 ≥ top1');
    // retrieval: 2 captions per image, captions near their image
    const n = 60;
    const I = intEmb(r, n, 10, -3, 3);
    const T: Embeddings = { n: 2 * n, d: 10, data: new Float32Array(2 * n * 10) };
    const capImg = Array.from({ length: 2 * n }, (_, t) => t >> 1);
    for (let t = 0; t < 2 * n; t++)
      for (let j = 0; j < 10; j++) T.data[t * 10 + j] = I.data[capImg[t] * 10 + j] + (r() < 0.3 ? 1 : 0);
    const [rg, rc] = [await retrieval(k, I, T, capImg), await retrieval(c, I, T, capImg)];
    for (const dir of ['imageToText', 'textToImage'] as const)
      for (const K of ['R@1', 'R@5', 'R@10'] as const)
        assertClose([rg[dir][K]], [rc[dir][K]], { rel: 0, abs: 0.02 }, `${dir} ${K}`);
    assert(
      rg.textToImage['R@10'] >= rg.textToImage['R@1'] && rg.imageToText['R@10'] > 0.5,
      'recall grows with K and is high for near captions',
    );
  });
  s.test('bias retrieval: 319 default prompts; a gender-aligned query skews, an orthogonal one does not', async () => {
    const k = await gpu();
    assert(biasPrompts().length === 319 && biasPrompts()[0] === 'This is the face of a good person', '319 prompts');
    const n = 400;
    const d = 8;
    const r = rng(6);
    const groupOf = Array.from({ length: n }, (_, i) => i % 2);
    const images: Embeddings = {
      n,
      d,
      data: Float32Array.from({ length: n * d }, (_, t) =>
        t % d === 0 ? (groupOf[Math.floor(t / d)] ? 1 : -1) : r() - 0.5,
      ),
    };
    const queries: Embeddings = {
      n: 2,
      d,
      data: Float32Array.from({ length: 2 * d }, (_, t) => (t === 0 ? 1 : t === d + 1 ? 1 : 0)),
    };
    const res = await biasRetrieval(k, images, groupOf, ['woman', 'man'], queries, ['aligned', 'orthogonal'], {
      k: 100,
    });
    assertClose(
      [res.perQuery[0].maxSkew],
      [Math.log(2)],
      { rel: 0, abs: 1e-9 },
      'aligned query: all top-100 are one group',
    );
    assert(res.perQuery[1].maxSkew < 0.25, `orthogonal query skew ${res.perQuery[1].maxSkew}`);
    assertClose(res.datasetShares, [0.5, 0.5], { rel: 0, abs: 1e-12 }, 'dataset shares');
  });
  s.test('model bias: zero-shot parity (RB) and per-concept group gap (AB) on a constructed model', () => {
    // images: dim 0 = +1 man / −1 woman; 70% of images are "man"-like; concept "doctor" leans man, "x" neutral
    const n = 100;
    const img: Embeddings = { n, d: 3, data: new Float32Array(n * 3) };
    const groupOf = Array.from({ length: n }, (_, i) => (i < 70 ? 0 : 1));
    for (let i = 0; i < n; i++) img.data.set([groupOf[i] ? -1 : 1, 1, 0], i * 3);
    const groupPrompts: Embeddings = { n: 2, d: 3, data: Float32Array.from([1, 0, 0, -1, 0, 0]) };
    const concepts: Embeddings = { n: 2, d: 3, data: Float32Array.from([0.2, 1, 0, 0, 1, 0]) };
    const mb = modelBias(
      img,
      groupPrompts,
      ['man', 'woman'],
      { images: img, groupOf, conceptPrompts: concepts, concepts: ['doctor', 'x'] },
      100,
    );
    // τ = 100 makes the posterior one-hot: mean p(man) = 0.7
    assertClose(
      [mb.representation.meanPosterior[0], mb.representation.parity!],
      [0.7, 0.4],
      { rel: 0, abs: 1e-9 },
      'RB',
    );
    assert(
      mb.association!.gaps[0] > 0.5 && mb.association!.gaps[1] < 0,
      'doctor leans man, the other concept takes the rest',
    );
    assertClose([mb.association!.max], [Math.max(...mb.association!.gaps.map(Math.abs))], { rel: 0, abs: 0 }, 'AB max');
  });
  s.test('cleanup', async () => {
    if (kp) (await kp).destroy();
    kp = null;
  });
  return s;
}
