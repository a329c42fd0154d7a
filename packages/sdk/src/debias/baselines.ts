// Debiasing baselines (spec §2.7), float64, runtime-neutral:
//  * Biased prompts (Chuang et al. 2023): P* = P0 (I + λM)⁻¹ applied to text embeddings.
//  * CLIP-clip (Wang et al. 2021): per-dimension Mixed-KSG mutual information (Gao et al. 2017) with the
//    attribute label; keep the m lowest-MI dimensions.
import { ArgumentError, ShapeError } from '@m4kit/kernels';
import type { Embeddings } from '../evaluate/search.js';

function checkEmb(e: Embeddings, name: string): void {
  if (!Number.isInteger(e.n) || !Number.isInteger(e.d) || e.n < 0 || e.d < 0)
    throw new ShapeError(`${name}: bad shape ${e.n}×${e.d}`);
  if (e.data.length !== e.n * e.d) throw new ShapeError(`${name}: ${e.data.length} values, expected ${e.n}×${e.d}`);
  for (let i = 0; i < e.data.length; i++) {
    if (!Number.isFinite(e.data[i]))
      throw new ArgumentError(`${name}: row ${Math.floor(i / e.d)} has a non-finite value (column ${i % e.d})`);
  }
}

function unitRows(e: Embeddings, name: string): Float64Array {
  const out = new Float64Array(e.n * e.d);
  for (let i = 0; i < e.n; i++) {
    let s = 0;
    for (let j = 0; j < e.d; j++) s += e.data[i * e.d + j] ** 2;
    if (!(s > 0)) throw new ArgumentError(`${name}: row ${i} has zero norm`);
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < e.d; j++) out[i * e.d + j] = e.data[i * e.d + j] * inv;
  }
  return out;
}

/**
 * Orthonormal basis of the row span of `z` (K×d), by modified Gram–Schmidt with re-orthogonalisation;
 * directions whose residual norm falls below `tol`·(original norm) are dropped (rank-deficient prompt sets).
 * @param z - K vectors of length d, row-major.
 * @param K - vectors.
 * @param d - dimension.
 * @param tol - relative residual norm below which a vector is dropped (default 1e-10).
 * @returns the orthonormal basis vectors (at most K).
 */
export function orthonormalBasis(z: Float64Array, K: number, d: number, tol = 1e-10): Float64Array[] {
  const basis: Float64Array[] = [];
  for (let r = 0; r < K; r++) {
    const v = Float64Array.from(z.subarray(r * d, (r + 1) * d));
    let n0 = 0;
    for (let j = 0; j < d; j++) n0 += v[j] * v[j];
    n0 = Math.sqrt(n0);
    if (n0 === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += b[j] * v[j];
        for (let j = 0; j < d; j++) v[j] -= dot * b[j];
      }
    }
    let n = 0;
    for (let j = 0; j < d; j++) n += v[j] * v[j];
    n = Math.sqrt(n);
    if (n <= tol * n0) continue;
    for (let j = 0; j < d; j++) v[j] /= n;
    basis.push(v);
  }
  return basis;
}

/** Cholesky factor L (lower, row-major) of a symmetric positive-definite d×d matrix; throws if not SPD. */
function cholesky(a: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      const li = i * d;
      const lj = j * d;
      for (let k = 0; k < j; k++) s -= L[li + k] * L[lj + k];
      if (i === j) {
        if (!(s > 0)) throw new ArgumentError('I + λM is not positive definite (λ must be ≥ 0)');
        L[li + i] = Math.sqrt(s);
      } else L[li + j] = s / L[lj + j];
    }
  }
  return L;
}

/**
 * Options of `biasedPromptsProjection` (Chuang et al., "Debiasing vision-language models via biased prompts").
 */
export interface BiasedPromptsOptions {
  /** calibration weight λ (spec: 1000) */
  lambda?: number;
  /** L2-normalise spurious and candidate embeddings first (default true: the method works on unit text embeddings) */
  normalizeInputs?: boolean;
}

/**
 * The biased-prompts projection: P* (calibrated) and P0 (plain orthogonal projection), d×d row-major.
 */
export interface BiasedPromptsProjection {
  d: number;
  /** P* (d×d, row-major): apply as z' = normalise(P* z) */
  P: Float64Array;
  /** projection onto the orthogonal complement of the spurious span */
  P0: Float64Array;
  /** M = (1/|S|) Σ (z_i − z_j)(z_i − z_j)ᵀ */
  M: Float64Array;
  /** dimension of the spurious span actually removed */
  rank: number;
  lambda: number;
}

