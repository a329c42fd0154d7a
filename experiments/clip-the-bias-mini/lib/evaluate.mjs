// Evaluation harness: one trained dual encoder → quality (zero-shot concept accuracy, image→caption R@1/R@5,
// concept→image P@k) and model bias (representation parity on gender-neutral images, association per concept,
// MaxSkew@k / NDKL@k for concept queries), all through m4kit's evaluate API.
import { zeroShot, classEmbeddings, modelBias, biasRetrieval, searchTopK, l2normalizeRows, able } from '@m4kit/sdk';
import { GENDERS } from './data.mjs';
import { promptFeatures, TEMPLATES } from './dataset.mjs';
import { calibratedParity, fitLogistic, linearProbe, probeParity, skewProfile } from './metrics.mjs';

/** text-side inputs shared by every run: prompt-ensemble features for concepts, gender prompts and captions */
export function evalPrompts(glove, conceptNames) {
  return {
    concepts: promptFeatures(glove, conceptNames),
    genders: promptFeatures(glove, ['man', 'woman']),
    captions: promptFeatures(glove, conceptNames, [TEMPLATES[0]]),
    // biased-prompts calibration pairs: every template × concept as "man <concept>" then "woman <concept>"
    counterfactualPairs: promptFeatures(
      glove,
      conceptNames.flatMap((c) => [`man ${c}`, `woman ${c}`]),
    ),
  };
}

async function embedClasses(model, pf, nClasses, d) {
  const e = await model.embedText(pf.x, pf.n);
  return classEmbeddings({ n: pf.n, d, data: e }, pf.cls, nClasses);
}

/**
 * @param model a trained model or an encoder { d, embedImage, embedText } (debiased embeddings, unit rows)
 * @param ctx { evalSet, prompts, conceptNames, occupations (names with census shares), shares, k }
 */
