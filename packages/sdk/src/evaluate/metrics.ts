// Bias and comparison metrics (spec §2.6, §4.4–4.5), float64, runtime-neutral.
import { ArgumentError } from '@m4kit/kernels';

/**
 * The group distribution the top of a ranking is compared with: uniform, the data's prior, or explicit shares.
 */
export type Desired = 'uniform' | 'prior' | ArrayLike<number>;

function desiredDist(desired: Desired, nGroups: number, allLabels?: ArrayLike<number>): Float64Array {
  if (desired === 'uniform') return new Float64Array(nGroups).fill(1 / nGroups);
  if (desired === 'prior') {
    if (!allLabels || allLabels.length === 0)
      throw new ArgumentError('desired "prior" needs the labels of the whole item set');
    const d = new Float64Array(nGroups);
    for (let i = 0; i < allLabels.length; i++) d[allLabels[i]] += 1 / allLabels.length;
    return d;
  }
  if (desired.length !== nGroups)
    throw new ArgumentError(`desired distribution has ${desired.length} entries, expected ${nGroups}`);
  return Float64Array.from(desired);
}

function checkLabels(ranked: ArrayLike<number>, nGroups: number): void {
  if (!Number.isInteger(nGroups) || nGroups < 1)
    throw new ArgumentError(`nGroups must be a positive integer, got ${nGroups}`);
  for (let i = 0; i < ranked.length; i++) {
    const g = ranked[i];
    if (!Number.isInteger(g) || g < 0 || g >= nGroups)
      throw new ArgumentError(`group label ${g} at rank ${i + 1} is outside 0..${nGroups - 1}`);
  }
}

/**
 * MaxSkew@k (Geyik et al. 2019, Berg et al. 2022 variant): max(0, max_a ln(p_a / desired_a)) over the groups,
 * p_a = share of group a among the first k ranked items (0 → 1/k).
 * @param rankedLabels - the group of each ranked item, best first.
 * @param k - the cut-off (1 ≤ k ≤ items).
 * @param nGroups - groups.
 * @param desired - 'uniform', 'prior' (from allLabels) or explicit shares.
 * @param allLabels - every item's group, for 'prior'.
 * @returns MaxSkew@k (0 when the top k match the desired shares).
 * @throws ArgumentError for a bad k, group label or desired distribution.
 */
export function maxSkewAtK(
  rankedLabels: ArrayLike<number>,
  k: number,
  nGroups: number,
  desired: Desired = 'uniform',
  allLabels?: ArrayLike<number>,
): number {
  checkLabels(rankedLabels, nGroups);
  if (!Number.isInteger(k) || k < 1 || k > rankedLabels.length)
    throw new ArgumentError(`k must be in [1, ${rankedLabels.length}], got ${k}`);
  const d = desiredDist(desired, nGroups, allLabels);
  const counts = new Float64Array(nGroups);
  for (let i = 0; i < k; i++) counts[rankedLabels[i]]++;
  let best = 0;
  for (let g = 0; g < nGroups; g++) {
    if (d[g] <= 0) continue;
    const p = counts[g] > 0 ? counts[g] / k : 1 / k;
    best = Math.max(best, Math.log(p) - Math.log(d[g]));
  }
  return best;
}

/**
 * NDKL@k = (1/Z) Σ_{i≤k} KL(D_top-i ‖ D_desired) / log2(i+1), Z = Σ_{i≤k} 1/log2(i+1); 0·log 0 = 0.
 * @param rankedLabels - the group of each ranked item, best first.
 * @param k - the cut-off.
 * @param nGroups - groups.
 * @param desired - 'uniform', 'prior' or explicit shares.
 * @param allLabels - every item's group, for 'prior'.
 * @returns NDKL@k ≥ 0.
 * @throws ArgumentError for a bad k, group label or desired distribution.
 */
export function ndklAtK(
  rankedLabels: ArrayLike<number>,
  k: number,
  nGroups: number,
  desired: Desired = 'uniform',
  allLabels?: ArrayLike<number>,
): number {
  checkLabels(rankedLabels, nGroups);
  if (!Number.isInteger(k) || k < 1 || k > rankedLabels.length)
    throw new ArgumentError(`k must be in [1, ${rankedLabels.length}], got ${k}`);
  const d = desiredDist(desired, nGroups, allLabels);
  const counts = new Float64Array(nGroups);
  let acc = 0;
  let Z = 0;
  for (let i = 1; i <= k; i++) {
    counts[rankedLabels[i - 1]]++;
    let kl = 0;
    for (let g = 0; g < nGroups; g++) {
      const p = counts[g] / i;
      if (p > 0) kl += p * (Math.log(p) - Math.log(d[g]));
    }
    const disc = 1 / Math.log2(i + 1);
    acc += kl * disc;
    Z += disc;
  }
  return acc / Z;
}

/**
 * ABLE = harmonic mean of exp(−MaxSkew) and top-1 accuracy (a fraction): 2 / (e^MaxSkew + 1/top1).
 * @param maxSkew - MaxSkew (≥ 0).
 * @param top1 - zero-shot top-1 accuracy in (0, 1].
 * @returns ABLE in (0, 1].
 * @throws ArgumentError for top1 outside (0, 1].
 */