/**
 * Biased-prompts calibrated projection (Chuang et al. 2023, spec §2.7):
 * P0 = I − BBᵀ (B orthonormal basis of the spurious prompts' span), M = (1/|S|) Σ_{(i,j)∈S} (c_i − c_j)(c_i − c_j)ᵀ
 * over pairs of candidate prompts that differ only in the attribute, P* = P0 (I + λM)⁻¹.
 * With no pairs, P* = P0 (plain orthogonal projection).
 * @param spurious - embeddings of the spurious prompts (e.g. "a photo of a male/female").
 * @param candidates - embeddings of the candidate prompts for the calibration, or undefined.
 * @param pairs - index pairs of candidate prompts that should map to the same point.
 * @param opts - λ and input normalisation.
 * @returns P* and P0 (d×d, row-major).
 * @throws ShapeError for mismatched dimensions; ArgumentError for pair indices out of range.
 */
export function biasedPromptsProjection(
  spurious: Embeddings,
  candidates: Embeddings | undefined,
  pairs: ReadonlyArray<readonly [number, number]>,
  opts: BiasedPromptsOptions = {},
): BiasedPromptsProjection {
  const lambda = opts.lambda ?? 1000;
  if (!Number.isFinite(lambda) || lambda < 0)
    throw new ArgumentError(`lambda must be a finite number ≥ 0, got ${lambda}`);
  checkEmb(spurious, 'spurious prompts');
  if (spurious.n < 1) throw new ArgumentError('spurious prompts: need at least one embedding');
  const d = spurious.d;
  if (d < 1) throw new ShapeError('spurious prompts: dimension is 0');
  const norm = opts.normalizeInputs ?? true;
  const z = norm ? unitRows(spurious, 'spurious prompts') : Float64Array.from(spurious.data);
  const basis = orthonormalBasis(z, spurious.n, d);
  const P0 = new Float64Array(d * d);
  for (let i = 0; i < d; i++) P0[i * d + i] = 1;
  for (const b of basis) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) P0[i * d + j] -= b[i] * b[j];
  const M = new Float64Array(d * d);
  if (pairs.length) {
    if (!candidates) throw new ArgumentError('pairs given but no candidate prompt embeddings');
    checkEmb(candidates, 'candidate prompts');
    if (candidates.d !== d)
      throw new ShapeError(`candidate prompts have dimension ${candidates.d}, spurious prompts ${d}`);
    const c = norm ? unitRows(candidates, 'candidate prompts') : Float64Array.from(candidates.data);
    const diff = new Float64Array(d);
    pairs.forEach(([i, j], p) => {
      for (const x of [i, j]) {
        if (!Number.isInteger(x) || x < 0 || x >= candidates.n)
          throw new ArgumentError(`pair ${p}: candidate index ${x} is outside 0..${candidates.n - 1}`);
      }
      for (let t = 0; t < d; t++) diff[t] = c[i * d + t] - c[j * d + t];
      const w = 1 / pairs.length;
      for (let a = 0; a < d; a++) {
        const da = diff[a] * w;
        if (da === 0) continue;
        for (let b = 0; b < d; b++) M[a * d + b] += da * diff[b];
      }
    });
  }
  let P: Float64Array;
  if (!pairs.length || lambda === 0) P = Float64Array.from(P0);
  else {
    // A = I + λM is SPD; P* = P0 A⁻¹ ⇔ P*ᵀ = A⁻¹ P0 (A, P0 symmetric): solve A X = P0 column by column.
    const A = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) A[i] = lambda * M[i];
    for (let i = 0; i < d; i++) A[i * d + i] += 1;
    const L = cholesky(A, d);
    P = new Float64Array(d * d);
    const y = new Float64Array(d);
    for (let col = 0; col < d; col++) {
      // forward: L y = P0[:, col]
      for (let i = 0; i < d; i++) {
        let s = P0[i * d + col];
        for (let k = 0; k < i; k++) s -= L[i * d + k] * y[k];
        y[i] = s / L[i * d + i];
      }
      // backward: Lᵀ x = y; x is column `col` of X = P*ᵀ, i.e. row `col` of P*
      for (let i = d - 1; i >= 0; i--) {
        let s = y[i];
        for (let k = i + 1; k < d; k++) s -= L[k * d + i] * P[col * d + k];
        P[col * d + i] = s / L[i * d + i];
      }
    }
  }
  return { d, P, P0, M, rank: basis.length, lambda };
}

/**
 * Apply a d×d projection to every row: out_i = P e_i, L2-normalised unless `normalize: false`
 * (biased prompts: text embeddings only; images are left unchanged).
 * @param P - a d×d matrix (row-major).
 * @param d - dimension.
 * @param e - embeddings to project.
 * @param opts - `normalize` the rows afterwards (default true).
 * @returns new embeddings.
 * @throws ShapeError when e's dimension is not d.
 */
