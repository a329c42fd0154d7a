// The float64 moments behind the CPU backend of `k.moments` (and so the SDK's CPU balance engine): one fused
// loop over the rows per call, on dense rows, or on categorical rows (a group index and the list of set labels
// per row — the compact encodings u8/u16 + bits) where a row costs 1 + its label count instead of m(c+1).
// Definitions: spec ALGORITHMS.md §1.5; the WGSL kernels compute the same quantities in float32 (moments.ts).
import { foldHessianGroupPartials } from './hessian.js';
import { groupAt, labelWords } from './encode.js';

type Arr = ArrayLike<number>;

/** Weighted sums of one pass (the balance solver's `MomentsSums`). */
export interface MomentsSums {
  /** Σ w_i */
  sumW: number;
  /** Σ w_i q_i */
  sumQ: number;
  /** m×(c+1), row-major: Σ w_i q_i (s_ik − π_k)·[1, y_i]_r */
  D: Float64Array;
  /** length c: Σ w_i q_i y_ir */
  qy: Float64Array;
  /** Σ w_i [ ½ (q_i − q0_i)² + q_i ((s_i − π)ᵀ W [1; y_i] + µ) ] */
  obj: number;
}

/** One chunk of rows on the host: dense S [rows, m] / Y [rows, c], or categorical (group + label list per row). */
export interface HostRows {
  rows: number;
  S?: Arr;
  Y?: Arr;
  cat?: { g: Uint32Array; off: Uint32Array; lab: Uint32Array };
  u?: Arr;
  w?: Arr;
}

/** Decode a chunk's encodings: both compact → categorical; otherwise dense (a compact side unpacked exactly). */
export function hostRows(
  ch: { S: Arr; Y: Arr; u?: Arr; w?: Arr; sEnc?: string; yEnc?: string },
  rows: number,
  m: number,
  c: number,
): HostRows {
  const sEnc = ch.sEnc ?? 'f32';
  const yEnc = ch.yEnc ?? 'f32';
  const bits = sEnc === 'u16' ? 16 : 8;
  const lw = labelWords(c);
  if (sEnc !== 'f32' && yEnc === 'bits') {
    const g = new Uint32Array(rows);
    const off = new Uint32Array(rows + 1);
    let nnz = 0;
    for (let i = 0; i < rows; i++) {
      g[i] = groupAt(ch.S, i, bits);
      for (let r = 0; r < c; r++) if ((ch.Y[i * lw + (r >> 5)] >>> (r & 31)) & 1) nnz++;
      off[i + 1] = nnz;
    }
    const lab = new Uint32Array(nnz);
    for (let i = 0, j = 0; i < rows; i++)
      for (let r = 0; r < c; r++) if ((ch.Y[i * lw + (r >> 5)] >>> (r & 31)) & 1) lab[j++] = r;
    return { rows, cat: { g, off, lab }, u: ch.u, w: ch.w };
  }
  let S: Arr = ch.S;
  let Y: Arr = ch.Y;
  if (sEnc !== 'f32') {
    const d = new Float64Array(rows * m);
    for (let i = 0; i < rows; i++) d[i * m + groupAt(ch.S, i, bits)] = 1;
    S = d;
  }
  if (yEnc === 'bits') {
    const d = new Float64Array(rows * c);
    for (let i = 0; i < rows; i++)
      for (let r = 0; r < c; r++) d[i * c + r] = (ch.Y[i * lw + (r >> 5)] >>> (r & 31)) & 1;
    Y = d;
  }
  return { rows, S, Y, u: ch.u, w: ch.w };
}

export interface DualPoint {
  W: Arr;
  pi: Arr;
  mu: number;
  eta: number;
}

/** V = W − 1πᵀW: t_i = V[g_i][0] + Σ_{r ∈ L_i} V[g_i][1+r] on categorical rows. */
function shifted(W: Arr, pi: Arr, m: number, c1: number): Float64Array {
  const V = new Float64Array(m * c1);
  for (let r = 0; r < c1; r++) {
    let x = 0;
    for (let k = 0; k < m; k++) x += pi[k] * W[k * c1 + r];
    for (let k = 0; k < m; k++) V[k * c1 + r] = W[k * c1 + r] - x;
  }
  return V;
}

