// Metrics added in the third edition (issue #26), each checked against a case with a known answer in the tests:
//   linearProbe       — gender from the image embeddings by L2-regularised logistic regression (Newton / IRLS),
//                       held out by concept (2 folds), accuracy with a Wilson 95% interval
//   probeParity       — where gender-neutral images fall for a probe fitted on the balanced gendered images
//   skewProfile       — MaxSkew@k / NDKL@k over occupation queries at several k, each with a permutation null
//                       (gender labels shuffled within every concept: a model that ranks a concept's images
//                       without regard to gender) — its mean and 95th percentile are the floor of the metric
//   exactWilcoxon     — the one p-value of the report: two-sided Wilcoxon signed-rank, zero differences dropped,
//                       tied |differences| given mid-ranks, p from the exact permutation distribution of W+
//                       (every sign assignment of those ranks), at every n and with ties
import { maxSkewAtK, ndklAtK } from '@m4kit/sdk';
import { rng } from './dataset.mjs';

/** Cholesky solve of the symmetric positive definite system A x = b (A: p×p row-major, overwritten) */
function solveSpd(A, b, p) {
  for (let j = 0; j < p; j++) {
    let s = A[j * p + j];
    for (let k = 0; k < j; k++) s -= A[j * p + k] ** 2;
    if (!(s > 0)) throw new Error(`linearProbe: the normal matrix is not positive definite (pivot ${j}: ${s})`);
    const l = Math.sqrt(s);
    A[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let t = A[i * p + j];
      for (let k = 0; k < j; k++) t -= A[i * p + k] * A[j * p + k];
      A[i * p + j] = t / l;
    }
  }
  const y = Float64Array.from(b);
  for (let i = 0; i < p; i++) {
    for (let k = 0; k < i; k++) y[i] -= A[i * p + k] * y[k];
    y[i] /= A[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    for (let k = i + 1; k < p; k++) y[i] -= A[k * p + i] * y[k];
    y[i] /= A[i * p + i];
  }
  return y;
}

/**
 * Logistic regression y ∈ {0, 1} on rows of x (n×d) with an intercept, penalty λ‖w‖² (intercept free), by
 * Newton's method (IRLS) to a gradient below 1e-8 or 50 iterations. Returns w (d + 1; last = intercept).
 */
export function fitLogistic(x, y, n, d, lambda = 1e-2) {
  const p = d + 1;
  let w = new Float64Array(p);
  const row = (i, j) => (j < d ? x[i * d + j] : 1);
  for (let it = 0; it < 50; it++) {
    const g = new Float64Array(p);
    const H = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      let z = w[d];
      for (let j = 0; j < d; j++) z += w[j] * x[i * d + j];
      const pr = 1 / (1 + Math.exp(-z));
      const r = pr - y[i];
      const s = pr * (1 - pr);
      for (let j = 0; j < p; j++) {
        const xj = row(i, j);
        g[j] += r * xj;
        for (let k = 0; k <= j; k++) H[j * p + k] += s * xj * row(i, k);
      }
    }
    for (let j = 0; j < d; j++) {
      g[j] += 2 * lambda * w[j];
      H[j * p + j] += 2 * lambda;
    }
    H[d * p + d] += 1e-9;
    for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) H[j * p + k] = H[k * p + j];
    let gn = 0;
    for (const v of g) gn = Math.max(gn, Math.abs(v));
    if (gn < 1e-8 * n) break;
    const step = solveSpd(H, g, p);
    w = w.map((v, j) => v - step[j]);
  }
  return w;
}

const probOf = (w, x, i, d) => {
  let z = w[d];
  for (let j = 0; j < d; j++) z += w[j] * x[i * d + j];
  return 1 / (1 + Math.exp(-z));
};

/** Wilson score interval (95%) for k successes in n trials */
export function wilson(k, n, z = 1.959964) {
  if (!n) return { p: NaN, lo: NaN, hi: NaN, n: 0 };
  const p = k / n;
  const den = 1 + (z * z) / n;
  const mid = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return { p, lo: mid - half, hi: mid + half, n };
}