export function applyProjection(
  P: Float64Array,
  d: number,
  e: Embeddings,
  opts: { normalize?: boolean } = {},
): Embeddings {
  checkEmb(e, 'embeddings');
  if (P.length !== d * d) throw new ShapeError(`projection has ${P.length} entries, expected ${d}×${d}`);
  if (e.d !== d) throw new ShapeError(`embeddings have dimension ${e.d}, the projection ${d}`);
  const out = new Float64Array(e.n * d);
  for (let r = 0; r < e.n; r++) {
    const x = r * d;
    let s = 0;
    for (let i = 0; i < d; i++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += P[i * d + j] * e.data[x + j];
      out[x + i] = v;
      s += v * v;
    }
    if (opts.normalize ?? true) {
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let i = 0; i < d; i++) out[x + i] *= inv;
    }
  }
  return { n: e.n, d, data: out };
}

// ---------------------------------------------------------------------------------------------------------
// Mixed-KSG mutual information (Gao, Kannan, Oh, Viswanath 2017) between a scalar x and a scalar label y,
// max-norm in the joint space, exactly as spec §2.7 (strict "<" counts with the reference's 1e-15 slack).

const EPS = 1e-15;

/** ψ(n) for integers n ≥ 1: −γ + H_{n−1}; table grown on demand. */
const EULER = 0.5772156649015329;
let psiTable = new Float64Array([NaN, -EULER]);
function digammaInt(n: number): number {
  if (n >= psiTable.length) {
    const t = new Float64Array(Math.max(n + 1, psiTable.length * 2));
    t.set(psiTable);
    for (let i = psiTable.length; i < t.length; i++) t[i] = t[i - 1] + 1 / (i - 1);
    psiTable = t;
  }
  return psiTable[n];
}

