/** Float64 CPU reference for C = op(A)·op(B) (row-major; batched when `batch` > 1, stride 0 = broadcast). */
export function matmulRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  d: { batch: number; M: number; K: number; N: number; transA?: boolean; transB?: boolean; sA?: number; sB?: number },
): Float64Array {
  const { batch, M, K, N } = d;
  const sA = d.sA ?? M * K;
  const sB = d.sB ?? K * N;
  const c = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a[z * sA + (d.transA ? k * M + m : m * K + k)];
          const bv = b[z * sB + (d.transB ? n * K + k : k * N + n)];
          s += av * bv;
        }
        c[z * M * N + m * N + n] = s;
      }
    }
  }
  return c;
}
