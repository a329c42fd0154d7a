// M4 balancing of the training rows with m4kit's own pipeline: TableEncoder (rows → patterns) → balanceEncoded
// (dual solver, q per row, keep flags, bias report). Sensitive attribute: perceived gender (man / woman, target
// ½ each); labels: the concept (occupation or activity), plus the skin tone ("proxies") when asked.
import { TableEncoder, balanceEncoded } from '@m4kit/sdk';
import { TONES } from './data.mjs';

function encode(rows, proxies) {
  const enc = new TableEncoder({ attributes: ['gender'], labels: ['labels'] }, 'train-set');
  enc.push({
    columns: ['gender', 'labels'],
    offset: 0,
    rows: rows.map((r) => ({ gender: r.gender, labels: proxies ? [r.concept, `tone:${r.tone}`] : [r.concept] })),
  });
  return enc.finish();
}

/** q (keep probability per row) and m4kit's bias report for one balancing variant */
export async function balanceRows(
  rows,
  { proxies = false, eta = 'auto', epsRep = 0.01, epsAssoc = 0.01, seed = 0 } = {},
) {
  const enc = encode(rows, proxies);
  // the paper's form (ε on (1/n) Σ q a, spec §1.4), as in the published results of this experiment
  const res = await balanceEncoded(enc, {
    eta,
    epsRep,
    epsAssoc,
    tolerance: 'joint',
    seed,
    pi: { man: 0.5, woman: 0.5 },
    backend: 'cpu',
  });
  if (res.report.solver.status === 'infeasible')
    throw new Error(`M4 (${proxies ? 'with' : 'without'} proxies) is infeasible at η=${res.report.options.eta}`);
  return { q: res.q, keep: res.keep, report: res.report };
}

/**
 * Data bias of a weighted sample in float64 (spec §1.3 definitions, normalised by Σq so samples of different
 * size compare): RB = max_k |Σq(s_k − π_k)| / Σq, AB = max_{k,r} |Σq(s_k − π_k) y_r| / Σq, over the gender
 * groups k and the labels r of one label family (concepts, or tones).
 */
export function dataBias(rows, q, family) {
  const labels = family === 'tone' ? TONES : [...new Set(rows.map((r) => r.concept))].sort();
  const li = new Map(labels.map((l, i) => [l, i]));
  let sq = 0;
  const d = [0, 0];
  const dy = [new Float64Array(labels.length), new Float64Array(labels.length)];
  rows.forEach((r, i) => {
    const w = q ? q[i] : 1;
    sq += w;
    const s = r.gender === 'man' ? [1, 0] : [0, 1];
    const y = li.get(family === 'tone' ? r.tone : r.concept);
    for (let k = 0; k < 2; k++) {
      d[k] += w * (s[k] - 0.5);
      dy[k][y] += w * (s[k] - 0.5);
    }
  });
  const rb = Math.max(...d.map((x) => Math.abs(x / sq)));
  let ab = 0;
  for (let k = 0; k < 2; k++) for (const x of dy[k]) ab = Math.max(ab, Math.abs(x / sq));
  const womenShare = {};
  labels.forEach((l) => (womenShare[l] = NaN));
  const cnt = new Map();
  rows.forEach((r, i) => {
    const key = family === 'tone' ? r.tone : r.concept;
    const c = cnt.get(key) ?? [0, 0];
    c[0] += q ? q[i] : 1;
    c[1] += (q ? q[i] : 1) * (r.gender === 'woman' ? 1 : 0);
    cnt.set(key, c);
  });
  for (const [k, c] of cnt) womenShare[k] = c[1] / c[0];
  return { rb, ab, size: sq, womenShare };
}