/** first index in [lo, hi) where pred(i) is true, pred monotone false→true (hi when none) */
function lowerBound(lo: number, hi: number, pred: (i: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** #{t : within(|a[t] − xi|)} in ascending `a`, for a predicate `within` true up to some distance, false beyond */
function countWithin(a: Float64Array, xi: number, within: (dist: number) => boolean): number {
  const p = lowerBound(0, a.length, (t) => a[t] >= xi);
  const left = p - lowerBound(0, p, (t) => within(xi - a[t]));
  const right = lowerBound(p, a.length, (t) => !within(a[t] - xi)) - p;
  return left + right;
}

/**
 * Mixed-KSG estimate of I(x; y) in nats. x: N scalars (one embedding dimension), y: N labels (numbers; the
 * joint distance is max(|Δx|, |Δy|), as in the reference). k: neighbours (CLIP-clip uses 5). O(N·(log N + C·k))
 * with C distinct label values.
 * @param x - continuous values (one embedding dimension).
 * @param y - discrete labels, one per value.
 * @param k - neighbours (default 5).
 * @returns the mutual information estimate in nats (≥ 0).
 * @throws ShapeError for different lengths; ArgumentError for k < 1 or N ≤ k.
 */
export function mixedKsgMI(x: ArrayLike<number>, y: ArrayLike<number>, k = 5): number {
  const N = x.length;
  if (y.length !== N) throw new ShapeError(`mixedKsgMI: ${N} values but ${y.length} labels`);
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`k must be a positive integer, got ${k}`);
  if (N <= k) throw new ArgumentError(`mixedKsgMI needs more than k = ${k} samples, got ${N}`);
  for (let i = 0; i < N; i++) {
    if (!Number.isFinite(x[i])) throw new ArgumentError(`mixedKsgMI: value ${i} is not finite`);
    if (!Number.isFinite(y[i])) throw new ArgumentError(`mixedKsgMI: label ${i} is not finite`);
  }
  // global order by x, and per-class sorted x
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const xs = Float64Array.from(order, (i) => x[i]);
  const classVals = [...new Set(Array.from(y))].sort((a, b) => a - b);
  const classOf = new Map(classVals.map((v, c) => [v, c]));
  const C = classVals.length;
  const perClass: number[][] = Array.from({ length: C }, () => []);
  for (const i of order) perClass[classOf.get(y[i])!].push(x[i]);
  const classX = perClass.map((a) => Float64Array.from(a));
  const classN = classX.map((a) => a.length);
  const cand: number[] = [];
  let total = 0;
  for (let i = 0; i < N; i++) {
    const xi = x[i];
    const yi = y[i];
    // k+1 smallest joint distances (self included) are among the k+1 smallest |Δx| of each class
    cand.length = 0;
    for (let c = 0; c < C; c++) {
      const a = classX[c];
      const dy = Math.abs(classVals[c] - yi);
      let r = lowerBound(0, a.length, (t) => a[t] >= xi);
      let l = r - 1;
      for (let taken = 0; taken <= k && (l >= 0 || r < a.length); taken++) {
        const dl = l >= 0 ? Math.abs(a[l] - xi) : Infinity;
        const dr = r < a.length ? Math.abs(a[r] - xi) : Infinity;
        if (dl <= dr) {
          cand.push(Math.max(dl, dy));
          l--;
        } else {
          cand.push(Math.max(dr, dy));
          r++;
        }
      }
    }
    cand.sort((a, b) => a - b);
    const rho = cand[k];
    let kp: number;
    let nx: number;
    let ny = 0;
    if (rho === 0) {
      const zero = (dist: number) => dist <= EPS;
      kp = 0;
      for (let c = 0; c < C; c++) {
        if (!zero(Math.abs(classVals[c] - yi))) continue;
        ny += classN[c];
        kp += countWithin(classX[c], xi, zero);
      }
      nx = countWithin(xs, xi, zero);
    } else {
      kp = k;
      const within = (dist: number) => dist < rho - EPS;
      nx = countWithin(xs, xi, within);
      for (let c = 0; c < C; c++) if (within(Math.abs(classVals[c] - yi))) ny += classN[c];
    }
    total += digammaInt(kp) + Math.log(N) - digammaInt(nx) - digammaInt(ny);
  }
  return total / N;
}

/**
 * What `clipClipSelect` returns: the MI per dimension and the kept / dropped dimension indices.
 */
export interface ClipClipResult {
  /** MI per embedding dimension */
  mi: Float64Array;
  /** kept dimensions (the m lowest MI, stable by index on ties), ascending */
  keep: Uint32Array;
  /** dropped dimensions, ascending */
  drop: Uint32Array;
}

/**
 * CLIP-clip dimension selection (spec §2.7): Mixed-KSG MI of every dimension of `images` (unnormalised frozen
 * image embeddings) with the attribute label; keep the m lowest-MI dimensions, sorted by index.
 * @param images - image embeddings.
 * @param labels - attribute class per image.
 * @param m - dimensions to keep (1 ≤ m ≤ d).
 * @param opts - KSG neighbours `k` and a per-dimension progress callback.
 * @returns MI per dimension, kept and dropped dimensions.
 * @throws ArgumentError for a bad m; ShapeError for a label count that differs from the images.
 */
export function clipClipSelect(
  images: Embeddings,
  labels: ArrayLike<number>,
  m: number,
  opts: { k?: number; onDim?: (done: number, total: number) => void } = {},
): ClipClipResult {
  checkEmb(images, 'images');
  if (images.n === 0) throw new ArgumentError('clip-clip: no images');
  if (labels.length !== images.n)
    throw new ShapeError(`clip-clip: ${images.n} images but ${labels.length} attribute labels`);
  if (!Number.isInteger(m) || m < 1 || m > images.d)
    throw new ArgumentError(`m must be an integer in [1, ${images.d}], got ${m}`);
  const { n, d } = images;
  const mi = new Float64Array(d);
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = images.data[i * d + j];
    mi[j] = mixedKsgMI(col, labels, opts.k ?? 5);
    opts.onDim?.(j + 1, d);
  }
  const idx = Array.from({ length: d }, (_, j) => j).sort((a, b) => mi[a] - mi[b] || a - b);
  const keep = Uint32Array.from(idx.slice(0, m)).sort();
  const drop = Uint32Array.from(idx.slice(m)).sort();
  return { mi, keep, drop };
}

/**
 * Keep the given dimensions of every row (CLIP-clip: the same index set for images and texts).
 * @param e - embeddings.
 * @param keep - dimension indices in [0, d).
 * @returns new embeddings with `keep.length` columns.
 * @throws ShapeError for an index out of range.
 */
export function selectDims(e: Embeddings, keep: ArrayLike<number>): Embeddings {
  checkEmb(e, 'embeddings');
  const m = keep.length;
  for (let t = 0; t < m; t++) {
    if (!Number.isInteger(keep[t]) || keep[t] < 0 || keep[t] >= e.d)
      throw new ShapeError(`kept dimension ${keep[t]} is outside 0..${e.d - 1}`);
  }
  const out = new Float64Array(e.n * m);
  for (let i = 0; i < e.n; i++) for (let t = 0; t < m; t++) out[i * m + t] = e.data[i * e.d + keep[t]];
  return { n: e.n, d: m, data: out };
}
