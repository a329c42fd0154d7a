// Float64 reference of the fused linear layer of the CLIP towers: Y = gelu(X·W + b) + R.
import { geluErfRef1, quickGeluRef1, type GeluKind } from '../gelu/reference.js';
import { matmulRef } from '../matmul/reference.js';

/** Y = act(X·W + bias) + residual; X [M, K], W [K, N], bias [N], residual [M, N] (each part optional). */
export function linearRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  opts: { bias?: ArrayLike<number>; gelu?: GeluKind | 'none'; residual?: ArrayLike<number> } = {},
): Float64Array {
  const y = matmulRef(x, w, { batch: 1, M, K, N });
  const act = opts.gelu === 'erf' ? geluErfRef1 : opts.gelu === 'quick' ? quickGeluRef1 : null;
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      let z = y[i] + (opts.bias ? opts.bias[n] : 0);
      if (act) z = act(z);
      y[i] = z + (opts.residual ? opts.residual[i] : 0);
    }
  return y;
}
