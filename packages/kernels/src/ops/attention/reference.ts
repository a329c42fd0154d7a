/**
 * Float64 reference for multi-head `attention` over packed projections (open_clip / nn.MultiheadAttention
 * after in_proj): qkv is [batch·seq, 3·width] with row t of sequence b = [q | k | v], each split into `heads`
 * blocks of D = width/heads columns. Per (b, head):
 *   O = softmax(scale · Q Kᵀ + mask) V,   scale default 1/√D,  mask_ij = −∞ for j > i when causal.
 * Output: [batch·seq, width], heads concatenated in column order.
 */
import { ArgumentError, ShapeError } from '../../runtime/errors.js';

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  /** keys after the query are masked (text tower) */
  causal?: boolean;
  /** default 1/√(width/heads) */
  scale?: number;
}

export function attentionRef(qkv: ArrayLike<number>, width: number, o: AttentionShape): Float64Array {
  const { batch, seq: L, heads } = o;
  if (!(heads >= 1 && width % heads === 0))
    throw new ArgumentError(`attentionRef: width ${width} is not a multiple of heads ${heads}`);
  if (qkv.length !== batch * L * 3 * width)
    throw new ShapeError(`attentionRef: qkv has ${qkv.length} elements, expected ${batch}·${L}×${3 * width}`);
  const D = width / heads;
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const out = new Float64Array(batch * L * width);
  const s = new Float64Array(L);
  const row = (b: number, t: number) => (b * L + t) * 3 * width;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < L; i++) {
        const jEnd = o.causal ? i + 1 : L;
        let mx = -Infinity;
        for (let j = 0; j < jEnd; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += qkv[row(b, i) + h * D + d] * qkv[row(b, j) + width + h * D + d];
          s[j] = dot * scale;
          mx = Math.max(mx, s[j]);
        }
        let z = 0;
        for (let j = 0; j < jEnd; j++) {
          s[j] = Math.exp(s[j] - mx);
          z += s[j];
        }
        const ob = (b * L + i) * width + h * D;
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < jEnd; j++) acc += s[j] * qkv[row(b, j) + 2 * width + h * D + d];
          out[ob + d] = acc / z;
        }
      }
    }
  }
  return out;
}
