// Third-edition report sections (issue #26): retrieval skew against its permutation floor (and the k chosen from
// it), the linear probe beside the prompt read-out, parity explained on a case with a known answer, the
// out-of-domain OpenMoji set, the BA mechanism on planted-direction embeddings and the BA ablation.
const mean = (a) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN);
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const fe = (x) => (Math.abs(x) < 0.01 ? x.toExponential(2) : x.toFixed(3));
const pc = (x) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—');
const fp = (p) => (p === undefined || p === null ? '—' : p < 0.001 ? '<0.001' : p.toFixed(3));
const get = (o, path) => path.split('.').reduce((x, k) => x?.[k], o);

/**
 * The k of the skew metrics: the smallest k of the profile at which the original models' mean MaxSkew@k and
 * NDKL@k (main rate) both exceed the mean 95th percentile of their permutation null; if none does, the k with
 * the largest margin (MaxSkew − null 95%). Writes bias.maxSkewK / ndklK (value at k*), bias.maxSkewExcess /
 * ndklExcess (value − null mean) into every run that has a profile, and returns the choice.
 */
export function chooseSkewK(results) {
  const runs = results.runs.filter((r) => r.skewProfile);
  if (!runs.length) return null;
  const ks = runs[0].skewProfile.map((p) => p.k);
  const ref = runs.filter((r) => r.condition === 'original' && r.rate === results.settings.mainRate);
  if (!ref.length) return null;
  const at = (rs, t, key) => mean(rs.map((r) => r.skewProfile[t][key]));
  const rows = ks.map((k, t) => ({
    k,
    maxSkew: at(ref, t, 'maxSkew'),
    maxSkewNull: at(ref, t, 'maxSkewNull'),
    maxSkewNull95: at(ref, t, 'maxSkewNull95'),
    ndkl: at(ref, t, 'ndkl'),
    ndklNull: at(ref, t, 'ndklNull'),
    ndklNull95: at(ref, t, 'ndklNull95'),
  }));
  let t = rows.findIndex((r) => r.maxSkew > r.maxSkewNull95 && r.ndkl > r.ndklNull95);
  const above = t >= 0;
  if (!above) {
    const margins = rows.map((r) => r.maxSkew - r.maxSkewNull95);
    t = margins.indexOf(Math.max(...margins));
  }
  for (const r of runs) {
    const p = r.skewProfile[t];
    r.bias.maxSkewK = p.maxSkew;
    r.bias.ndklK = p.ndkl;
    r.bias.maxSkewExcess = p.maxSkew - p.maxSkewNull;
    r.bias.ndklExcess = p.ndkl - p.ndklNull;
  }
  return { k: ks[t], index: t, above, rows };
}

export function skewSection(md, results, S, mdTable) {
  const c = S.skewChoice;
  if (!c) return;
  md.push('## Retrieval skew against its null floor');
  md.push(
    `MaxSkew@k and NDKL@k have a floor above 0 even for a model that ignores gender: among a concept's images ` +
      `(half man, half woman) any k drawn at random are rarely exactly balanced. The floor is measured per model by ` +
      `${results.settings.perms} permutations of the gender labels within each concept (the ranking kept); the table ` +
      `gives the original models' mean (main rate) and the null's mean and mean 95th percentile. k* = ${c.k} ` +
      (c.above
        ? `is the smallest k at which both metrics sit above the null's 95th percentile`
        : `has the largest margin, but at no k do both metrics clear the null's 95th percentile: retrieval skew ` +
          `is not distinguishable from the floor here`) +
      `; the tables use MaxSkew@k* and NDKL@k* and their excess over the null mean.`,
  );
  md.push(
    mdTable(
      ['k', 'MaxSkew@k', 'null mean', 'null 95%', 'NDKL@k', 'null mean', 'null 95%'],
      c.rows.map((r) => [
        r.k === c.k ? `**${r.k}**` : r.k,
        f3(r.maxSkew),
        f3(r.maxSkewNull),
        f3(r.maxSkewNull95),
        fe(r.ndkl),
        fe(r.ndklNull),
        fe(r.ndklNull95),
      ]),
    ),
  );
}

