/**
 * Float64 references for the transformer input kernels in `patches.ts`:
 *  - unfold (im2col for a stride-p, p×p, bias-free conv): x [n, C, S, S] → [n·G², C·p·p], G = ⌊S/p⌋;
 *    row b·G² + gy·G + gx, column c·p² + ky·p + kx = x[b, c, gy·p + ky, gx·p + kx]. The conv is then
 *    unfold(x) · Wᵀ with the conv weight [width, C, p, p] viewed as [width, C·p²].
 *  - classTokens: Y[b·L + t] = (t = 0 ? cls : X[b·P + t − 1]) + pos[t],  L = P + 1 (ViT class token + positions).
 *  - embedTokens: Y[b·L + t] = E[ids[b·L + t]] + pos[t]  (token embedding + positions).
 */
import { ArgumentError, ShapeError } from '../../runtime/errors.js';

export function unfoldRef(x: ArrayLike<number>, n: number, C: number, S: number, p: number): Float64Array {
  if (x.length !== n * C * S * S)
    throw new ShapeError(`unfoldRef: x has ${x.length} elements, expected ${n}·${C}·${S}²`);
  if (!(p >= 1 && p <= S)) throw new ArgumentError(`unfoldRef: patch ${p} must be in [1, ${S}]`);
  const G = Math.floor(S / p);
  const K = C * p * p;
  const y = new Float64Array(n * G * G * K);
  for (let b = 0; b < n; b++)
    for (let gy = 0; gy < G; gy++)
      for (let gx = 0; gx < G; gx++)
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < p; ky++)
            for (let kx = 0; kx < p; kx++)
              y[(b * G * G + gy * G + gx) * K + c * p * p + ky * p + kx] =
                x[((b * C + c) * S + gy * p + ky) * S + gx * p + kx];
  return y;
}

export function classTokensRef(
  x: ArrayLike<number>,
  n: number,
  P: number,
  W: number,
  cls: ArrayLike<number>,
  pos: ArrayLike<number>,
): Float64Array {
  const L = P + 1;
  if (x.length !== n * P * W || cls.length !== W || pos.length !== L * W)
    throw new ShapeError(
      `classTokensRef: x ${x.length}, cls ${cls.length}, pos ${pos.length} for n=${n} P=${P} W=${W}`,
    );
  const y = new Float64Array(n * L * W);
  for (let b = 0; b < n; b++)
    for (let t = 0; t < L; t++)
      for (let j = 0; j < W; j++)
        y[(b * L + t) * W + j] = (t === 0 ? cls[j] : x[(b * P + t - 1) * W + j]) + pos[t * W + j];
  return y;
}

export function embedTokensRef(
  table: ArrayLike<number>,
  V: number,
  W: number,
  ids: ArrayLike<number>,
  pos: ArrayLike<number>,
  L: number,
): Float64Array {
  if (table.length !== V * W || pos.length !== L * W || (L > 0 && ids.length % L !== 0) || (L === 0 && ids.length))
    throw new ShapeError(
      `embedTokensRef: table ${table.length}, ids ${ids.length}, pos ${pos.length} for V=${V} W=${W} L=${L}`,
    );
  const y = new Float64Array(ids.length * W);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (!(Number.isInteger(id) && id >= 0 && id < V))
      throw new ArgumentError(`embedTokens: ids[${r}] = ${id} is outside [0, ${V})`);
    const t = r % L;
    for (let j = 0; j < W; j++) y[r * W + j] = table[id * W + j] + pos[t * W + j];
  }
  return y;
}
