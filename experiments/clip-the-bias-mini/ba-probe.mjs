#!/usr/bin/env node
// Why the BA module leaves the models unchanged (issue #18 follow-up): trains one model as run.mjs does (seed,
// CLIP loss, 20% named captions), then measures what `debias` does to it.
//   node experiments/clip-the-bias-mini/ba-probe.mjs [--full] [--seed N]
// (--full: the full run's model size, else --quick's; --seed: the run's seed, 0 by default)
// Prints: the module's relative change ‖g − e‖/‖e‖ on the training embeddings (at its random init and after
// training), the first/last L_ba, cos(ĝ(factual), ĝ(counterfactual)) over the BA pairs, how many BA pairs have
// factual = counterfactual caption features (measured: 0, every factual BA caption names the gender), the
// counterfactual training signal KL(softmax(f̂_T1·I/τ) ‖ softmax(f̂_T2·I/τ)) over all BA pairs, and the
// evaluation metrics for the model, the untrained (init) module and each BA variant.
import { init } from '@m4kit/kernels/node';
import { train, debias, DebiasModule, l2normalizeRows } from '@m4kit/sdk';
import { initBaParams } from '@m4kit/sdk/advanced';
import { loadEmoji, loadCensus, loadGlove, tokenize } from './lib/data.mjs';
import { loadImages, buildTrain, buildEval, standardizer, TEMPLATES } from './lib/dataset.mjs';
import { evalPrompts, evaluateModel } from './lib/evaluate.mjs';
import { modelEncoder, BA, baInputs } from './lib/debias.mjs';
import { auditWords } from './lib/glove-audit.mjs';

const full = process.argv.includes('--full');
const seed = process.argv.includes('--seed') ? +process.argv[process.argv.indexOf('--seed') + 1] : 0;
const S = full
  ? { trainN: 8000, views: 3, steps: 120, batchSize: 256 }
  : { trainN: 3000, views: 1, steps: 40, batchSize: 128 };
const { concepts } = loadEmoji();
const conceptNames = concepts.map((c) => c.concept);
const census = loadCensus(2000);
const shares = Object.fromEntries(Object.entries(census.occupations).map(([k, v]) => [k, v.shareWomen]));
const occupations = conceptNames.filter((c) => c in shares);
const words = new Set(['man', 'woman', ...auditWords()]);
for (const c of conceptNames) for (const w of tokenize(c)) words.add(w);
for (const t of TEMPLATES) for (const w of tokenize(t.replace('{}', ''))) words.add(w);
const glove = loadGlove([...words]);
const images = loadImages(concepts);
const kernels = await init();
const evalSet = buildEval({ concepts, images, views: S.views, seed: 424242 });
const prompts = evalPrompts(glove, conceptNames);
const tr = buildTrain({ concepts, images, shares, glove, n: S.trainN, seed: 1000 + seed, genderRate: 0.2 });
const std = standardizer(tr.image, tr.imageDim);
std(tr.image);
const ev = {
  gendered: { ...evalSet.gendered, x: std(Float32Array.from(evalSet.gendered.x)) },
  neutral: { ...evalSet.neutral, x: std(Float32Array.from(evalSet.neutral.x)) },
};
const ctx = { evalSet: ev, prompts, conceptNames, occupations, shares };
const base = { image: tr.image, imageDim: tr.imageDim, text: tr.text, textDim: tr.textDim, n: tr.n };
const model = await train(kernels, base, {
  loss: 'clip',
  outDim: 64,
  image: { hidden: [256] },
  text: { hidden: [128] },
  lr: 2e-3,
  weightDecay: 1e-4,
  warmupSteps: 20,
  clipNorm: 5,
  batchSize: S.batchSize,
  steps: S.steps,
  seed,
  logEvery: 1000,
});
const d = 64;
const metrics = (e) =>
  `parity ${e.bias.parity.toFixed(4)}, gender read-out ${(100 * e.bias.genderAccuracy).toFixed(2)}%, ` +
  `zero-shot ${(100 * e.quality.zeroShotTop1).toFixed(2)}%, MaxSkew ${e.bias.maxSkewOccupations.toFixed(4)}`;
const encoderOf = (mod) => {
  const apply = async (e, modality) =>
    Float32Array.from((await mod.apply({ n: e.length / d, d, data: e }, { modality, normalize: true, kernels })).data);
  return {
    d,
    embedImage: async (x, m) => apply(await model.embedImage(x, m), 'image'),
    embedText: async (x, m) => apply(await model.embedText(x, m), 'text'),
  };
};
console.log(
  `model (${full ? 'full' : 'quick'} size): ${metrics(await evaluateModel(kernels, modelEncoder(model), ctx))}`,
);