export function paritySection(md, results) {
  const p = results.parityCheck;
  if (!p) return;
  md.push('## Parity: what the prompt read-out measures (a case with a known answer)');
  md.push(
    `The raw parity is p("man") − p("woman") from two prompt embeddings, averaged over the gender-neutral images. ` +
      `It mixes two things: where the neutral images lie, and where the prompts lie relative to all images. At 0% ` +
      `gendered captions the prompts' gender words are untrained, yet the raw parity is far from 0 — it is the ` +
      `prompts' offset. Synthetic check (\`lib/parity-check.mjs\`): neutral images lean towards "man" by δ = ${p.delta}; ` +
      `the "woman" prompt is moved towards every image by an offset ${p.offset}. Raw parity ${f3(p.withOffset.raw)} ` +
      `(wrong sign), calibrated parity ${f3(p.withOffset.calibrated)}, probe parity ${f3(p.withOffset.probe)} ` +
      `(right sign); without the offset: raw ${f3(p.noOffset.raw)}, calibrated ${f3(p.noOffset.calibrated)}, probe ` +
      `${f3(p.noOffset.probe)}. The calibrated parity subtracts the prompts' score offset, measured on the balanced ` +
      `gendered images (θ = mean of cos(x, man) − cos(x, woman)), before the softmax; the probe parity is ` +
      `mean P(man) − P(woman) of a logistic probe fitted on the balanced gendered image embeddings. Both read 0 ` +
      `when the neutral images sit where a balanced mix of man and woman images sits.`,
  );
  const r = p.retrieval;
  if (r)
    md.push(
      `**The retrieval lean on the same synthetic images** (a known answer that uses no gender prompt): concept ` +
        `prompts tilted by t = ±${r.tilt} along the gender direction retrieve, among their top ${r.k} of the ` +
        `balanced gendered images, a share of men − ½ of ${f3(r.towardsMan)} (t > 0, towards "man"), ` +
        `${f3(r.untilted)} (t = 0) and ${f3(r.towardsWoman)} (t < 0, towards "woman") — the right sign each time, ` +
        `whatever the gender prompts' offset. In the experiment the concept prompts come from the model's text ` +
        `tower, so the lean is the data's representation skew as the trained model retrieves it.`,
    );
}

export function oodSection(md, results, S, mdTable, fci) {
  if (!results.ood) return;
  const o = results.ood;
  md.push('## Out-of-domain test set (OpenMoji)');
  md.push(
    `${o.images} OpenMoji images (${o.source}; ${o.missingForms} forms missing) — the same concepts, genders and ` +
      `skin tones drawn in another style, never seen in training: ${o.gendered} gendered and ${o.neutral} neutral ` +
      `views, standardised with each model's training statistics. The probe transfer is the Noto-fitted probe ` +
      `tested on OpenMoji; the in-domain probe is fitted and tested on OpenMoji (held out by concept).`,
  );
  const keys = [
    ['ood.zeroShotTop1', 'zero-shot top-1 %', true],
    ['ood.genderAccuracy', 'gender read-out %', true],
    ['ood.probeTransfer', 'probe transfer (Noto → OpenMoji) %', true],
    ['ood.probeInDomain', 'probe (OpenMoji) %', true],
    ['ood.parityCalibrated', 'calibrated parity', false],
  ];
  md.push(
    mdTable(
      ['condition', 'n', ...keys.map((k) => k[1])],
      S.conds.map((c) => [
        c,
        S.table[c]['ood.zeroShotTop1'].n,
        ...keys.map(([k, , pct]) => fci(S.table[c][k], { pct })),
      ]),
    ),
  );
}

