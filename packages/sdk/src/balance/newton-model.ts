// The Newton step's host model solve (newton.ts): min ½(y−x)ᵀA(y−x) − bᵀ(y−x) + Σ_{j<P} e_j|y_j| over the box
// |y_j| ≤ V, by coordinate descent then an exact Cholesky solve on the identified face.

/** Cholesky solve of the SPD system A x = b (n×n row-major); returns null when A is not numerically SPD. */
function cholSolve(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * y[k];
    y[i] = s / L[i * n + i];
  }
  return y;
}

/**
 * Minimise ½(y−x)ᵀA(y−x) − bᵀ(y−x) + Σ_{j<P} e_j|y_j| over |y_j| ≤ V (j < P), y_P free (when nv = P+1).
 * A is nv×nv SPD. Coordinate descent identifies the face (zero / interior / at ±V per coordinate); an exact
 * solve on that face finishes it, repeated while the face's optimality conditions move coordinates.
 * @param A - nv×nv SPD matrix (row-major).
 * @param b - length-nv linear term.
 * @param x - the expansion point (length nv).
 * @param e - L1 weights for the first P coordinates.
 * @param V - box bound |y_j| ≤ V (Infinity: none).
 * @param nv - unknowns (P or P + 1).
 * @param P - coordinates with the L1 term and the box.
 * @returns the minimiser y.
 */
export function solveModel(
  A: Float64Array,
  b: Float64Array,
  x: Float64Array,
  e: Float64Array,
  V: number,
  nv: number,
  P: number,
): Float64Array {
  const y = x.slice(0, nv);
  const r = new Float64Array(nv); // A (y − x)
  const clipV = (z: number) => (z < -V ? -V : z > V ? V : z);
  const upd = (j: number, yn: number) => {
    const d = yn - y[j];
    if (d === 0) return 0;
    for (let k = 0; k < nv; k++) r[k] += A[k * nv + j] * d;
    y[j] = yn;
    return Math.abs(d) * Math.sqrt(A[j * nv + j]);
  };
  const coord = (j: number) => {
    const ajj = A[j * nv + j];
    const z = ajj * y[j] - (r[j] - b[j]); // minimiser of the smooth part along j is z / ajj
    if (j >= P) return z / ajj;
    const s = Math.abs(z) <= e[j] ? 0 : (z - Math.sign(z) * e[j]) / ajj;
    return clipV(s);
  };
  let scale = 0;
  for (let j = 0; j < nv; j++) scale = Math.max(scale, Math.abs(b[j]));
  for (let sweep = 0; sweep < 300; sweep++) {
    let moved = 0;
    for (let j = 0; j < nv; j++) moved = Math.max(moved, upd(j, coord(j)));
    if (moved <= 1e-15 * (scale + 1e-300)) break;
  }
  // exact solve on the face: free coordinates F (y_j ≠ 0, |y_j| < V, and µ), the others fixed at 0 / ±V
  for (let round = 0; round < 4 * nv + 8; round++) {
    const F: number[] = [];
    for (let j = 0; j < nv; j++) if (j >= P || (y[j] !== 0 && Math.abs(y[j]) < V)) F.push(j);
    if (!F.length) break;
    const f = F.length;
    const Aff = new Float64Array(f * f);
    const rhs = new Float64Array(f);
    for (let a = 0; a < f; a++) {
      const ja = F[a];
      // A_FF (y_F − x_F) = b_F − A_F,fixed (y_fixed − x_fixed) − e_F sign(y_F)
      let s = b[ja] - (ja < P ? e[ja] * Math.sign(y[ja]) : 0);
      for (let k = 0; k < nv; k++) if (!F.includes(k)) s -= A[ja * nv + k] * (y[k] - x[k]);
      rhs[a] = s;
      for (let c = 0; c < f; c++) Aff[a * f + c] = A[ja * nv + F[c]];
    }
    const dF = cholSolve(Aff, rhs, f);
    if (!dF) break;
    const yn = y.slice();
    let ok = true;
    for (let a = 0; a < f; a++) {
      const ja = F[a];
      yn[ja] = x[ja] + dF[a];
      if (ja < P && (Math.sign(yn[ja]) !== Math.sign(y[ja]) || Math.abs(yn[ja]) > V)) ok = false;
    }
    // accept the face solution when it keeps the signs; otherwise move towards it up to the first coordinate that
    // reaches 0 or ±V (ratio test: that coordinate leaves the face). Then coordinate descent from there moves only
    // coordinates whose optimality condition fails (a changed face → another round).
    if (ok) {
      for (const j of F) upd(j, yn[j]);
    } else {
      let alpha = 1;
      let block = -1;
      let blockTo = 0;
      for (const j of F) {
        if (j >= P) continue;
        const cur = y[j];
        const nx = yn[j];
        if (Math.sign(nx) !== Math.sign(cur) && cur !== nx) {
          const al = cur / (cur - nx);
          if (al < alpha) [alpha, block, blockTo] = [al, j, 0];
        }
        if (Math.abs(nx) > V) {
          const to = Math.sign(nx) * V;
          const al = (to - cur) / (nx - cur);
          if (al < alpha) [alpha, block, blockTo] = [al, j, to];
        }
      }
      for (const j of F) upd(j, j === block ? blockTo : y[j] + alpha * (yn[j] - y[j]));
    }
    let moved = 0;
    for (let sweep = 0; sweep < 50; sweep++) {
      let mv = 0;
      for (let j = 0; j < nv; j++) mv = Math.max(mv, upd(j, coord(j)));
      moved = Math.max(moved, mv);
      if (mv <= 1e-15 * (scale + 1e-300)) break;
    }
    if (ok && moved <= 1e-13 * (scale + 1e-300)) break;
  }
  return y;
}
