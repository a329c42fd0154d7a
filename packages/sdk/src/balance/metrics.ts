// Data bias before/after balancing from two MomentsSums (spec ALGORITHMS.md §1.3).
//   Σ w q s_k      = D[k][0] + π_k Σ w q
//   Σ w q s_k y_r  = D[k][r] + π_k qy[r]
// R_k = D[k][0] / N and C_kr = D[k][r] / N with N = Σ w (the raw size, for both before and after).
import { ArgumentError } from '@m4kit/kernels';
import type { MomentsSums } from './types.js';

export interface LabelBias {
  label: string;
  /** P(s_k | y_r) = Σ w q s_k y_r / Σ w q y_r (NaN when no weight carries the label) */
  condBefore: number;
  condAfter: number;
  /** second-order moment C_kr = (1/N) Σ w q (s_k − π_k) y_r */
  cBefore: number;
  cAfter: number;
}

export interface GroupBias {
  attribute: string;
  target: number;
  /** Σ w q s_k / Σ w q */
  shareBefore: number;
  shareAfter: number;
  /** first-order moment R_k = (1/N) Σ w q (s_k − π_k) */
  rBefore: number;
  rAfter: number;
  labels: LabelBias[];
}

export interface BiasSummary {
  /** data RB = max_k |R_k(1)| and AB = max_{k,r} |C_kr(1)| of the data before */
  rbBefore: number;
  abBefore: number;
  /** the same moments with q (normalised by N, the raw size) */
  rbAfter: number;
  abAfter: number;
  /** RB_q = max_k |R_k(q)| / η and AB_q = max |C_kr(q)| / η with η = the keep rate: the shares within the kept set */
  rbAfterNormalized: number;
  abAfterNormalized: number;
  /** keep rate Σ w q / Σ w of `after` (1 for `before` = raw data) */
  keepRate: number;
  /** Σ w of the data and expected kept weight Σ w q */
  sizeBefore: number;
  sizeAfter: number;
}

export interface BiasReport {
  groups: GroupBias[];
  summary: BiasSummary;
}

function checkSums(name: string, s: MomentsSums, m: number, c: number): void {
  if (s == null || typeof s !== 'object') throw new ArgumentError(`${name}: expected MomentsSums`);
  if (!s.D || s.D.length !== m * (c + 1)) throw new ArgumentError(`${name}.D: length ${s.D?.length} ≠ m*(c+1) = ${m * (c + 1)}`);
  if (!s.qy || s.qy.length !== c) throw new ArgumentError(`${name}.qy: length ${s.qy?.length} ≠ c = ${c}`);
  if (!(s.sumW > 0)) throw new ArgumentError(`${name}.sumW = ${s.sumW}: expected > 0`);
}

/**
 * Bias report from the raw-data sums (`before`: a pass with fixedQ = 1) and the balanced sums (`after`: a pass at
 * the solution). `names.attributes` has m entries, `names.labels` c entries.
 */
export function biasReport(
  before: MomentsSums,
  after: MomentsSums,
  pi: ArrayLike<number>,
  names: { attributes: string[]; labels: string[] },
): BiasReport {
  if (!names || !Array.isArray(names.attributes) || !Array.isArray(names.labels)) {
    throw new ArgumentError('names: expected { attributes: string[]; labels: string[] }');
  }
  const m = names.attributes.length;
  const c = names.labels.length;
  if (!pi || pi.length !== m) throw new ArgumentError(`pi: length ${pi?.length} ≠ number of attributes ${m}`);
  checkSums('before', before, m, c);
  checkSums('after', after, m, c);
  const C1 = c + 1;
  const Nb = before.sumW;
  const Na = after.sumW;
  const share = (s: MomentsSums, k: number) => (s.sumQ > 0 ? (s.D[k * C1] + pi[k] * s.sumQ) / s.sumQ : NaN);
  const cond = (s: MomentsSums, k: number, r: number) => (s.qy[r] > 0 ? (s.D[k * C1 + r + 1] + pi[k] * s.qy[r]) / s.qy[r] : NaN);
  let rbB = 0;
  let abB = 0;
  let rbA = 0;
  let abA = 0;
  const groups: GroupBias[] = [];
  for (let k = 0; k < m; k++) {
    const rB = before.D[k * C1] / Nb;
    const rA = after.D[k * C1] / Na;
    rbB = Math.max(rbB, Math.abs(rB));
    rbA = Math.max(rbA, Math.abs(rA));
    const labels: LabelBias[] = [];
    for (let r = 0; r < c; r++) {
      const cB = before.D[k * C1 + r + 1] / Nb;
      const cA = after.D[k * C1 + r + 1] / Na;
      abB = Math.max(abB, Math.abs(cB));
      abA = Math.max(abA, Math.abs(cA));
      labels.push({ label: names.labels[r], condBefore: cond(before, k, r), condAfter: cond(after, k, r), cBefore: cB, cAfter: cA });
    }
    groups.push({ attribute: names.attributes[k], target: pi[k], shareBefore: share(before, k), shareAfter: share(after, k), rBefore: rB, rAfter: rA, labels });
  }
  const keepRate = after.sumQ / Na;
  return {
    groups,
    summary: {
      rbBefore: rbB,
      abBefore: abB,
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
 */
export function formatBiasReport(report: BiasReport, opts: { maxLabels?: number } = {}): string {
  const maxLabels = opts.maxLabels ?? 5;
  const s = report.summary;
  const lines: string[] = [];
  lines.push(
    `keep rate ${f3(s.keepRate)} (${s.sizeAfter.toFixed(1)} of ${s.sizeBefore} expected)   ` +
      `RB ${f4(s.rbBefore)} → ${f4(s.rbAfter)} (RB_q ${f4(s.rbAfterNormalized)})   ` +
      `AB ${f4(s.abBefore)} → ${f4(s.abAfter)} (AB_q ${f4(s.abAfterNormalized)})`,
  );
  const aw = Math.max(9, ...report.groups.map((g) => g.attribute.length));
  const lw = Math.max(5, ...report.groups.flatMap((g) => g.labels.map((l) => l.label.length)));
  for (const g of report.groups) {
    lines.push(
      `${g.attribute.padEnd(aw)}  target ${f3(g.target)}  share ${f3(g.shareBefore)} → ${f3(g.shareAfter)}  R ${f4(g.rBefore)} → ${f4(g.rAfter)}`,
    );
    const ls = [...g.labels].sort((a, b) => Math.abs(b.cBefore) - Math.abs(a.cBefore) || Math.abs(b.cAfter) - Math.abs(a.cAfter));
    for (const l of ls.slice(0, maxLabels)) {
      lines.push(`  ${l.label.padEnd(lw)}  P(${g.attribute}|·) ${f3(l.condBefore)} → ${f3(l.condAfter)}  C ${f4(l.cBefore)} → ${f4(l.cAfter)}`);
    }
    if (ls.length > maxLabels) lines.push(`  … ${ls.length - maxLabels} more labels`);
  }
  return lines.join('\n');
}
