// Data bias before/after balancing from MomentsSums (spec ALGORITHMS.md §1.3).
//   Σ w q s_k      = D[k][0] + π_k Σ w q
//   Σ w q s_k y_r  = D[k][r] + π_k qy[r]
// Joint moments: R_k = D[k][0] / N and C_kr = D[k][r] / N with N = Σ w (the raw size, before and after).
// Balanced data (Definitions 1–2 on the kept set): R_k = D[k][0] / Σ w q and C_kr = D[k][r] / Σ w q — expected
// under q (`after`), or realised by the keep flags (`kept`: a pass with q ≡ 1 over the kept rows).
import { ArgumentError } from '@m4kit/kernels';
import { BALANCE_DEFAULTS, type ToleranceMode } from './options.js';
import type { MomentsSums } from './types.js';

/** One group × label: conditional share and second-order moment before and after. */
export interface LabelBias {
  label: string;
  /** P(s_k | y_r) = Σ w q s_k y_r / Σ w q y_r (NaN when no weight carries the label) */
  condBefore: number;
  condAfter: number;
  /** second-order moment C_kr = (1/N) Σ w q (s_k − π_k) y_r (joint) */
  cBefore: number;
  cAfter: number;
  /** C_kr of the balanced data, Σ w q (s_k − π_k) y_r / Σ w q (expected under q) */
  cBalanced: number;
}

/** One group: target share, share and first-order moment before and after, and its labels. */
export interface GroupBias {
  attribute: string;
  target: number;
  /** Σ w q s_k / Σ w q */
  shareBefore: number;
  shareAfter: number;
  /** first-order moment R_k = (1/N) Σ w q (s_k − π_k) (joint) */
  rBefore: number;
  rAfter: number;
  /** R_k of the balanced data = share after − π_k (expected under q) */
  rBalanced: number;
  /** share of the group among the kept rows (keep flags); null without them */
  shareKept: number | null;
  labels: LabelBias[];
}

/** RB and AB before and after (balanced, kept rows, joint), the keep rate and the sizes. */
export interface BiasSummary {
  /** what ε_R / ε_A bound: 'balanced' → rbBalanced / abBalanced, 'joint' → rbAfter / abAfter */
  tolerance: ToleranceMode;
  /** data RB = max_k |R_k(1)| and AB = max_{k,r} |C_kr(1)| of the data before */
  rbBefore: number;
  abBefore: number;
  /** the headline: RB and AB of the balanced data, expected under q (moments / Σ w q) */
  rbBalanced: number;
  abBalanced: number;
  /** RB and AB of the kept rows (realised by the seeded keep flags); null without them */
  rbKept: number | null;
  abKept: number | null;
  /** the same moments with q (normalised by N, the raw size) */
  rbAfter: number;
  abAfter: number;
  /** RB_q = max_k |R_k(q)| / η and AB_q = max |C_kr(q)| / η with η = the keep rate (= rbBalanced / abBalanced) */
  rbAfterNormalized: number;
  abAfterNormalized: number;
  /** keep rate Σ w q / Σ w of `after` (1 for `before` = raw data) */
  keepRate: number;
  /** Σ w of the data and expected kept weight Σ w q */
  sizeBefore: number;
  sizeAfter: number;
}

/** The data's representation and association bias before and after balancing, per group and overall. */
export interface BiasReport {
  groups: GroupBias[];
  summary: BiasSummary;
}

function checkSums(name: string, s: MomentsSums, m: number, c: number): void {
  if (s == null || typeof s !== 'object') throw new ArgumentError(`${name}: expected MomentsSums`);
  if (!s.D || s.D.length !== m * (c + 1))
    throw new ArgumentError(`${name}.D: length ${s.D?.length} ≠ m*(c+1) = ${m * (c + 1)}`);
  if (!s.qy || s.qy.length !== c) throw new ArgumentError(`${name}.qy: length ${s.qy?.length} ≠ c = ${c}`);
  if (!(s.sumW > 0)) throw new ArgumentError(`${name}.sumW = ${s.sumW}: expected > 0`);
}

