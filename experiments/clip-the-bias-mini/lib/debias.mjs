// Post-hoc debiasing of one trained dual encoder, all on its frozen (L2-normalised) output embeddings, with
// m4kit's own implementations (the code behind `m4kit debias`):
//   ba             — the bias-alignment module (spec §2.5, `debias`) trained on the model's training-set
//                    embeddings: image i, its factual caption naming the perceived gender and the counterfactual
//                    caption with the gender word swapped; images go through mlp1+mlp2, texts through mlp2
//   clip-clip      — drop the embedding dimensions with the highest mutual information with gender
//                    (`clipClipSelect`, Mixed-KSG MI on training image embeddings), images and texts alike
//   biased-prompts — calibrated projection of every text embedding (`biasedPromptsProjection`): spurious
//                    prompts "… man" / "… woman", calibration pairs "… man <concept>" / "… woman <concept>";
//                    images unchanged
// Each returns an encoder { d, embedImage, embedText } (unit rows, Float32Array) for evaluateModel.
import {
  debias,
  clipClipSelect,
  selectDims,
  biasedPromptsProjection,
  applyProjection,
  l2normalizeRows,
} from '@m4kit/sdk';
import { targetKl } from './planted.mjs';

/**
 * BA hyper-parameters for 64-d embeddings (the SDK defaults are for 512-d CLIP, 100 epochs, a 65536 queue). One
 * BA step costs ~1 s here (the bank loss dominates), so the module sees `sample` training pairs for `epochs`
 * epochs; lr is raised to match the short schedule. Overrides for exploration: BA_EPOCHS, BA_LR, BA_SAMPLE.
 */
export const BA = {
  hidden1: 128,
  hidden2: 128,
  epochs: +(process.env.BA_EPOCHS ?? 2),
  batchSize: 256,
  queueSize: 256,
  lr: +(process.env.BA_LR ?? 2e-3),
  alpha: 0.3,
  sample: +(process.env.BA_SAMPLE ?? 2048),
};
/** CLIP-clip: keep 48 of the 64 dimensions (drop the 25% most gender-informative), MI on 2000 training images */
export const CLIP_CLIP = { keep: 48, sample: 2000, k: 5 };

const f32 = (e) => (e.data instanceof Float32Array ? e.data : Float32Array.from(e.data));

/** the model's encoder as evaluateModel sees it */
export function modelEncoder(model) {
  return {
    d: model.config.outDim,
    embedImage: (x, n) => model.embedImage(x, n),
    embedText: (x, n) => model.embedText(x, n),
  };
}

/**
 * The BA module's inputs, measured: how many factual caption features equal their counterfactual (0 here: every
 * factual BA caption names the gender, whatever the training caption did), the mean cos(f̂_T1, f̂_T2) of the
 * model's caption embeddings, and the counterfactual signal KL(t2i target of the factual ‖ of the
 * counterfactual) over the sample's images (τ = 0.07).
 */
export function baInputs(tr, n, images, captions, counterfactuals) {
  const d = images.d;
  let equal = 0;
  for (let i = 0; i < n; i++) {
    let same = true;
    for (let j = 0; j < tr.textDim && same; j++)
      same = tr.factual[i * tr.textDim + j] === tr.counterfactual[i * tr.textDim + j];
    if (same) equal++;
  }
  const u = (e) => Float64Array.from(l2normalizeRows(e).data);
  const fac = u(captions);
  const cf = u(counterfactuals);
  let cos = 0;
  for (let i = 0; i < n * d; i++) cos += (fac[i] * cf[i]) / n;
  return { pairs: n, equalPairs: equal, cos, targetKl: targetKl({ img: u(images), fac, cf, n }, d) };
}

/** ‖g(e) − e‖ / ‖e‖ over the rows (the module's relative change, before normalisation) */
async function relChange(mod, e, modality, kernels) {
  const g = await mod.apply(e, { modality, kernels });
  let a = 0;
  let b = 0;
  for (let i = 0; i < e.n * e.d; i++) {
    a += (g.data[i] - e.data[i]) ** 2;
    b += e.data[i] ** 2;
  }
  return Math.sqrt(a / b);
}

