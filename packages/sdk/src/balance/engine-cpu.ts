// Float64 CPU implementation of MomentsEngine (spec ALGORITHMS.md §1.5): one fused loop over rows per call.
import { ArgumentError, foldHessianGroupPartials, ShapeError } from '@m4kit/kernels';
import { validatePi } from './pi.js';
import type { BalanceData, MomentsEngine, MomentsSums } from './types.js';

export { validatePi };

type Arr = ArrayLike<number>;

function isArrayLikeNumber(x: unknown): x is Arr {
  return x != null && typeof (x as Arr).length === 'number';
}

/**
 * Checks the shapes and values of `data` (and `pi` when given). Throws `ShapeError` for shape mismatches and
 * `ArgumentError` for bad values; messages name the offending argument. Shared by every consumer of BalanceData.
 */
export function validateBalanceData(data: BalanceData, pi?: Arr): void {
  if (data == null || typeof data !== 'object') throw new ArgumentError('data: expected a BalanceData object');
  const { n, m, c } = data;
  for (const [name, v, min] of [
    ['n', n, 1],
    ['m', m, 1],
    ['c', c, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min)
      throw new ArgumentError(`data.${name}: expected an integer ≥ ${min}, got ${v}`);
  }
  if (!isArrayLikeNumber(data.S)) throw new ShapeError('data.S: missing (expected n*m values)');
  if (data.S.length !== n * m) throw new ShapeError(`data.S: length ${data.S.length} ≠ n*m = ${n}*${m} = ${n * m}`);
  if (!isArrayLikeNumber(data.Y)) throw new ShapeError('data.Y: missing (expected n*c values)');
  if (data.Y.length !== n * c) throw new ShapeError(`data.Y: length ${data.Y.length} ≠ n*c = ${n}*${c} = ${n * c}`);
  if (data.u != null && data.u.length !== n) throw new ShapeError(`data.u: length ${data.u.length} ≠ n = ${n}`);
  if (data.w != null && data.w.length !== n) throw new ShapeError(`data.w: length ${data.w.length} ≠ n = ${n}`);
  const checkRange = (name: string, a: Arr) => {
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (!(x >= 0 && x <= 1)) throw new ArgumentError(`data.${name}[${i}] = ${x}: expected a value in [0, 1]`);
    }
  };
  checkRange('S', data.S);
  checkRange('Y', data.Y);
  if (data.u != null) {
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(data.u[i])) throw new ArgumentError(`data.u[${i}] = ${data.u[i]}: expected a finite number`);
  }
  if (data.w != null) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const x = data.w[i];
      if (!(x >= 0 && Number.isFinite(x))) throw new ArgumentError(`data.w[${i}] = ${x}: expected a finite weight ≥ 0`);
      s += x;
    }
    if (!(s > 0)) throw new ArgumentError('data.w: the weights sum to 0');
  }
  if (pi !== undefined) validatePi(pi, m);
}

/**
 * Float64 MomentsEngine over the rows (or patterns) of `data`, with target shares `pi` (length m, in (0,1)).
 * The data arrays are referenced, not copied: do not mutate them while the engine is in use.
 */
export interface CpuEngineOptions {
  /**
   * 'auto' (default): rows with a one-hot S and 0/1 labels take the categorical path (group index + label list per
   * row, so a row costs 1 + its label count instead of m(c+1)); 'dense': always the dense loops (tests compare).
   */
  layout?: 'auto' | 'dense';
}

/** Categorical rows: group per row and the CSR list of its set labels; null when S is not one-hot or Y not 0/1. */
function categorical(data: BalanceData): { g: Uint32Array; off: Uint32Array; lab: Uint32Array } | null {
  const { n, m, c, S, Y } = data;
  const g = new Uint32Array(n);
  const off = new Uint32Array(n + 1);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    let ones = 0;
    for (let k = 0; k < m; k++) {
      const x = S[i * m + k];
      if (x === 1) {
        g[i] = k;
        ones++;
      } else if (x !== 0) return null;
    }
    if (ones !== 1) return null;
    for (let r = 0; r < c; r++) {
      const y = Y[i * c + r];
      if (y === 1) nnz++;
      else if (y !== 0) return null;
    }
    off[i + 1] = nnz;
  }
  const lab = new Uint32Array(nnz);
  for (let i = 0, j = 0; i < n; i++) for (let r = 0; r < c; r++) if (Y[i * c + r] === 1) lab[j++] = r;
  return { g, off, lab };
}

/**
 * The float64 moments engine over rows (or patterns) held in memory: the solver's reference and CPU backend.
 *
 * @param data - attribute and label indicators (and utility, multiplicities) per row
 * @param pi - the target share per group
 * @param opts - engine options
 * @returns a `MomentsEngine` for `solveBatch` / `maxFeasibleEta`
 */
