// Projection of embeddings to 3-D with the kernels (WebGPU, or the float64 CPU backend — the same calls):
// PCA by subspace (power) iteration. C = XᵀX/n − μμᵀ (one matmul over the rows, D×D), V ← orthonormalise(C·V)
// repeated (D×D · D×3 matmuls), then P = X·V − μ·V (one matmul over the rows). Only D×D and D×3 matrices
// and the n×3 projection come back to the page; the n×D data stays on the device.
import type { Kernels } from '@m4kit/kernels';

export interface Basis {
  D: number;
  /** column mean μ (D) */
  mean: Float64Array;
  /** D×3, orthonormal columns (row-major) */
  V: Float64Array;
  /** eigenvalue estimates of the top 3 components (variance along each axis) */
  variance: number[];
}

const K = 3;

/** Gram–Schmidt on the 3 columns of a D×3 row-major matrix (in place); returns the column norms before. */
function orthonormalise(V: Float64Array, D: number): number[] {
  const norms: number[] = [];
  for (let c = 0; c < K; c++) {
    for (let attempt = 0; attempt < D; attempt++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < D; i++) dot += V[i * K + c] * V[i * K + p];
        for (let i = 0; i < D; i++) V[i * K + c] -= dot * V[i * K + p];
      }
      let s = 0;
      for (let i = 0; i < D; i++) s += V[i * K + c] ** 2;
      const n = Math.sqrt(s);
      if (n > 1e-20) {
        norms[c] = n;
        for (let i = 0; i < D; i++) V[i * K + c] /= n;
        break;
      }
      // rank-deficient data: continue from a unit axis (its component orthogonal to the earlier columns)
      norms[c] = 0;
      for (let i = 0; i < D; i++) V[i * K + c] = i === (c + attempt) % D ? 1 : 0;
    }
  }
  return norms;
}

/** Top-3 principal axes of the n×D rows `X` (float32 on the device). */
export async function pcaBasis(k: Kernels, X: Float32Array, n: number, D: number, iters = 40): Promise<Basis> {
  if (n < 1 || X.length !== n * D) throw new Error(`pcaBasis: ${X.length} values are not ${n}×${D}`);
  if (D < K) throw new Error(`pcaBasis: embeddings need at least ${K} dimensions, got ${D}`);
  const x = k.tensor(X, [n, D]);
  const mean = new Float64Array(D);
  const mt = k.mean(x, 0);
  const mv = await mt.read();
  mt.dispose();
  for (let j = 0; j < D; j++) mean[j] = mv[j];
  const gram = k.matmul(x, x, { transA: true }); // XᵀX, D×D
  const G = await gram.read();
  gram.dispose();
  x.dispose();
  const C = new Float32Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) C[i * D + j] = G[i * D + j] / n - mean[i] * mean[j];
  const c = k.tensor(C, [D, D]);
  // deterministic start: a fixed pseudo-random D×3
  const V = new Float64Array(D * K);
  let a = 12345;
  for (let i = 0; i < V.length; i++) {
    a = (a * 1103515245 + 12345) >>> 0;
    V[i] = a / 2 ** 32 - 0.5;
  }
  orthonormalise(V, D);
  let variance = [0, 0, 0];
  for (let it = 0; it < iters; it++) {
    const v = k.tensor(V, [D, K]);
    const cv = k.matmul(c, v);
    const out = await cv.read();
    v.dispose();
    cv.dispose();
    for (let i = 0; i < V.length; i++) V[i] = out[i];
    variance = orthonormalise(V, D);
  }
  c.dispose();
  return { D, mean, V, variance };
}

/** n×3 coordinates of the rows of `X` in `basis` (P = X·V − μ·V). */
export async function project(k: Kernels, basis: Basis, X: Float32Array, n: number): Promise<Float32Array> {
  const D = basis.D;
  if (X.length !== n * D) throw new Error(`project: ${X.length} values are not ${n}×${D}`);
  if (n === 0) return new Float32Array(0);
  const x = k.tensor(X, [n, D]);
  const v = k.tensor(basis.V, [D, K]);
  const p = k.matmul(x, v);
  const P = await p.read();
  for (const t of [x, v, p]) t.dispose();
  const shift = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = 0; i < D; i++) s += basis.mean[i] * basis.V[i * K + c];
    return s;
  });
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) for (let c = 0; c < K; c++) out[i * K + c] = P[i * K + c] - shift[c];
  return out;
}