export function able(maxSkew: number, top1: number): number {
  if (!(top1 > 0 && top1 <= 1)) throw new ArgumentError(`top1 must be a fraction in (0, 1], got ${top1}`);
  return 2 / (Math.exp(maxSkew) + 1 / top1);
}

function normalCdf(z: number): number {
  // Φ via erfc (Numerical Recipes' erfc approximation, |error| < 1.2e-7)
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/**
 * What `wilcoxon` returns: the statistic, both rank sums, the p-value and the method.
 */
export interface WilcoxonResult {
  /** min(W+, W−) for two-sided, W+ for one-sided (scipy's convention) */
  statistic: number;
  wPlus: number;
  wMinus: number;
  pValue: number;
  /** number of non-zero differences used */
  n: number;
  method: 'exact' | 'normal';
}

/**
 * Wilcoxon signed-rank test on paired samples (or differences when `y` is omitted). Zero differences are
 * dropped ("wilcox"); ties get average ranks. Exact null distribution when n ≤ 50 and there are no ties,
 * otherwise the normal approximation with tie correction (no continuity correction) — scipy's defaults.
 * @param x - the first sample (or the differences).
 * @param y - the paired second sample.
 * @param alternative - 'two-sided' (default), 'greater' or 'less'.
 * @returns the statistic, rank sums and p-value.
 * @throws ArgumentError for different lengths, non-finite differences or all-zero differences.
 */
export function wilcoxon(
  x: ArrayLike<number>,
  y?: ArrayLike<number>,
  alternative: 'two-sided' | 'greater' | 'less' = 'two-sided',
): WilcoxonResult {
  if (y && y.length !== x.length) throw new ArgumentError(`wilcoxon: x has ${x.length} items, y has ${y.length}`);
  const d: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = y ? x[i] - y[i] : x[i];
    if (!Number.isFinite(v)) throw new ArgumentError(`wilcoxon: non-finite difference at item ${i}`);
    if (v !== 0) d.push(v);
  }
  const n = d.length;
  if (n === 0) throw new ArgumentError('wilcoxon: all differences are zero');
  const order = d.map((v, i) => [Math.abs(v), i] as [number, number]).sort((a, b) => a[0] - b[0]);
  const ranks = new Float64Array(n);
  let ties = false;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j + 2) / 2;
    for (let t = i; t <= j; t++) ranks[order[t][1]] = r;
    const cnt = j - i + 1;
    if (cnt > 1) {
      ties = true;
      tieTerm += cnt ** 3 - cnt;
    }
    i = j + 1;
  }
  let wPlus = 0;
  let wMinus = 0;
  d.forEach((v, i) => (v > 0 ? (wPlus += ranks[i]) : (wMinus += ranks[i])));
  const statistic = alternative === 'two-sided' ? Math.min(wPlus, wMinus) : wPlus;
  if (n <= 50 && !ties) {
    // exact: number of subsets of {1..n} with each rank sum
    const max = (n * (n + 1)) / 2;
    const counts = new Float64Array(max + 1);
    counts[0] = 1;
    for (let r = 1; r <= n; r++) for (let s = max; s >= r; s--) counts[s] += counts[s - r];
    const total = 2 ** n;
    const cdf = (w: number) => {
      let c = 0;
      for (let s = 0; s <= Math.floor(w); s++) c += counts[s];
      return c / total;
    };
    const sf = (w: number) => 1 - cdf(Math.ceil(w) - 1);
    let p: number;
    if (alternative === 'two-sided') p = Math.min(1, 2 * cdf(statistic));
    else if (alternative === 'greater') p = sf(wPlus);
    else p = cdf(wPlus);
    return { statistic, wPlus, wMinus, pValue: p, n, method: 'exact' };
  }
  const mean = (n * (n + 1)) / 4;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const z = (wPlus - mean) / sd;
  const p =
    alternative === 'two-sided'
      ? 2 * normalCdf(-Math.abs(z))
      : alternative === 'greater'
        ? 1 - normalCdf(z)
        : normalCdf(z);
  return { statistic, wPlus, wMinus, pValue: Math.min(1, p), n, method: 'normal' };
}

/**
 * Seeded percentile bootstrap CI of the mean of paired differences (or of x).
 * @param x - the first sample.
 * @param y - the paired second sample (the CI is then of x − y).
 * @param opts - resamples (default 2000), level (default 0.95), seed.
 * @returns the mean and the interval.
 * @throws ArgumentError for an empty sample or different lengths.
 */
export function bootstrapCI(
  x: ArrayLike<number>,
  y?: ArrayLike<number>,
  opts: { resamples?: number; level?: number; seed?: number } = {},
): { mean: number; lo: number; hi: number; level: number } {
  const n = x.length;
  if (n === 0) throw new ArgumentError('bootstrapCI: no items');
  if (y && y.length !== n) throw new ArgumentError(`bootstrapCI: x has ${n} items, y has ${y.length}`);
  const d = Float64Array.from({ length: n }, (_, i) => (y ? x[i] - y[i] : x[i]));
  const B = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  let s = (opts.seed ?? 0) >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += d[Math.floor(rnd() * n)];
    means[b] = acc / n;
  }
  means.sort();
  const q = (p: number) => means[Math.min(B - 1, Math.max(0, Math.floor(p * (B - 1))))];
  return { mean: d.reduce((a, b) => a + b, 0) / n, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2), level };
}