export function createCpuEngine(data: BalanceData, pi: ArrayLike<number>, opts: CpuEngineOptions = {}): MomentsEngine {
  validateBalanceData(data, pi);
  if (opts.layout !== undefined && opts.layout !== 'auto' && opts.layout !== 'dense')
    throw new ArgumentError(`layout must be 'auto' or 'dense', got '${opts.layout}'`);
  const cat = opts.layout === 'dense' ? null : categorical(data);
  if (cat) return categoricalEngine(data, Float64Array.from(pi), cat);
  const { n, m, c, S, Y, u, w } = data;
  const P = m * (c + 1);
  const piArr = Float64Array.from(pi);
  const sc = new Float64Array(m); // (s_i − π) scratch
  const yr = new Float64Array(c + 1); // [1, y_i]
  let disposed = false;
  const alive = () => {
    if (disposed) throw new ArgumentError('engine: used after dispose()');
  };
  const checkW = (W: Float64Array) => {
    if (!W || W.length !== P) throw new ShapeError(`W: length ${W ? W.length : 'undefined'} ≠ m*(c+1) = ${P}`);
  };

  /** Loads row i into sc/yr and returns t_i = (s_i − π)ᵀ W [1; y_i]. */
  const rowDot = (i: number, W: Float64Array): number => {
    const so = i * m;
    const yo = i * c;
    yr[0] = 1;
    for (let r = 0; r < c; r++) yr[r + 1] = Y[yo + r];
    let t = 0;
    for (let k = 0; k < m; k++) {
      const s = S[so + k] - piArr[k];
      sc[k] = s;
      if (s === 0) continue;
      const wo = k * (c + 1);
      let acc = 0;
      for (let r = 0; r <= c; r++) acc += W[wo + r] * yr[r];
      t += s * acc;
    }
    return t;
  };

  const engine: MomentsEngine = {
    n,
    m,
    c,
    pi: piArr,
    async pass(W: Float64Array, mu: number, eta: number, fixedQ?: number): Promise<MomentsSums> {
      alive();
      checkW(W);
      const D = new Float64Array(P);
      const qy = new Float64Array(c);
      let sumW = 0;
      let sumQ = 0;
      let obj = 0;
      for (let i = 0; i < n; i++) {
        const wi = w ? w[i] : 1;
        if (wi === 0) continue;
        const t = rowDot(i, W);
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
          const o = k * (c + 1);
          for (let r = 0; r <= c; r++) D[o + r] += f * yr[r];
        }
      }
      return { sumW, sumQ, D, qy, obj };
    },
    async q(W: Float64Array, mu: number, eta: number): Promise<Float64Array> {
      alive();
      checkW(W);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const q = eta + (u ? u[i] : 0) - rowDot(i, W) - mu;
        out[i] = q < 0 ? 0 : q > 1 ? 1 : q;
      }
      return out;
    },
    async hessian(W: Float64Array, mu: number, eta: number, stride = 1): Promise<Float64Array> {
      alive();
      checkW(W);
      if (!Number.isInteger(stride) || stride < 1) {
        throw new ArgumentError(`hessian: stride must be an integer ≥ 1, got ${stride}`);
      }
      // z_i = [(s_i − π) ⊗ [1, y_i]; 1] is sparse for one-hot attributes and few labels: add the products of its
      // nonzeros only (upper triangle), mirror at the end
      const K = P + 1;
      const H = new Float64Array(K * K);
      const idx = new Int32Array(K);
      const val = new Float64Array(K);
      for (let i = 0; i < n; i += stride) {
        const wi = w ? w[i] : 1;
        if (wi === 0) continue;
        const qh = eta + (u ? u[i] : 0) - rowDot(i, W) - mu;
        if (!(qh > 0 && qh < 1)) continue;
        let nz = 0;
        for (let k = 0; k < m; k++) {
          const s = sc[k];
          if (s === 0) continue;
          for (let r = 0; r <= c; r++) {
            const y = yr[r];
            if (y === 0) continue;
            idx[nz] = k * (c + 1) + r;
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
      for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) H[b * K + a] = H[a * K + b];
      return H;
    },
    async frobenius(): Promise<number> {
      alive();
      let f = 0;
      for (let i = 0; i < n; i++) {
        const wi = w ? w[i] : 1;
        let ss = 0;
        for (let k = 0; k < m; k++) {
          const s = S[i * m + k] - piArr[k];
          ss += s * s;
        }
        let yy = 1;
        for (let r = 0; r < c; r++) yy += Y[i * c + r] * Y[i * c + r];
        f += wi * (2 * ss * yy + 1);
      }
      return f;
    },
    dispose() {
      disposed = true;
    },
  };
  return engine;
}