/**
 * Bias report from the raw-data sums (`before`: a pass with fixedQ = 1) and the balanced sums (`after`: a pass at
 * the solution). `names.attributes` has m entries, `names.labels` c entries.
 * @param before - engine pass at q ≡ 1 (the raw data).
 * @param after - engine pass at the solution q.
 * @param pi - the m target shares.
 * @param names - the group and label names.
 * @param extra - the kept rows' moments (realised keep flags) and the tolerance mode.
 * @returns per group and label RB/AB before, expected and realised after, and a summary.
 */
export function biasReport(
  before: MomentsSums,
  after: MomentsSums,
  pi: ArrayLike<number>,
  names: { attributes: string[]; labels: string[] },
  extra: { kept?: MomentsSums; tolerance?: ToleranceMode } = {},
): BiasReport {
  if (!names || !Array.isArray(names.attributes) || !Array.isArray(names.labels)) {
    throw new ArgumentError('names: expected { attributes: string[]; labels: string[] }');
  }
  const m = names.attributes.length;
  const c = names.labels.length;
  if (!pi || pi.length !== m) throw new ArgumentError(`pi: length ${pi?.length} ≠ number of attributes ${m}`);
  checkSums('before', before, m, c);
  checkSums('after', after, m, c);
  const kept = extra.kept && extra.kept.sumW > 0 ? extra.kept : undefined;
  if (kept) checkSums('kept', kept, m, c);
  const C1 = c + 1;
  const Nb = before.sumW;
  const Na = after.sumW;
  const share = (s: MomentsSums, k: number) => (s.sumQ > 0 ? (s.D[k * C1] + pi[k] * s.sumQ) / s.sumQ : NaN);
  const cond = (s: MomentsSums, k: number, r: number) =>
    s.qy[r] > 0 ? (s.D[k * C1 + r + 1] + pi[k] * s.qy[r]) / s.qy[r] : NaN;
  let rbB = 0;
  let abB = 0;
  let rbA = 0;
  let abA = 0;
  let rbQ = 0;
  let abQ = 0;
  let rbK = 0;
  let abK = 0;
  const Qa = after.sumQ;
  const Qk = kept ? kept.sumQ : NaN;
  const groups: GroupBias[] = [];
  for (let k = 0; k < m; k++) {
    const rB = before.D[k * C1] / Nb;
    const rA = after.D[k * C1] / Na;
    const rQ = after.D[k * C1] / Qa;
    rbB = Math.max(rbB, Math.abs(rB));
    rbA = Math.max(rbA, Math.abs(rA));
    rbQ = Math.max(rbQ, Math.abs(rQ));
    if (kept) rbK = Math.max(rbK, Math.abs(kept.D[k * C1] / Qk));
    const labels: LabelBias[] = [];
    for (let r = 0; r < c; r++) {
      const cB = before.D[k * C1 + r + 1] / Nb;
      const cA = after.D[k * C1 + r + 1] / Na;
      const cQ = after.D[k * C1 + r + 1] / Qa;
      abB = Math.max(abB, Math.abs(cB));
      abA = Math.max(abA, Math.abs(cA));
      abQ = Math.max(abQ, Math.abs(cQ));
      if (kept) abK = Math.max(abK, Math.abs(kept.D[k * C1 + r + 1] / Qk));
      labels.push({
        label: names.labels[r],
        condBefore: cond(before, k, r),
        condAfter: cond(after, k, r),
        cBefore: cB,
        cAfter: cA,
        cBalanced: cQ,
      });
    }
    groups.push({
      attribute: names.attributes[k],
      target: pi[k],
      shareBefore: share(before, k),
      shareAfter: share(after, k),
      rBefore: rB,
      rAfter: rA,
      rBalanced: rQ,
      shareKept: kept ? share(kept, k) : null,
      labels,
    });
  }
  const keepRate = after.sumQ / Na;
  return {
    groups,
    summary: {
      tolerance: extra.tolerance ?? BALANCE_DEFAULTS.tolerance,
      rbBefore: rbB,
      abBefore: abB,
      rbBalanced: Qa > 0 ? rbQ : NaN,
      abBalanced: Qa > 0 ? abQ : NaN,
      rbKept: kept ? rbK : null,
      abKept: kept ? abK : null,
      rbAfter: rbA,
      abAfter: abA,
      rbAfterNormalized: keepRate > 0 ? rbA / keepRate : NaN,
      abAfterNormalized: keepRate > 0 ? abA / keepRate : NaN,
      keepRate,
      sizeBefore: Nb,
      sizeAfter: after.sumQ,
    },
  };
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  — ');
const f4 = (x: number) => (Number.isFinite(x) ? (x < 0 ? '' : ' ') + x.toFixed(4) : '   —   ');

/**
 * Compact terminal summary: one header, then per group its share and moment before → after, followed by its
 * labels ordered by the worst association before (at most `maxLabels` per group, default 5).
 * @param report - a `biasReport()` result (e.g. `result.report.bias`).
 * @param opts - `maxLabels` per group (default 5).
 * @returns plain text, one line per group and label, for a terminal.
 */
export function formatBiasReport(report: BiasReport, opts: { maxLabels?: number } = {}): string {
  const maxLabels = opts.maxLabels ?? 5;
  const s = report.summary;
  const lines: string[] = [];
  const keptTxt = (x: number | null) => (x === null ? '' : ` (kept rows ${f4(x)})`);
  const joint = s.tolerance === 'joint';
  lines.push(
    `keep rate ${f3(s.keepRate)} (${s.sizeAfter.toFixed(1)} of ${s.sizeBefore} expected)   tolerance ${s.tolerance}`,
    `RB ${f4(s.rbBefore)} → ${f4(s.rbBalanced)}${keptTxt(s.rbKept)}   ` +
      `AB ${f4(s.abBefore)} → ${f4(s.abBalanced)}${keptTxt(s.abKept)}`,
    '  RB = max over groups |share − π| (representation bias); AB = max over groups and labels |E[(s − π)·y]| / E[q]',
    '  (association bias); after = the balanced data expected under q; kept rows = the seeded keep flags.',
    '  ' +
      (joint
        ? 'Tolerance joint: ε_R, ε_A bound the joint moments'
        : 'Tolerance balanced: ε_R bounds RB after, ε_A AB after') +
      ` — joint moments (1/N) Σ q (s − π)[1, y]: RB ${f4(s.rbAfter).trim()}, AB ${f4(s.abAfter).trim()}.`,
  );
  const aw = Math.max(9, ...report.groups.map((g) => g.attribute.length));
  const lw = Math.max(5, ...report.groups.flatMap((g) => g.labels.map((l) => l.label.length)));
  for (const g of report.groups) {
    const kept = g.shareKept === null || g.shareKept === undefined ? '' : ` (kept ${f3(g.shareKept)})`;
    lines.push(
      `${g.attribute.padEnd(aw)}  target ${f3(g.target)}  share ${f3(g.shareBefore)} → ${f3(g.shareAfter)}${kept}  ` +
        `R ${f4(g.rBefore)} → ${f4(g.rBalanced)}`,
    );
    const ls = [...g.labels].sort(
      (a, b) => Math.abs(b.cBefore) - Math.abs(a.cBefore) || Math.abs(b.cAfter) - Math.abs(a.cAfter),
    );
    for (const l of ls.slice(0, maxLabels)) {
      lines.push(
        `  ${l.label.padEnd(lw)}  P(${g.attribute}|·) ${f3(l.condBefore)} → ${f3(l.condAfter)}  ` +
          `C ${f4(l.cBefore)} → ${f4(l.cBalanced)}`,
      );
    }
    if (ls.length > maxLabels) lines.push(`  … ${ls.length - maxLabels} more labels`);
  }
  return lines.join('\n');
}
