// The BA mechanism on embeddings with a planted gender direction (issue #26): unit "image" and "caption"
// embeddings built from K concept directions plus ±a·g (images) and ±b·g (captions) along one gender direction g
// orthogonal to every concept. The factual caption carries the image's sign, the counterfactual the other sign,
// so b sets the factual/counterfactual contrast: cos(t, t') = (1 − b²)/(1 + b²) without noise (b = 0: the two
// captions are the same, there is nothing to learn from the counterfactual). What BA does is then measured on
// held-out images: the gap along g between man (+) and woman (−) images, the gender read-out by two prompts
// ±g (+ a shared "photo" direction) and zero-shot concept accuracy, before and after the module.
import { debias } from '@m4kit/sdk';
import { rng } from './dataset.mjs';

/** b for a wanted noise-free contrast cos(t, t') */
export const contrastB = (cos) => Math.sqrt((1 - cos) / (1 + cos));

function unit(v) {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  return v.map((x) => x * inv);
}

/**
 * Planted-direction data: n training rows (images, factual and counterfactual captions), nTest held-out images
 * with their concept and sign, concept prompts and the two gender prompts. Dimension 0 is g.
 */
export function plantedData({
  n = 1024,
  nTest = 512,
  D = 32,
  K = 8,
  a = 0.6,
  b,
  noise = 0.25,
  imageNoise = 2.5,
  seed = 0,
}) {
  const r = rng(seed);
  const concepts = Array.from({ length: K }, () => {
    const v = Array.from({ length: D }, (_, j) => (j === 0 ? 0 : r.normal()));
    return unit(v);
  });
  const photo = unit(Array.from({ length: D }, (_, j) => (j === 0 ? 0 : r.normal())));
  const rowOf = (base, sign, amp, nz) => {
    const v = base.map((x, j) => x + (j === 0 ? sign * amp : 0) + nz[j]);
    return unit(v);
  };
  const noiseVec = (s) => Array.from({ length: D }, () => (s * r.normal()) / Math.sqrt(D));
  const make = (m, withCaptions) => {
    const img = new Float64Array(m * D);
    const fac = new Float64Array(m * D);
    const cf = new Float64Array(m * D);
    const concept = new Int32Array(m);
    const sign = new Int8Array(m);
    for (let i = 0; i < m; i++) {
      const k = Math.floor(r() * K);
      const s = r() < 0.5 ? 1 : -1;
      concept[i] = k;
      sign[i] = s;
      img.set(rowOf(concepts[k], s, a, noiseVec(imageNoise)), i * D);
      if (withCaptions) {
        const nz = noiseVec(noise);
        fac.set(rowOf(concepts[k], s, b, nz), i * D);
        cf.set(rowOf(concepts[k], -s, b, nz), i * D);
      }
    }
    return { img, fac, cf, concept, sign, n: m };
  };
  const train = make(n, true);
  const test = make(nTest, false);
  const val = make(nTest, false);
  const cls = new Float64Array(K * D);
  concepts.forEach((c, k) => cls.set(c, k * D));
  // gender prompts: "a photo of a man" / "… woman" = photo ± g
  const gp = new Float64Array(2 * D);
  gp.set(rowOf(photo, 1, 1, new Array(D).fill(0)), 0);
  gp.set(rowOf(photo, -1, 1, new Array(D).fill(0)), D);
  let cos = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) cos += (train.fac[i * D + j] * train.cf[i * D + j]) / n;
  return { D, K, train, test, val, cls, genderPrompts: gp, contrastCos: cos, targetKl: targetKl(train, D) };
}

/**
 * The counterfactual training signal: mean over (up to 256) caption rows of KL(softmax(t·I/τ) ‖ softmax(t'·I/τ))
 * over all training images, τ = 0.07 — how differently the factual and the counterfactual caption rank the
 * images (the t2i targets BA learns from). Also used on the experiment's own embeddings (tr: { img, fac, cf, n }).
 */
