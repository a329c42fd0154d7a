// Float64 CPU implementation of MomentsEngine (spec ALGORITHMS.md §1.5): one fused loop over rows per call.
import { ArgumentError, ShapeError } from '@m4kit/kernels';
import type { BalanceData, MomentsEngine, MomentsSums } from './types.js';

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

/** π must have length m and entries in the open interval (0, 1). */
export function validatePi(pi: Arr, m: number, name = 'pi'): void {
  if (!isArrayLikeNumber(pi)) throw new ArgumentError(`${name}: expected an array of length m = ${m}`);
  if (pi.length !== m)
    throw new ArgumentError(`${name}: length ${pi.length} ≠ m = ${m} (one target share per sensitive attribute)`);
  for (let k = 0; k < m; k++) {
    const x = pi[k];
    if (!(x > 0 && x < 1)) throw new ArgumentError(`${name}[${k}] = ${x}: expected a target share in (0, 1)`);
  }
}

/**
 * Float64 MomentsEngine over the rows (or patterns) of `data`, with target shares `pi` (length m, in (0,1)).
 * The data arrays are referenced, not copied: do not mutate them while the engine is in use.
 */
export function createCpuEngine(data: BalanceData, pi: ArrayLike<number>): MomentsEngine {
  validateBalanceData(data, pi);
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