/**
 * The float64 engine on categorical rows (row i in group g_i, labels L_i): with V = W − 1πᵀW (V[g] = W[g] − πᵀW),
 *   t_i = V[g_i][0] + Σ_{r ∈ L_i} V[g_i][1+r],
 * and the sums by group A[g][r] = Σ_{g_i = g} w q [1, y]_r give D[k][r] = A[k][r] − π_k Σ_g A[g][r]; the Hessian
 * comes from the per-group label moments M_g (foldHessianGroupPartials, as the GPU's groups kernel). Same
 * quantities as the dense loops in another summation order (the tests compare them to 1e-12).
 */
function categoricalEngine(
  data: BalanceData,
  piArr: Float64Array,
  cat: { g: Uint32Array; off: Uint32Array; lab: Uint32Array },
): MomentsEngine {
  const { n, m, c, S, Y, u, w } = data;
  const { g, off, lab } = cat;
  const c1 = c + 1;
  const P = m * c1;
  const V = new Float64Array(P);
  let disposed = false;
  const check = (W: Float64Array) => {
    if (disposed) throw new ArgumentError('engine: used after dispose()');
    if (!W || W.length !== P) throw new ShapeError(`W: length ${W ? W.length : 'undefined'} ≠ m*(c+1) = ${P}`);
    for (let r = 0; r < c1; r++) {
      let x = 0;
      for (let k = 0; k < m; k++) x += piArr[k] * W[k * c1 + r];
      for (let k = 0; k < m; k++) V[k * c1 + r] = W[k * c1 + r] - x;
    }
  };
  const tOf = (i: number): number => {
    const vo = g[i] * c1;
    let t = V[vo];
    for (let j = off[i]; j < off[i + 1]; j++) t += V[vo + 1 + lab[j]];
    return t;
  };
  return {
    n,
    m,
    c,
    pi: piArr,
    async pass(W: Float64Array, mu: number, eta: number, fixedQ?: number): Promise<MomentsSums> {
      check(W);
      const A = new Float64Array(P);
      let sumW = 0;
      let obj = 0;
      for (let i = 0; i < n; i++) {
        const wi = w ? w[i] : 1;
        if (wi === 0) continue;
        const t = tOf(i);
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
        const ao = g[i] * c1;
        A[ao] += wq;
        for (let j = off[i]; j < off[i + 1]; j++) A[ao + 1 + lab[j]] += wq;
      }
      const col = new Float64Array(c1); // Σ_g A[g][r]
      for (let k = 0; k < m; k++) for (let r = 0; r < c1; r++) col[r] += A[k * c1 + r];
      const D = new Float64Array(P);
      for (let k = 0; k < m; k++) for (let r = 0; r < c1; r++) D[k * c1 + r] = A[k * c1 + r] - piArr[k] * col[r];
      return { sumW, sumQ: col[0], D, qy: col.slice(1), obj };
    },
    async q(W: Float64Array, mu: number, eta: number): Promise<Float64Array> {
      check(W);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const q = eta + (u ? u[i] : 0) - tOf(i) - mu;
        out[i] = q < 0 ? 0 : q > 1 ? 1 : q;
      }
      return out;
    },
    async hessian(W: Float64Array, mu: number, eta: number, stride = 1): Promise<Float64Array> {
      check(W);
      if (!Number.isInteger(stride) || stride < 1) {
        throw new ArgumentError(`hessian: stride must be an integer ≥ 1, got ${stride}`);
      }
      // per-group upper triangles of Σ w ỹ ỹᵀ (ỹ = [1, y]), in the GPU groups kernel's packed order
      const E = (c1 * (c1 + 1)) / 2;
      const M = new Float64Array(m * E);
      const tri = (r: number, r2: number) => r * c1 - (r * (r - 1)) / 2 + (r2 - r);
      const idx = new Uint32Array(c1);
      for (let i = 0; i < n; i += stride) {
        const wi = w ? w[i] : 1;
        if (wi === 0) continue;
        const qh = eta + (u ? u[i] : 0) - tOf(i) - mu;
        if (!(qh > 0 && qh < 1)) continue;
        const mo = g[i] * E;
        let nz = 0;
        idx[nz++] = 0;
        for (let j = off[i]; j < off[i + 1]; j++) idx[nz++] = 1 + lab[j];
        for (let a = 0; a < nz; a++) for (let b = a; b < nz; b++) M[mo + tri(idx[a], idx[b])] += wi;
      }
      return foldHessianGroupPartials(M, m, c, piArr);
    },
    async frobenius(): Promise<number> {
      if (disposed) throw new ArgumentError('engine: used after dispose()');
      let f = 0;
      for (let i = 0; i < n; i++) {
        const wi = w ? w[i] : 1;
        let ss = 0;
        for (let k = 0; k < m; k++) {
          const s = S[i * m + k] - piArr[k];
          ss += s * s;
        }
        let yy = 1;
        for (let r = 0; r < c; r++) yy += Y[i * c + r] * Y[i * c + r];
        f += wi * (2 * ss * yy + 1);
      }
      return f;
    },
    dispose() {
      disposed = true;
    },
  };
}
