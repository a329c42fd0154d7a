// Third-edition report sections (issue #26): retrieval skew against its permutation floor (and the k chosen from
// it), the linear probe beside the prompt read-out, parity explained on a case with a known answer, the
// out-of-domain OpenMoji set, the BA mechanism on planted-direction embeddings and the BA ablation.
const mean = (a) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN);
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const fe = (x) => (Math.abs(x) < 0.01 ? x.toExponential(2) : x.toFixed(3));
const pc = (x) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—');

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

/** the BA ablation on the experiment's own models: rows per (loss, seed, schedule, α), against the model */
export function realAblationSection(md, results, mdTable) {
  const rows = results.baAblation ?? [];
  if (!rows.length) return;
  md.push('## BA ablation on the experiment’s models');
  md.push(
    `The same α values on the trained models (original data, main rate), under the miniature's schedule (the ` +
      `main table's BA settings, last weights) and the paper's (lr 5e-6, validation ABLE on a second set of Noto ` +
      `views, best module kept, early stop). "Inputs" are the BA training pairs as the module sees them: pairs whose ` +
      `factual and counterfactual caption features are equal, mean cos(f̂_T1, f̂_T2), and the counterfactual t2i KL.`,
  );
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
      readout: m((r) => r.bias.genderAccuracy),
      probeAcc: m((r) => r.bias.probeAccuracy),
    };
  });
}

export function sweepFinding(results) {
  const rows = sweepRows(results);
  if (rows.length < 2) return null;
  const [a, b] = [rows[0], rows.at(-1)];
  const d = (k) => `${f3(a[k])} → ${f3(b[k])}`;
  return (
    `**Does a parity measure respond to the data's skew?** Models trained with every concept ` +
    `${Math.round(100 * a.womenShare)}% vs ${Math.round(100 * b.womenShare)}% women (n = ${a.n} each; a skew towards ` +
    `women should move parity towards "woman", i.e. down): raw parity ${d('parity')}, calibrated ${d('calibrated')}, ` +
    `probe parity ${d('probe')}.`
  );
}

export function sweepSection(md, results, mdTable) {
  const rows = sweepRows(results);
  if (!rows.length) return;
  md.push('## Does parity respond to the data’s skew?');
  md.push(
    'The original pipeline trained on data where every concept has the same share of women (main caption rate): a ' +
      'representation-bias measure that responds to the data should move towards "woman" (down) as the share grows.',
  );
  md.push(
    mdTable(
      ['share of women', 'n', 'raw parity', 'calibrated parity', 'probe parity', 'prompt read-out %', 'probe %'],
      rows.map((r) => [
        `${(100 * r.womenShare).toFixed(1)}%`,
        r.n,
        f3(r.parity),
        f3(r.calibrated),
        f3(r.probe),
        pc(r.readout),
        pc(r.probeAcc),
      ]),
    ),
  );
}