// the training embeddings BA sees (as lib/debias.mjs: the first `sample` rows)
const n = Math.min(BA.sample, tr.n);
const emb = async (f, x, dim) => ({ n, d, data: await f(x.subarray(0, n * dim), n) });
const eI = await emb(model.embedImage, tr.image, tr.imageDim);
const eT1 = await emb(model.embedText, tr.factual, tr.textDim);
const eT2 = await emb(model.embedText, tr.counterfactual, tr.textDim);
// rows whose *training* caption named the gender (a random ~20%); their BA captions are like every other row's
const named = tr.rows.slice(0, n).map((r) => r.named);
const nNamed = named.filter(Boolean).length;
const rel = async (mod, e, modality) => {
  const g = await mod.apply(e, { modality });
  let a = 0;
  let b = 0;
  for (let i = 0; i < e.n * d; i++) {
    a += (g.data[i] - e.data[i]) ** 2;
    b += e.data[i] ** 2;
  }
  return Math.sqrt(a / b);
};
const cfCos = async (mod) => {
  const a = l2normalizeRows(mod ? await mod.apply(eT1, { modality: 'text' }) : eT1);
  const b = l2normalizeRows(mod ? await mod.apply(eT2, { modality: 'text' }) : eT2);
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) s += a.data[i * d + j] * b.data[i * d + j];
  return s / n;
};
{
  const inp = baInputs(tr, n, eI, eT1, eT2);
  console.log(
    `${n} BA training pairs: factual = counterfactual caption features on ${inp.equalPairs} of ${n} (measured); ` +
      `${nNamed} of them had a gender-naming training caption. Counterfactual signal over the pairs: ` +
      `KL(t2i target of factual ‖ of counterfactual) = ${inp.targetKl.toFixed(4)} nats (first 256 captions against ` +
      `all ${n} images); cos(f̂_T1, f̂_T2) = ${(await cfCos(null)).toFixed(4)}`,
  );
}
const initMod = new DebiasModule(initBaParams(d, BA.hidden1, BA.hidden2, seed), {});
console.log(
  `init module (untrained): change image ${(await rel(initMod, eI, 'image')).toFixed(4)}, ` +
    `text ${(await rel(initMod, eT1, 'text')).toFixed(4)}; ` +
    metrics(await evaluateModel(kernels, encoderOf(initMod), ctx)),
);
const { sample: _sample, ...baOpts } = BA;
const pick = (e, idx) => {
  const x = new Float32Array(idx.length * d);
  idx.forEach((r, i) => x.set(e.data.subarray(r * d, r * d + d), i * d));
  return { n: idx.length, d, data: x };
};
const namedIdx = named.map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
const variants = [
  ['experiment (all pairs, 2 epochs, lr 2e-3)', null, {}],
  // a random ~20% subsample (the rows whose training caption happened to name the gender), smaller batches
  ['20% subsample, batch 64, 8 epochs, lr 2e-3', namedIdx, { batchSize: 64, epochs: 8 }],
  ['20% subsample, batch 64, 8 epochs, lr 1e-4', namedIdx, { batchSize: 64, epochs: 8, lr: 1e-4 }],
  ['20% subsample, batch 64, 8 epochs, lr 2e-3, α = 1 (L_cd only)', namedIdx, { batchSize: 64, epochs: 8, alpha: 1 }],
];
for (const [name, idx, o] of variants) {
  const data = idx
    ? { images: pick(eI, idx), captions: pick(eT1, idx), counterfactuals: pick(eT2, idx) }
    : { images: eI, captions: eT1, counterfactuals: eT2 };
  const losses = [];
  const res = await debias(data, {
    ...baOpts,
    ...o,
    seed,
    kernels,
    shuffle: true,
    onProgress: (p) => p.loss && losses.push(p.loss),
  });
  const mod = res.module;
  console.log(
    `${name}: ${losses.length} steps, L_ba ${losses[0].ba.toFixed(4)} → ${losses.at(-1).ba.toFixed(4)}; ` +
      `change image ${(await rel(mod, eI, 'image')).toFixed(4)}, text ${(await rel(mod, eT1, 'text')).toFixed(4)}; ` +
      `cos(ĝ_T1, ĝ_T2) ${(await cfCos(mod)).toFixed(4)}; ${metrics(await evaluateModel(kernels, encoderOf(mod), ctx))}`,
  );
}
kernels.destroy?.();
