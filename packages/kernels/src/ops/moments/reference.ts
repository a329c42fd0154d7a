/**
 * Float64 reference of the fused moments pass: returns the R = (m+1)(c+1)+2 sums
 * [P (m×(c+1)), g (c+1), Σw, Σo] with the same definitions as the kernel, plus q per row.
 */
export function momentsRef(
  d: {
    n: number;
    m: number;
    c: number;
    S: ArrayLike<number>;
    Y: ArrayLike<number>;
    u?: ArrayLike<number>;
    w?: ArrayLike<number>;
  },
  prm: { W: ArrayLike<number>; pi: ArrayLike<number>; mu: number; eta: number; fixedQ?: number },
): { sums: Float64Array; q: Float64Array } {
  const { n, m, c } = d;
  const c1 = c + 1;
  const sums = new Float64Array((m + 1) * c1 + 2);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let k = 0; k < m; k++) {
      let acc = prm.W[k * c1];
      for (let r = 0; r < c; r++) acc += prm.W[k * c1 + 1 + r] * d.Y[i * c + r];
      t += (d.S[i * m + k] - prm.pi[k]) * acc;
    }
    const q0 = prm.eta + (d.u ? d.u[i] : 0);
    const w = d.w ? d.w[i] : 1;
    const qi = prm.fixedQ ?? Math.min(1, Math.max(0, q0 - t - prm.mu));
    q[i] = qi;
    const z = w * qi;
    for (let k = 0; k < m; k++) {
      const s = d.S[i * m + k];
      sums[k * c1] += z * s;
      for (let r = 0; r < c; r++) sums[k * c1 + 1 + r] += z * s * d.Y[i * c + r];
    }
    sums[m * c1] += z;
    for (let r = 0; r < c; r++) sums[m * c1 + 1 + r] += z * d.Y[i * c + r];
    sums[(m + 1) * c1] += w;
    sums[(m + 1) * c1 + 1] += w * (0.5 * (qi - q0) ** 2 + qi * (t + prm.mu));
  }
  return { sums, q };
}

/**
 * Float64 reference of the generalised-Hessian pass: the full symmetric K×K matrix (K = m(c+1)+1, row-major)
 *   H = Σ_{i: 0 < q̂_i < 1} w_i z_i z_iᵀ,   z_i = [(s_i − π) ⊗ [1, y_i]; 1],
 *   q̂_i = η + u_i − (s_i − π)ᵀW[1; y_i] − µ   (rows 0, stride, 2·stride, …).
 */
export function hessianRef(
  d: {
    n: number;
    m: number;
    c: number;
    S: ArrayLike<number>;
    Y: ArrayLike<number>;
    u?: ArrayLike<number>;
    w?: ArrayLike<number>;
  },
  prm: { W: ArrayLike<number>; pi: ArrayLike<number>; mu: number; eta: number; stride?: number },
): Float64Array {
  const { n, m, c } = d;
  const c1 = c + 1;
  const K = m * c1 + 1;
  const stride = prm.stride ?? 1;
  const H = new Float64Array(K * K);
  const z = new Float64Array(K);
  for (let i = 0; i < n; i += stride) {
    let t = 0;
    for (let k = 0; k < m; k++) {
      const a = d.S[i * m + k] - prm.pi[k];
      z[k * c1] = a;
      for (let r = 0; r < c; r++) z[k * c1 + 1 + r] = a * d.Y[i * c + r];
      for (let r = 0; r < c1; r++) t += prm.W[k * c1 + r] * z[k * c1 + r];
    }
    z[K - 1] = 1;
    const qh = prm.eta + (d.u ? d.u[i] : 0) - t - prm.mu;
    if (!(qh > 0 && qh < 1)) continue;
    const w = d.w ? d.w[i] : 1;
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) H[a * K + b] += w * z[a] * z[b];
  }
  return H;
}