/** train the BA module on the model's embeddings of the training set (validation: debias's validation ABLE) */
export async function baEncoder(kernels, model, tr, { seed = 0, opts = BA, validation } = {}) {
  const d = model.config.outDim;
  const { sample, ...baOpts } = opts;
  const n = Math.min(sample, tr.n); // the first n training pairs (rows are in random order)
  const images = { n, d, data: await model.embedImage(tr.image.subarray(0, n * tr.imageDim), n) };
  const captions = { n, d, data: await model.embedText(tr.factual.subarray(0, n * tr.textDim), n) };
  const counterfactuals = { n, d, data: await model.embedText(tr.counterfactual.subarray(0, n * tr.textDim), n) };
  const res = await debias(
    { images, captions, counterfactuals },
    { ...baOpts, seed, kernels, shuffle: true, validation },
  );
  const mod = res.module;
  const apply = async (e, modality) =>
    f32(await mod.apply({ n: e.length / d, d, data: e }, { modality, normalize: true, kernels }));
  return {
    encoder: {
      d,
      embedImage: async (x, m) => apply(await model.embedImage(x, m), 'image'),
      embedText: async (x, m) => apply(await model.embedText(x, m), 'text'),
    },
    info: {
      epochs: mod.config.epochsRun,
      bestEpoch: mod.config.bestEpoch,
      finalLoss: res.history.at(-1)?.loss ?? null,
      // per-epoch mean losses (total, L_ba, L_cd): what ba-probe.mjs printed as "L_ba first → last"
      losses: res.history.map((h) => ({ epoch: h.epoch, total: h.loss, ba: h.ba, cd: h.cd })),
      // validation ABLE per evaluation (paper schedule)
      evals: (res.evals ?? []).map((e) => ({ epoch: e.epoch, able: e.able })),
      change: {
        image: await relChange(mod, images, 'image', kernels),
        text: await relChange(mod, captions, 'text', kernels),
      },
      inputs: baInputs(tr, n, images, captions, counterfactuals),
    },
  };
}

/** CLIP-clip: the CLIP_CLIP.keep lowest-MI dimensions w.r.t. gender on a training sample, rows renormalised */
export async function clipClipEncoder(model, tr, { seed = 0, opts = CLIP_CLIP } = {}) {
  const d = model.config.outDim;
  const m = Math.min(opts.sample, tr.n);
  // a seeded, evenly spaced sample (training rows are already in random order)
  const off = seed % Math.max(1, Math.floor(tr.n / m));
  const step = Math.floor(tr.n / m) || 1;
  const idx = Array.from({ length: m }, (_, i) => off + i * step);
  const x = new Float32Array(m * tr.imageDim);
  idx.forEach((r, i) => x.set(tr.image.subarray(r * tr.imageDim, (r + 1) * tr.imageDim), i * tr.imageDim));
  const emb = { n: m, d, data: await model.embedImage(x, m) };
  const labels = idx.map((r) => (tr.rows[r].gender === 'man' ? 0 : 1));
  const sel = clipClipSelect(emb, labels, opts.keep, { k: opts.k });
  const cut = (e, rows) => f32(l2normalizeRows(selectDims({ n: rows, d, data: e }, sel.keep)));
  return {
    encoder: {
      d: opts.keep,
      embedImage: async (xx, r) => cut(await model.embedImage(xx, r), r),
      embedText: async (xx, r) => cut(await model.embedText(xx, r), r),
    },
    info: { kept: opts.keep, dropped: Array.from(sel.drop), maxMI: Math.max(...sel.mi) },
  };
}

/**
 * Biased prompts: spurious = the gender prompt features (every template × man/woman), candidates = every
 * template × concept × {man, woman}, pairs = the man/woman versions of the same prompt.
 */
export async function biasedPromptsEncoder(model, prompts, { lambda = 1000 } = {}) {
  const d = model.config.outDim;
  const sp = { n: prompts.genders.n, d, data: await model.embedText(prompts.genders.x, prompts.genders.n) };
  const cf = prompts.counterfactualPairs;
  const cand = { n: cf.n, d, data: await model.embedText(cf.x, cf.n) };
  const pairs = Array.from({ length: cf.n / 2 }, (_, i) => [2 * i, 2 * i + 1]);
  const pr = biasedPromptsProjection(sp, cand, pairs, { lambda });
  return {
    encoder: {
      d,
      embedImage: (x, n) => model.embedImage(x, n),
      embedText: async (x, n) => f32(applyProjection(pr.P, d, { n, d, data: await model.embedText(x, n) })),
    },
    info: { removedRank: pr.rank, lambda: pr.lambda, pairs: pairs.length },
  };
}