/**
 * Held-out linear probe for a binary label (1 = "man") on embeddings x (n×d): concepts split into two folds by
 * a seeded shuffle, trained on one fold's images and tested on the other's, both ways. Accuracy over all
 * images with its Wilson interval (views of one emoji are correlated: the interval is a lower bound on the
 * uncertainty; the report's intervals over runs are the ones to compare conditions with).
 */
export function linearProbe(x, label, concept, n, d, { seed = 0, lambda = 1e-2 } = {}) {
  const nC = Math.max(...concept) + 1;
  const r = rng(seed + 77);
  const order = Array.from({ length: nC }, (_, i) => i);
  for (let i = nC - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Int8Array(nC);
  order.forEach((c, i) => (fold[c] = i % 2));
  let correct = 0;
  for (const f of [0, 1]) {
    const tr = [];
    for (let i = 0; i < n; i++) if (fold[concept[i]] !== f) tr.push(i);
    const xs = new Float64Array(tr.length * d);
    tr.forEach((i, t) => {
      for (let j = 0; j < d; j++) xs[t * d + j] = x[i * d + j];
    });
    const w = fitLogistic(
      xs,
      tr.map((i) => label[i]),
      tr.length,
      d,
      lambda,
    );
    for (let i = 0; i < n; i++) if (fold[concept[i]] === f && probOf(w, x, i, d) >= 0.5 === (label[i] === 1)) correct++;
  }
  return wilson(correct, n);
}

/**
 * A probe fitted on all gendered images (balanced: half "man") applied to other images x2 (m×d): mean
 * P(man) − P(woman) = mean(2p − 1), and the share classified "man" minus "woman". 0 = the neutral images sit
 * on the boundary between the two balanced classes; > 0 = they look more like the man images.
 */
export function probeParity(x, label, n, d, x2, m, { lambda = 1e-2 } = {}) {
  const w = fitLogistic(x, label, n, d, lambda);
  let soft = 0;
  let hard = 0;
  for (let i = 0; i < m; i++) {
    const p = probOf(w, x2, i, d);
    soft += (2 * p - 1) / m;
    hard += (p >= 0.5 ? 1 : -1) / m;
  }
  return { soft, hard };
}

/**
 * MaxSkew@k and NDKL@k (m4kit's maxSkewAtK / ndklAtK, uniform target) averaged over the query rows of q (Q×d)
 * against unit image rows x (n×d) with binary group labels, at every k in ks, with a permutation null:
 * `perms` shuffles of the labels within each concept block (a ranking that ignores gender inside a concept).
 */
export function skewProfile(x, group, concept, n, d, q, queries, ks, { perms = 200, seed = 0 } = {}) {
  const kMax = Math.max(...ks);
  const ranked = queries.map((c) => {
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += q[c * d + j] * x[i * d + j];
      s[i] = v;
    }
    return Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => s[b] - s[a] || a - b)
      .slice(0, kMax);
  });
  const measure = (lab) =>
    ks.map((k) => {
      let ms = 0;
      let nd = 0;
      for (const top of ranked) {
        const labels = top.map((i) => lab[i]);
        ms += maxSkewAtK(labels, k, 2) / ranked.length;
        nd += ndklAtK(labels, k, 2) / ranked.length;
      }
      return [ms, nd];
    });
  const obs = measure(group);
  const blocks = new Map();
  for (let i = 0; i < n; i++) {
    if (!blocks.has(concept[i])) blocks.set(concept[i], []);
    blocks.get(concept[i]).push(i);
  }
  const r = rng(seed + 4242);
  const lab = Int32Array.from(group);
  const null_ = ks.map(() => ({ ms: new Float64Array(perms), nd: new Float64Array(perms) }));
  for (let b = 0; b < perms; b++) {
    for (const idx of blocks.values()) {
      const vals = idx.map((i) => group[i]);
      for (let i = vals.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [vals[i], vals[j]] = [vals[j], vals[i]];
      }
      idx.forEach((i, t) => (lab[i] = vals[t]));
    }
    measure(lab).forEach(([ms, nd], t) => {
      null_[t].ms[b] = ms;
      null_[t].nd[b] = nd;
    });
  }
  const q95 = (a) => Float64Array.from(a).sort()[Math.floor(0.95 * (a.length - 1))];
  const avg = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  return ks.map((k, t) => ({
    k,
    maxSkew: obs[t][0],
    ndkl: obs[t][1],
    maxSkewNull: avg(null_[t].ms),
    maxSkewNull95: q95(null_[t].ms),
    ndklNull: avg(null_[t].nd),
    ndklNull95: q95(null_[t].nd),
  }));
}