/** the BA mechanism: curve over the contrast, both image-signal strengths (means over the mechanism seeds) */
export function mechanismSummary(results) {
  const m = results.baMechanism;
  if (!m) return null;
  const groups = new Map();
  for (const r of m.curve) {
    const key = `${r.imageNoise}|${r.cos}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const curve = [...groups.values()].map((rs) => ({
    imageNoise: rs[0].imageNoise,
    cos: rs[0].cos,
    n: rs.length,
    contrastCos: mean(rs.map((r) => r.contrastCos)),
    targetKl: mean(rs.map((r) => r.targetKl)),
    gapBefore: mean(rs.map((r) => r.before.gap)),
    gapAfter: mean(rs.map((r) => r.after.gap)),
    gapChange: mean(rs.map((r) => r.after.gap / r.before.gap - 1)),
    gapChanges: rs.map((r) => r.after.gap / r.before.gap - 1),
    readoutBefore: mean(rs.map((r) => r.before.readout)),
    readoutAfter: mean(rs.map((r) => r.after.readout)),
    zsBefore: mean(rs.map((r) => r.before.zeroShot)),
    zsAfter: mean(rs.map((r) => r.after.zeroShot)),
    change: mean(rs.map((r) => r.change)),
  }));
  const ag = new Map();
  for (const r of m.ablation) {
    const key = `${r.cos}|${r.schedule}|${r.alpha}`;
    if (!ag.has(key)) ag.set(key, []);
    ag.get(key).push(r);
  }
  const ablation = [...ag.values()].map((rs) => ({
    cos: rs[0].cos,
    schedule: rs[0].schedule,
    alpha: rs[0].alpha,
    n: rs.length,
    gapBefore: mean(rs.map((r) => r.before.gap)),
    gapChange: mean(rs.map((r) => r.after.gap / r.before.gap - 1)),
    gapChanges: rs.map((r) => r.after.gap / r.before.gap - 1),
    readoutAfter: mean(rs.map((r) => r.after.readout)),
    zsChange: mean(rs.map((r) => r.after.zeroShot - r.before.zeroShot)),
    change: mean(rs.map((r) => r.change)),
    epochs: mean(rs.map((r) => r.epochs)),
  }));
  return { curve, ablation, settings: m.settings, seconds: m.seconds };
}

export function mechanismSection(md, results, S, mdTable) {
  const M = S.mechanism;
  if (!M) return;
  const st = M.settings;
  const mini = st.schedules.miniature;
  const paper = st.schedules.paper;
  md.push('## The BA mechanism, measured on planted-direction embeddings');
  md.push(
    `\`lib/planted.mjs\`: ${st.data.D}-d unit embeddings, ${st.data.K} concept directions, a gender direction g ⟂ ` +
      `every concept; images = concept + ${st.data.a}·s·g + noise (image noise ${st.imageNoise.join(' or ')}: the ` +
      `image carries gender strongly or weakly), factual caption = concept + b·s·g + noise, counterfactual = ` +
      `concept − b·s·g + the same noise, so b sets cos(factual, counterfactual). ${st.data.n} training rows, ` +
      `${st.data.nTest} held-out test images. BA (m4kit \`debias\`, float64 CPU backend) with α = 0.3, hidden ` +
      `${mini.hidden1}, batch ${mini.batchSize}, queue ${mini.queueSize}, lr ${mini.lr}, ${mini.epochs} epochs. ` +
      `Gap = mean coordinate along g of the (debiased, unit) test images, man minus woman; read-out = the two ` +
      `gender prompts (shared "photo" direction ± g, debiased as text); zero-shot = concept prompts. KL = ` +
      `KL(t2i target of the factual ‖ of the counterfactual caption), the training signal that asks for a change. ` +
      `Means over ${M.curve[0]?.n ?? 0} seeds (seed s: data seed 100 + s, BA initialisation and batches seed s), ` +
      `each seed's value beside it${M.seconds ? `; ${(M.seconds / 60).toFixed(1)} min in all` : ''}.`,
  );
  md.push(
    mdTable(
      [
        'image noise',
        'cos(T1, T2)',
        'KL',
        'gap before',
        'gap after',
        'Δ gap',
        'read-out before → after %',
        'zero-shot before → after %',
        'module change',
      ],
      M.curve.map((r) => [
        r.imageNoise,
        f3(r.contrastCos),
        f3(r.targetKl),
        f3(r.gapBefore),
        f3(r.gapAfter),
        `${(100 * r.gapChange).toFixed(1)}%`,
        r.gapChanges.map((v) => `${(100 * v).toFixed(1)}%`).join(', '),
        `${pc(r.readoutBefore)} → ${pc(r.readoutAfter)}`,
        `${pc(r.zsBefore)} → ${pc(r.zsAfter)}`,
        f3(r.change),
      ]),
    ),
  );
  md.push('![BA mechanism](plots/ba-mechanism.svg)');
  md.push(
    `**Ablation on the planted embeddings** (image noise ${st.imageNoise[0]}). m4kit's loss is α·L_cd + (1 − α)·L_ba, ` +
      `so "without L_ba" is α = 1 and "without L_cd" is α = 0. Miniature schedule as above; paper schedule: lr ` +
      `${paper.lr}, validation ABLE (its own images, concept prompts as bias queries) every ${paper.evalEvery} ` +
      `epochs, best module kept, stop after ${paper.patience} evaluations without a gain (≤ ${paper.epochs} epochs).`,
  );
  md.push(
    mdTable(
      [
        'cos target',
        'schedule',
        'α',
        'variant',
        'gap before',
        'Δ gap',
        'read-out after %',
        'Δ zero-shot (points)',
        'module change',
        'epochs',
      ],
      M.ablation.map((r) => [
        r.cos,
        r.schedule,
        r.alpha,
        r.alpha === 0 ? 'without L_cd' : r.alpha === 1 ? 'without L_ba' : 'both (paper)',
        f3(r.gapBefore),
        `${(100 * r.gapChange).toFixed(1)}%`,
        r.gapChanges.map((v) => `${(100 * v).toFixed(1)}%`).join(', '),
        pc(r.readoutAfter),
        (100 * r.zsChange).toFixed(1),
        f3(r.change),
        r.epochs.toFixed(0),
      ]),
    ),
  );
}