export async function evaluateModel(kernels, model, ctx) {
  const d = model.d ?? model.config.outDim;
  const { evalSet, prompts, conceptNames } = ctx;
  const C = conceptNames.length;
  const G = evalSet.gendered;
  const N = evalSet.neutral;
  const imgG = { n: G.n, d, data: await model.embedImage(G.x, G.n) };
  const imgN = { n: N.n, d, data: await model.embedImage(N.x, N.n) };
  const cls = await embedClasses(model, prompts.concepts, C, d);
  const gen = await embedClasses(model, prompts.genders, 2, d);
  const caps = { n: prompts.captions.n, d, data: await model.embedText(prompts.captions.x, prompts.captions.n) };

  // quality
  const zs = await zeroShot(kernels, imgG, cls, G.concept);
  const capTop = await searchTopK(kernels, l2normalizeRows(imgG), caps, 5);
  let r1 = 0;
  let r5 = 0;
  for (let i = 0; i < G.n; i++) {
    const row = capTop.indices.subarray(i * 5, i * 5 + 5);
    if (row[0] === G.concept[i]) r1++;
    if (Array.prototype.includes.call(row, G.concept[i])) r5++;
  }
  const perConcept = G.n / C;
  const kRet = Math.max(1, Math.floor(perConcept / 2));
  const t2i = await searchTopK(kernels, cls, l2normalizeRows(imgG), kRet);
  let pAtK = 0;
  for (let c = 0; c < C; c++)
    for (let t = 0; t < kRet; t++) pAtK += G.concept[t2i.indices[c * kRet + t]] === c ? 1 / (C * kRet) : 0;

  // accuracy gap per concept: top-1 on man images − top-1 on woman images
  const hit = [new Float64Array(C), new Float64Array(C)];
  const cnt = [new Float64Array(C), new Float64Array(C)];
  for (let i = 0; i < G.n; i++) {
    cnt[G.gender[i]][G.concept[i]]++;
    if (zs.predicted[i] === G.concept[i]) hit[G.gender[i]][G.concept[i]]++;
  }
  const accGap = Array.from({ length: C }, (_, c) => hit[0][c] / cnt[0][c] - hit[1][c] / cnt[1][c]);

  // model bias
  const occIdx = ctx.occupations.map((o) => conceptNames.indexOf(o));
  const ctlIdx = conceptNames.map((_, i) => i).filter((i) => !occIdx.includes(i));
  const mb = modelBias(imgN, gen, GENDERS, {
    images: imgG,
    groupOf: G.gender,
    conceptPrompts: cls,
    concepts: conceptNames,
  });
  const mbAll = modelBias(imgG, gen, GENDERS);
  const gaps = mb.association.gaps; // mean p(c | man image) − p(c | woman image)
  const meanAbsOf = (a, idx) => idx.reduce((s, i) => s + Math.abs(a[i]), 0) / idx.length;
  const meanAbs = (idx) => idx.reduce((s, i) => s + Math.abs(gaps[i]), 0) / idx.length;
  const census = ctx.occupations.map((o) => ctx.shares[o]);
  const corr = pearson(
    occIdx.map((i) => gaps[i]),
    census.map((s) => 1 - 2 * s),
  );
  const accCorr = pearson(
    occIdx.map((i) => accGap[i]),
    census.map((s) => 1 - 2 * s),
  );
  // gender read off the image embedding by the gender prompts: accuracy on the gendered eval images
  const gz = await zeroShot(kernels, imgG, gen, G.gender);
  const br = await biasRetrieval(kernels, imgG, G.gender, GENDERS, { n: C, d, data: cls.data }, conceptNames, {
    k: kRet,
    normalizeImages: true,
  });
  // third edition: a linear probe on the image embeddings (held out by concept), the calibrated parity (the
  // prompts' offset, measured on the balanced gendered images, subtracted), the probe's parity on the neutral
  // images, and MaxSkew / NDKL at several k with their permutation null floors
  const man = Array.from(G.gender, (g) => (g === 0 ? 1 : 0));
  const probe = linearProbe(imgG.data, man, G.concept, G.n, d, { seed: 0 });
  const pp = probeParity(imgG.data, man, G.n, d, imgN.data, N.n);
  const ks = ctx.ks ?? [kRet];
  const profile = skewProfile(l2normalizeRows(imgG).data, G.gender, G.concept, G.n, d, cls.data, occIdx, ks, {
    perms: ctx.perms ?? 100,
  });
  let ood = null;
  if (ctx.ood) {
    const O = ctx.ood.gendered;
    const imgO = { n: O.n, d, data: await model.embedImage(O.x, O.n) };
    const ON = ctx.ood.neutral;
    const imgON = { n: ON.n, d, data: await model.embedImage(ON.x, ON.n) };
    const zo = await zeroShot(kernels, imgO, cls, O.concept);
    const go = await zeroShot(kernels, imgO, gen, O.gender);
    // the probe fitted on the Noto images, tested on OpenMoji: does the gender direction transfer?
    const manO = Array.from(O.gender, (g) => (g === 0 ? 1 : 0));
    const transfer = probeTransfer(imgG.data, man, G.n, d, imgO.data, manO, O.n);
    ood = {
      zeroShotTop1: zo.top1,
      genderAccuracy: go.top1,
      probeTransfer: transfer,
      probeInDomain: linearProbe(imgO.data, manO, O.concept, O.n, d, { seed: 0 }).p,
      parityCalibrated: calibratedParity(imgO.data, O.n, imgON.data, ON.n, gen.data, d),
    };
  }
  const skew = (idx) => idx.reduce((s, i) => s + br.perQuery[i].maxSkew, 0) / idx.length;
  // representation bias read from retrieval (issue #26): the share of men among the top-k images that a
  // gender-neutral concept prompt retrieves from the balanced gendered set, minus ½, averaged over the queries
  // (every concept: 0 = no lean, > 0 = towards men). It uses no gender prompt, so the prompts' own offset cannot
  // enter; it is the data's representation skew as the model retrieves it.
  const lean = (idx) => idx.reduce((s, i) => s + br.perQuery[i].shares[0] - 0.5, 0) / idx.length;
  const allIdx = conceptNames.map((_, i) => i);
  const ndkl = (idx) => idx.reduce((s, i) => s + br.perQuery[i].ndkl, 0) / idx.length;
  return {
    quality: {
      zeroShotTop1: zs.top1,
      zeroShotTop5: zs.top5,
      i2tR1: r1 / G.n,
      i2tR5: r5 / G.n,
      t2iPrecision: pAtK,
      kRetrieval: kRet,
    },
    bias: {
      // representation: p("man") − p("woman") averaged over gender-neutral "person" emoji (0 = parity)
      parity: mb.representation.parity,
      parityGendered: mbAll.representation.parity,
      // parity with the prompts' score offset on the balanced gendered images removed (0 = no lean beyond the
      // prompts' own offset) and the probe's parity on the neutral images (mean P(man) − P(woman))
      parityCalibrated: calibratedParity(imgG.data, G.n, imgN.data, N.n, gen.data, d),
      probeParity: pp.soft,
      retrievalLean: lean(allIdx),
      retrievalLeanOccupations: lean(occIdx),
      genderAccuracy: gz.top1,
      probeAccuracy: probe.p,
      probeLo: probe.lo,
      probeHi: probe.hi,
      assocOccupations: meanAbs(occIdx),
      assocControls: meanAbs(ctlIdx),
      assocMax: Math.max(...occIdx.map((i) => Math.abs(gaps[i]))),
      assocCensusCorr: corr,
      // zero-shot accuracy on men minus on women, mean |·| over occupations, and its correlation with the census skew
      accGapOccupations: meanAbsOf(accGap, occIdx),
      accGapCensusCorr: accCorr,
      maxSkewOccupations: skew(occIdx),
      // ABLE (spec: harmonic-type mean of exp(MaxSkew) and zero-shot top-1; higher = better)
      able: zs.top1 > 0 ? able(skew(occIdx), zs.top1) : 0,
      ndklOccupations: ndkl(occIdx),
      maxSkewControls: skew(ctlIdx),
      ndklControls: ndkl(ctlIdx),
      kSkew: kRet,
    },
    skewProfile: profile,
    ood,
    perConcept: conceptNames.map((c, i) => ({
      concept: c,
      gap: gaps[i],
      maxSkew: br.perQuery[i].maxSkew,
      ndkl: br.perQuery[i].ndkl,
      manShareTopK: br.perQuery[i].shares[0],
      top1: zs.perClass[i].top1,
      accGap: accGap[i],
    })),
  };
}

/** a probe fitted on (x, label) tested on (x2, label2): accuracy */
function probeTransfer(x, label, n, d, x2, label2, m) {
  const pp = probeParityRows(x, label, n, d, x2, m);
  let c = 0;
  for (let i = 0; i < m; i++) if (pp[i] >= 0.5 === (label2[i] === 1)) c++;
  return c / m;
}

function probeParityRows(x, label, n, d, x2, m) {
  const w = fitLogistic(x, label, n, d);
  return Array.from({ length: m }, (_, i) => {
    let z = w[d];
    for (let j = 0; j < d; j++) z += w[j] * x2[i * d + j];
    return 1 / (1 + Math.exp(-z));
  });
}

export function pearson(x, y) {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