/**
 * Two-sided Wilcoxon signed-rank test of paired differences x − y: zeros dropped, mid-ranks for ties, exact
 * p = P(|W+ − E W+| ≥ |w − E W+|) under the permutation distribution (each rank's sign ±, equally likely),
 * counted by dynamic programming on doubled ranks. Returns { pValue, wPlus, n } (n = non-zero differences;
 * pValue 1 when there are none).
 */
export function exactWilcoxon(x, y) {
  const d = [];
  for (let i = 0; i < x.length; i++) {
    const v = y ? x[i] - y[i] : x[i];
    if (!Number.isFinite(v)) throw new Error(`exactWilcoxon: non-finite difference at item ${i}`);
    if (v !== 0) d.push(v);
  }
  const n = d.length;
  if (!n) return { pValue: 1, wPlus: 0, n: 0 };
  const order = d.map((v, i) => [Math.abs(v), i]).sort((a, b) => a[0] - b[0]);
  const r2 = new Int32Array(n); // doubled mid-ranks (integers)
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && order[j + 1][0] === order[i][0]) j++;
    for (let t = i; t <= j; t++) r2[order[t][1]] = i + j + 2;
    i = j + 1;
  }
  const total = r2.reduce((s, v) => s + v, 0);
  let counts = new Float64Array(total + 1);
  counts[0] = 1;
  for (const r of r2) {
    const next = Float64Array.from(counts);
    for (let s = r; s <= total; s++) next[s] += counts[s - r];
    counts = next;
  }
  let w2 = 0;
  d.forEach((v, i) => (v > 0 ? (w2 += r2[i]) : 0));
  const dev = Math.abs(w2 - total / 2);
  let tail = 0;
  for (let s = 0; s <= total; s++) if (Math.abs(s - total / 2) >= dev - 1e-9) tail += counts[s];
  return { pValue: Math.min(1, tail / 2 ** n), wPlus: w2 / 2, n };
}

/**
 * Prompt parity with the prompts' own offset removed: s(x) = cos(x, "man") − cos(x, "woman") on unit-normalised
 * rows; θ = mean s over the balanced gendered images (where an unbiased read-out has no lean); parity = mean over
 * the neutral images of p(man) − p(woman) = 2σ(scale·(s − θ)) − 1, scale = 100 as in the raw parity.
 */
export function calibratedParity(xBal, nBal, xNeu, nNeu, prompts, d, scale = 100) {
  const score = (x, i) => {
    let nx = 0;
    let a = 0;
    let b = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      nx += v * v;
      a += v * prompts[j];
      b += v * prompts[d + j];
      na += prompts[j] ** 2;
      nb += prompts[d + j] ** 2;
    }
    return (a / Math.sqrt(na) - b / Math.sqrt(nb)) / Math.sqrt(nx || 1);
  };
  let theta = 0;
  for (let i = 0; i < nBal; i++) theta += score(xBal, i) / nBal;
  let p = 0;
  for (let i = 0; i < nNeu; i++) p += (2 / (1 + Math.exp(-scale * (score(xNeu, i) - theta))) - 1) / nNeu;
  return p;
}