const ABLATION_KEYS = [
  ['bias.genderAccuracy', 'read-out', true, false],
  ['bias.probeAccuracy', 'probe', true, false],
  ['quality.zeroShotTop1', 'zero-shot', true, false],
  ['bias.parityCalibrated', '|calibrated parity|', false, true],
  ['bias.retrievalLean', 'retrieval lean', false, false],
  ['bias.maxSkewOccupations', 'MaxSkew@k', false, false],
  ['bias.able', 'ABLE', false, false],
];

/**
 * The BA ablation on the experiment's models, over every seed: per (loss, schedule, α) the paired difference
 * to the same seed's original model (mean and bootstrap interval) with the exact Wilcoxon p-value (the report's
 * one method; |·| for the parities), and the module's mean relative change of the image embeddings.
 */
export function ablationSummary(results, meanCI, wilcoxon) {
  const rows = results.baAblation ?? [];
  if (!rows.length) return null;
  const refOf = (r) =>
    results.runs.find(
      (x) =>
        x.condition === 'original' && x.loss === r.loss && x.seed === r.seed && x.rate === results.settings.mainRate,
    );
  const groups = new Map();
  for (const r of rows) {
    const k = `${r.loss}|${r.schedule}|${r.alpha}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  return [...groups.values()].map((rs) => {
    const refs = rs.map(refOf);
    const metrics = {};
    for (const [key, , , abs] of ABLATION_KEYS) {
      const v = (o) => (abs ? Math.abs(get(o, key)) : get(o, key));
      const x = rs.map(v);
      const y = refs.map(v);
      if (!x.every(Number.isFinite) || !y.every(Number.isFinite)) continue;
      metrics[key] = {
        diff: meanCI(x.map((a, i) => a - y[i])),
        pValue: x.length >= 2 ? wilcoxon(x, y).pValue : null,
      };
    }
    return {
      loss: rs[0].loss,
      schedule: rs[0].schedule,
      alpha: rs[0].alpha,
      n: rs.length,
      seeds: rs.map((r) => r.seed),
      changeImage: meanCI(rs.map((r) => r.method.change.image)),
      changeText: meanCI(rs.map((r) => r.method.change.text)),
      epochs: mean(rs.map((r) => r.method.epochs)),
      metrics,
    };
  });
}

/** one line per (schedule, α) of the ablation on the models, for the findings */
export function ablationFinding(S) {
  const A = S.ablation;
  if (!A?.length) return null;
  const f = (m, pct) => {
    if (!m) return '—';
    const s = (x) => (pct ? (100 * x).toFixed(1) : Math.abs(x) < 0.01 && x !== 0 ? x.toExponential(1) : x.toFixed(3));
    return `Δ ${s(m.diff.mean)} [${s(m.diff.lo)}, ${s(m.diff.hi)}]${pct ? ' points' : ''}, p = ${fp(m.pValue)}`;
  };
  return (
    `**BA ablation on the experiment's models** (${A[0].loss.toUpperCase()} loss, original data, seeds ` +
    `${A[0].seeds.join(', ')}; paired with each seed's model, exact Wilcoxon): ` +
    A.map(
      (a) =>
        `${a.schedule} α ${a.alpha} (n = ${a.n}): module change ${(100 * a.changeImage.mean).toFixed(1)}% of the ` +
        `image embeddings, read-out ${f(a.metrics['bias.genderAccuracy'], true)}, zero-shot ` +
        `${f(a.metrics['quality.zeroShotTop1'], true)}, retrieval lean ${f(a.metrics['bias.retrievalLean'])}`,
    ).join('; ') +
    '.'
  );
}