export function targetKl(tr, D, tau = 0.07) {
  const rows = Math.min(256, tr.n);
  const logp = (t, i) => {
    const z = new Float64Array(tr.n);
    let m = -Infinity;
    for (let k = 0; k < tr.n; k++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += t[i * D + j] * tr.img[k * D + j];
      z[k] = s / tau;
      m = Math.max(m, z[k]);
    }
    let s = 0;
    for (let k = 0; k < tr.n; k++) s += Math.exp(z[k] - m);
    const lse = m + Math.log(s);
    return z.map((v) => v - lse);
  };
  let kl = 0;
  for (let i = 0; i < rows; i++) {
    const p = logp(tr.fac, i);
    const q = logp(tr.cf, i);
    for (let k = 0; k < tr.n; k++) kl += (Math.exp(p[k]) * (p[k] - q[k])) / rows;
  }
  return kl;
}

const normRows = (x, D) => {
  const out = Float64Array.from(x);
  for (let i = 0; i < out.length / D; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += out[i * D + j] ** 2;
    const inv = 1 / Math.sqrt(s || 1);
    for (let j = 0; j < D; j++) out[i * D + j] *= inv;
  }
  return out;
};

/** gap along g, gender read-out by the two prompts, zero-shot concept top-1 (unit rows in, D columns) */
export function plantedMetrics(P, img, cls, gp) {
  const { D, K, test } = P;
  const I = normRows(img, D);
  const C = normRows(cls, D);
  const G = normRows(gp, D);
  let gp0 = 0;
  let gn0 = 0;
  let np = 0;
  let readout = 0;
  let top1 = 0;
  for (let i = 0; i < test.n; i++) {
    const x = I.subarray(i * D, (i + 1) * D);
    if (test.sign[i] > 0) {
      gp0 += x[0];
      np++;
    } else gn0 += x[0];
    const dot = (M, r) => {
      let s = 0;
      for (let j = 0; j < D; j++) s += x[j] * M[r * D + j];
      return s;
    };
    if ((dot(G, 0) > dot(G, 1) ? 1 : -1) === test.sign[i]) readout++;
    let best = 0;
    for (let k = 1; k < K; k++) if (dot(C, k) > dot(C, best)) best = k;
    if (best === test.concept[i]) top1++;
  }
  return { gap: gp0 / np - gn0 / (test.n - np), readout: readout / test.n, zeroShot: top1 / test.n };
}

/** BA on one planted data set: metrics before, after, and the module's relative change of the test images */
export async function plantedBa(P, opts, { kernels, validation = false } = {}) {
  const { D, train, test } = P;
  const E = (x, m) => ({ n: m, d: D, data: x });
  const val = validation
    ? {
        // validation ABLE on its own images (concept prompts as the bias queries), never the test images
        images: E(P.val.img, P.val.n),
        labels: Array.from(P.val.sign, (s) => (s > 0 ? 0 : 1)),
        groups: ['man', 'woman'],
        prompts: E(P.cls, P.K),
        zeroShot: { images: E(P.val.img, P.val.n), labels: Array.from(P.val.concept), classes: E(P.cls, P.K) },
        k: Math.min(50, P.val.n),
      }
    : undefined;
  const res = await debias(
    { images: E(train.img, train.n), captions: E(train.fac, train.n), counterfactuals: E(train.cf, train.n) },
    { ...opts, kernels, shuffle: true, validation: val },
  );
  const mod = res.module;
  const ap = async (x, m, modality) => Float64Array.from((await mod.apply(E(x, m), { modality, kernels })).data);
  const img = await ap(test.img, test.n, 'image');
  let a = 0;
  let b = 0;
  const In = normRows(img, D);
  for (let i = 0; i < test.n * D; i++) {
    a += (In[i] - test.img[i]) ** 2;
    b += test.img[i] ** 2;
  }
  const before = plantedMetrics(P, test.img, P.cls, P.genderPrompts);
  const after = plantedMetrics(P, img, await ap(P.cls, P.K, 'text'), await ap(P.genderPrompts, 2, 'text'));
  return {
    before,
    after,
    change: Math.sqrt(a / b),
    epochs: mod.config.epochsRun,
    bestEpoch: mod.config.bestEpoch,
    history: res.history.map((h) => [h.epoch, +h.loss.toFixed(5), +h.ba.toFixed(5), +h.cd.toFixed(5)]),
  };
}