/** Dense rows: loads row i into sc (s − π) / yr ([1, y]) and returns t_i = (s_i − π)ᵀ W [1; y_i]. */
function denseDot(h: HostRows, i: number, W: Arr, pi: Arr, m: number, c: number, sc: Float64Array, yr: Float64Array) {
  const S = h.S!;
  const Y = h.Y!;
  const so = i * m;
  const yo = i * c;
  yr[0] = 1;
  for (let r = 0; r < c; r++) yr[r + 1] = Y[yo + r];
  let t = 0;
  for (let k = 0; k < m; k++) {
    const s = S[so + k] - pi[k];
    sc[k] = s;
    if (s === 0) continue;
    const wo = k * (c + 1);
    let acc = 0;
    for (let r = 0; r <= c; r++) acc += W[wo + r] * yr[r];
    t += s * acc;
  }
  return t;
}

function catDot(cat: NonNullable<HostRows['cat']>, i: number, V: Float64Array, c1: number): number {
  const vo = cat.g[i] * c1;
  let t = V[vo];
  for (let j = cat.off[i]; j < cat.off[i + 1]; j++) t += V[vo + 1 + cat.lab[j]];
  return t;
}

/** One pass over the chunks (in order, one set of accumulators): q per row and its weighted sums. */
export function momentsSumsCpu(chunks: HostRows[], m: number, c: number, p: DualPoint, fixedQ?: number): MomentsSums {
  const { W, pi, mu, eta } = p;
  const c1 = c + 1;
  const P = m * c1;
  let sumW = 0;
  let obj = 0;
  if (chunks.length && chunks.every((h) => h.cat)) {
    const V = shifted(W, pi, m, c1);
    const A = new Float64Array(P);
    for (const h of chunks) {
      const { u, w } = h;
      const cat = h.cat!;
      for (let i = 0; i < h.rows; i++) {
        const wi = w ? w[i] : 1;
        if (wi === 0) continue;
        const t = catDot(cat, i, V, c1);
        const q0 = eta + (u ? u[i] : 0);
        let q: number;
        if (fixedQ !== undefined) q = fixedQ;
        else {
          q = q0 - t - mu;
          q = q < 0 ? 0 : q > 1 ? 1 : q;
        }
        const dq = q - q0;
        sumW += wi;
        obj += wi * (0.5 * dq * dq + q * (t + mu));
        if (q === 0) continue;
        const wq = wi * q;
        const ao = cat.g[i] * c1;
        A[ao] += wq;
        for (let j = cat.off[i]; j < cat.off[i + 1]; j++) A[ao + 1 + cat.lab[j]] += wq;
      }
    }
    const col = new Float64Array(c1); // Σ_g A[g][r]
    for (let k = 0; k < m; k++) for (let r = 0; r < c1; r++) col[r] += A[k * c1 + r];
    const D = new Float64Array(P);
    for (let k = 0; k < m; k++) for (let r = 0; r < c1; r++) D[k * c1 + r] = A[k * c1 + r] - pi[k] * col[r];
    return { sumW, sumQ: col[0], D, qy: col.slice(1), obj };
  }
  const D = new Float64Array(P);
  const qy = new Float64Array(c);
  let sumQ = 0;
  const sc = new Float64Array(m);
  const yr = new Float64Array(c1);
  for (const h0 of chunks) {
    const h = h0.cat ? denseOf(h0, m, c) : h0;
    const { u, w } = h;
    for (let i = 0; i < h.rows; i++) {
      const wi = w ? w[i] : 1;
      if (wi === 0) continue;
      const t = denseDot(h, i, W, pi, m, c, sc, yr);
      const q0 = eta + (u ? u[i] : 0);
      let q: number;
      if (fixedQ !== undefined) q = fixedQ;
      else {
        q = q0 - t - mu;
        q = q < 0 ? 0 : q > 1 ? 1 : q;
      }
      const dq = q - q0;
      sumW += wi;
      obj += wi * (0.5 * dq * dq + q * (t + mu));
      if (q === 0) continue;
      const wq = wi * q;
      sumQ += wq;
      for (let r = 0; r < c; r++) qy[r] += wq * yr[r + 1];
      for (let k = 0; k < m; k++) {
        const s = sc[k];
        if (s === 0) continue;
        const f = wq * s;
        const o = k * c1;
        for (let r = 0; r <= c; r++) D[o + r] += f * yr[r];
      }
    }
  }
  return { sumW, sumQ, D, qy, obj };
}