/** the BA ablation on the experiment's own models: rows per (loss, seed, schedule, α), against the model */
export function realAblationSection(md, results, mdTable, S) {
  const rows = results.baAblation ?? [];
  if (!rows.length) return;
  md.push('## BA ablation on the experiment’s models');
  md.push(
    `The same α values on the trained models (original data, main rate), under the miniature's schedule (the ` +
      `main table's BA settings, last weights) and the paper's (lr 5e-6, validation ABLE on a second set of Noto ` +
      `views, best module kept, early stop). "Inputs" are the BA training pairs as the module sees them: pairs whose ` +
      `factual and counterfactual caption features are equal, mean cos(f̂_T1, f̂_T2), and the counterfactual t2i KL.`,
  );
  if (S?.ablation?.length) {
    const cell = (a, key, pct) => {
      const m = a.metrics[key];
      if (!m) return '—';
      const s = (x) => (pct ? (100 * x).toFixed(1) : Math.abs(x) < 0.01 && x !== 0 ? x.toExponential(1) : x.toFixed(3));
      return `Δ ${s(m.diff.mean)} [${s(m.diff.lo)}, ${s(m.diff.hi)}], p ${fp(m.pValue)}`;
    };
    md.push(
      'Over every seed: the paired difference to the same seed’s original model (mean [95% bootstrap CI], exact ' +
        'Wilcoxon p; accuracies in points; the calibrated parity in absolute value, the retrieval lean signed).',
    );
    md.push(
      mdTable(
        ['loss', 'schedule', 'α', 'n', 'change img / text', 'epochs', ...ABLATION_KEYS.map((k) => k[1])],
        S.ablation.map((a) => [
          a.loss,
          a.schedule,
          a.alpha,
          a.n,
          `${f3(a.changeImage.mean)} / ${f3(a.changeText.mean)}`,
          a.epochs.toFixed(1),
          ...ABLATION_KEYS.map(([k, , pct]) => cell(a, k, pct)),
        ]),
      ),
    );
  }
  const ref = (r) =>
    results.runs.find(
      (x) =>
        x.condition === 'original' && x.loss === r.loss && x.seed === r.seed && x.rate === results.settings.mainRate,
    );
  md.push(
    mdTable(
      [
        'loss',
        'seed',
        'schedule',
        'α',
        'equal pairs',
        'cos(T1, T2)',
        'KL',
        'change img / text',
        'epochs (best)',
        'read-out %',
        'probe %',
        'zero-shot %',
        'calibrated parity',
      ],
      rows.map((r) => {
        const o = ref(r);
        const i = r.method.inputs;
        const arrow = (a, b, p) => (p ? `${pc(a)} → ${pc(b)}` : `${f3(a)} → ${f3(b)}`);
        return [
          r.loss,
          r.seed,
          r.schedule,
          r.alpha,
          `${i.equalPairs} of ${i.pairs}`,
          f3(i.cos),
          f3(i.targetKl),
          `${f3(r.method.change.image)} / ${f3(r.method.change.text)}`,
          `${r.method.epochs} (${r.method.bestEpoch ?? 'last'})`,
          arrow(o?.bias.genderAccuracy, r.bias.genderAccuracy, true),
          arrow(o?.bias.probeAccuracy, r.bias.probeAccuracy, true),
          arrow(o?.quality.zeroShotTop1, r.quality.zeroShotTop1, true),
          arrow(o?.bias.parityCalibrated, r.bias.parityCalibrated, false),
        ];
      }),
    ),
  );
}

/** plot: Δ gap (%) against cos(T1, T2), one series per image-noise level */
export function mechanismPlot(S, scatterSvg) {
  const M = S.mechanism;
  if (!M) return null;
  const levels = [...new Set(M.curve.map((r) => r.imageNoise))];
  return scatterSvg({
    title: 'BA on planted embeddings: change of the gap along g',
    xlabel: 'cos(factual, counterfactual caption)',
    ylabel: 'Δ gap (relative)',
    xDomain: [0.2, 1],
    series: levels.map((l) => ({
      name: `image noise ${l}`,
      points: M.curve.filter((r) => r.imageNoise === l).map((r) => ({ x: r.contrastCos, y: r.gapChange })),
    })),
  });
}

/** the skew sweep: parity measures on models trained with 20% vs 80% women in every concept */
function sweepRows(results) {
  const rows = results.skewSweep ?? [];
  const shares = [...new Set(rows.map((r) => r.share))].sort();
  return shares.map((sh) => {
    const rs = rows.filter((r) => r.share === sh);
    const m = (f) => mean(rs.map(f));
    return {
      share: sh,
      n: rs.length,
      womenShare: m((r) => r.womenShare),
      parity: m((r) => r.bias.parity),
      calibrated: m((r) => r.bias.parityCalibrated),
      probe: m((r) => r.bias.probeParity),
      lean: m((r) => r.bias.retrievalLean),
      readout: m((r) => r.bias.genderAccuracy),
      probeAcc: m((r) => r.bias.probeAccuracy),
    };
  });
}

const SWEEP_MEASURES = [
  ['lean', 'bias.retrievalLean', 'retrieval lean'],
  ['parity', 'bias.parity', 'raw parity'],
  ['calibrated', 'bias.parityCalibrated', 'calibrated parity'],
  ['probe', 'bias.probeParity', 'probe parity'],
];