/** q_i = clip(η + u_i − t_i − µ, 0, 1) for every row of the chunks, in order. */
export function momentsQCpu(chunks: HostRows[], m: number, c: number, p: DualPoint): Float64Array {
  const { W, pi, mu, eta } = p;
  const c1 = c + 1;
  const out = new Float64Array(chunks.reduce((a, h) => a + h.rows, 0));
  const V = chunks.some((h) => h.cat) ? shifted(W, pi, m, c1) : null;
  const sc = new Float64Array(m);
  const yr = new Float64Array(c1);
  let o = 0;
  for (const h of chunks) {
    for (let i = 0; i < h.rows; i++) {
      const t = h.cat ? catDot(h.cat, i, V!, c1) : denseDot(h, i, W, pi, m, c, sc, yr);
      const q = eta + (h.u ? h.u[i] : 0) - t - mu;
      out[o++] = q < 0 ? 0 : q > 1 ? 1 : q;
    }
  }
  return out;
}

/**
 * The generalised Hessian H = Σ_{0<q̂<1} w z zᵀ (K×K, K = m(c+1)+1) over rows 0, stride, 2·stride, … of the
 * chunks taken as one table. Dense rows add the products of z's nonzeros (upper triangle, mirrored); categorical
 * rows the per-group label moments, expanded by `foldHessianGroupPartials` (as the GPU's groups kernel).
 */
export function momentsHessianCpu(chunks: HostRows[], m: number, c: number, p: DualPoint, stride: number) {
  const { W, pi, mu, eta } = p;
  const c1 = c + 1;
  const P = m * c1;
  const K = P + 1;
  if (chunks.length && chunks.every((h) => h.cat)) {
    const V = shifted(W, pi, m, c1);
    const E = (c1 * (c1 + 1)) / 2;
    const M = new Float64Array(m * E);
    const tri = (r: number, r2: number) => r * c1 - (r * (r - 1)) / 2 + (r2 - r);
    const idx = new Uint32Array(c1);
    let base = 0;
    for (const h of chunks) {
      const cat = h.cat!;
      for (let i = (stride - (base % stride)) % stride; i < h.rows; i += stride) {
        const wi = h.w ? h.w[i] : 1;
        if (wi === 0) continue;
        const qh = eta + (h.u ? h.u[i] : 0) - catDot(cat, i, V, c1) - mu;
        if (!(qh > 0 && qh < 1)) continue;
        const mo = cat.g[i] * E;
        let nz = 0;
        idx[nz++] = 0;
        for (let j = cat.off[i]; j < cat.off[i + 1]; j++) idx[nz++] = 1 + cat.lab[j];
        for (let a = 0; a < nz; a++) for (let b = a; b < nz; b++) M[mo + tri(idx[a], idx[b])] += wi;
      }
      base += h.rows;
    }
    return foldHessianGroupPartials(M, m, c, pi);
  }
  const H = new Float64Array(K * K);
  const idx = new Int32Array(K);
  const val = new Float64Array(K);
  const sc = new Float64Array(m);
  const yr = new Float64Array(c1);
  let base = 0;
  for (const h0 of chunks) {
    const h = h0.cat ? denseOf(h0, m, c) : h0;
    for (let i = (stride - (base % stride)) % stride; i < h.rows; i += stride) {
      const wi = h.w ? h.w[i] : 1;
      if (wi === 0) continue;
      const qh = eta + (h.u ? h.u[i] : 0) - denseDot(h, i, W, pi, m, c, sc, yr) - mu;
      if (!(qh > 0 && qh < 1)) continue;
      let nz = 0;
      for (let k = 0; k < m; k++) {
        const s = sc[k];
        if (s === 0) continue;
        for (let r = 0; r <= c; r++) {
          const y = yr[r];
          if (y === 0) continue;
          idx[nz] = k * c1 + r;
          val[nz++] = s * y;
        }
      }
      idx[nz] = P;
      val[nz++] = 1;
      for (let a = 0; a < nz; a++) {
        const f = wi * val[a];
        const o = idx[a] * K;
        for (let b = a; b < nz; b++) H[o + idx[b]] += f * val[b];
      }
    }
    base += h.rows;
  }
  for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) H[b * K + a] = H[a * K + b];
  return H;
}

/** Dense S / Y of categorical rows (a table mixing both layouts runs the dense loops). */
function denseOf(h: HostRows, m: number, c: number): HostRows {
  const { g, off, lab } = h.cat!;
  const S = new Float64Array(h.rows * m);
  const Y = new Float64Array(h.rows * c);
  for (let i = 0; i < h.rows; i++) {
    S[i * m + g[i]] = 1;
    for (let j = off[i]; j < off[i + 1]; j++) Y[i * c + lab[j]] = 1;
  }
  return { rows: h.rows, S, Y, u: h.u, w: h.w };
}