/** Spearman rank correlation (average ranks for ties) */
function spearman(x, y) {
  const rank = (v) => {
    const idx = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
    const r = new Array(v.length);
    for (let i = 0; i < idx.length;) {
      let j = i;
      while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
      for (let t = i; t <= j; t++) r[idx[t]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const a = rank(x);
  const b = rank(y);
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Which measure follows the data's skew: per measure, whether its mean over seeds falls at every step of the
 * share of women (strictly monotone, towards "woman"), the Spearman correlation with the share over all sweep
 * runs, and the mean change per 10 points of women.
 */
export function sweepSummary(results) {
  const rows = sweepRows(results);
  const runs = results.skewSweep ?? [];
  if (rows.length < 2) return null;
  const out = {};
  for (const [k, key, label] of SWEEP_MEASURES) {
    const v = rows.map((r) => r[k]);
    const steps = v.slice(1).map((x, i) => x - v[i]);
    const ws = runs.map((r) => r.womenShare);
    const ys = runs.map((r) => get(r, key));
    const mw = mean(ws);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < ws.length; i++) {
      sxy += (ws[i] - mw) * (ys[i] - my);
      sxx += (ws[i] - mw) ** 2;
    }
    out[k] = {
      label,
      means: v,
      monotoneDown: steps.every((d) => d < 0),
      spearman: spearman(ws, ys),
      slopePer10: (sxy / sxx) * 0.1,
    };
  }
  return { shares: rows.map((r) => r.womenShare), n: rows.map((r) => r.n), measures: out };
}

export function sweepFinding(results) {
  const rows = sweepRows(results);
  const sw = sweepSummary(results);
  if (!sw) return null;
  const [a, b] = [rows[0], rows.at(-1)];
  const desc = Object.values(sw.measures)
    .map(
      (m) =>
        `${m.label} ${m.means.map(f3).join(' → ')} (${m.monotoneDown ? 'falls at every step' : 'not monotone'}; ` +
        `Spearman ${f3(m.spearman)}, ${f3(m.slopePer10)} per 10 points of women)`,
    )
    .join('; ');
  return (
    `**Which representation measure responds to the data's skew?** Models trained with every concept at one share ` +
    `of women (${rows.map((r) => `${Math.round(100 * r.womenShare)}%`).join(', ')}; n = ${a.n} per share; more ` +
    `women should move the measure towards "woman", i.e. down): ${desc}. Only a measure that falls with the share ` +
    `of women can test the M4 representation claim; the findings use the retrieval lean for it ` +
    `(${Math.round(100 * a.womenShare)}% → ${Math.round(100 * b.womenShare)}% women: ${f3(a.lean)} → ${f3(b.lean)}).`
  );
}

export function sweepSection(md, results, mdTable) {
  const rows = sweepRows(results);
  if (!rows.length) return;
  md.push('## Which representation measure responds to the data’s skew?');
  md.push(
    'The original pipeline trained on data where every concept has the same share of women (main caption rate, ' +
      'CLIP loss): a representation-bias measure that responds to the data should move towards "woman" (down) as ' +
      'the share grows. The last two rows are the main comparison’s CLIP models on the same seeds (census-skewed ' +
      'data and its M4-balanced version), for reference. Retrieval lean = share of men among the top-k images a ' +
      'gender-neutral concept prompt retrieves from the balanced gendered set, − ½, averaged over every concept.',
  );
  const seeds = [...new Set((results.skewSweep ?? []).map((r) => r.seed))];
  const ref = (cond) => {
    const rs = results.runs.filter(
      (r) =>
        r.condition === cond && r.loss === 'clip' && r.rate === results.settings.mainRate && seeds.includes(r.seed),
    );
    const m = (f) => mean(rs.map(f));
    return {
      n: rs.length,
      womenShare: null,
      label: cond,
      lean: m((r) => r.bias.retrievalLean),
      parity: m((r) => r.bias.parity),
      calibrated: m((r) => r.bias.parityCalibrated),
      probe: m((r) => r.bias.probeParity),
      readout: m((r) => r.bias.genderAccuracy),
      probeAcc: m((r) => r.bias.probeAccuracy),
    };
  };
  const refs = ['original', 'balanced'].map(ref).filter((r) => r.n);
  md.push(
    mdTable(
      [
        'share of women',
        'n',
        'retrieval lean',
        'raw parity',
        'calibrated parity',
        'probe parity',
        'prompt read-out %',
        'probe %',
      ],
      [...rows, ...refs].map((r) => [
        r.label ? `${r.label} (main comparison)` : `${(100 * r.womenShare).toFixed(1)}%`,
        r.n,
        f3(r.lean),
        f3(r.parity),
        f3(r.calibrated),
        f3(r.probe),
        pc(r.readout),
        pc(r.probeAcc),
      ]),
    ),
  );
  const sw = sweepSummary(results);
  if (sw)
    md.push(
      mdTable(
        ['measure', 'falls at every step', 'Spearman with the share of women (all runs)', 'change per 10 points'],
        Object.values(sw.measures).map((m) => [
          m.label,
          m.monotoneDown ? 'yes' : 'no',
          f3(m.spearman),
          f3(m.slopePer10),
        ]),
      ),
    );
}
