// Similarity search in bounded memory: items are processed in chunks (matmul Q·Xᵀ on the GPU, per-row top-k
// on the GPU), and the per-chunk top-k lists are merged on the host. Ties break by lower item index, as in
// the float64 reference, so rankings agree exactly whenever scores do.
import { ArgumentError, ShapeError, type Kernels } from '@m4kit/kernels';

/** columns per top-k segment when rows are wide */
const SEGMENT = 1024;

/** Per row, the best k of `width` candidates (value desc, index asc; 0xffffffff marks an empty slot). */
function mergeSegments(
  vals: ArrayLike<number>,
  idx: Uint32Array,
  rows: number,
  width: number,
  k: number,
): { vals: Float64Array; idx: Uint32Array } {
  const outV = new Float64Array(rows * k);
  const outI = new Uint32Array(rows * k);
  const order = new Uint32Array(width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) order[j] = j;
    const sorted = Array.from(order).sort((a, b) => {
      const ea = idx[o + a] === 0xffffffff;
      const eb = idx[o + b] === 0xffffffff;
      if (ea !== eb) return ea ? 1 : -1;
      return vals[o + b] - vals[o + a] || idx[o + a] - idx[o + b];
    });
    for (let t = 0; t < k; t++) {
      outV[r * k + t] = vals[o + sorted[t]];
      outI[r * k + t] = idx[o + sorted[t]];
    }
  }
  return { vals: outV, idx: outI };
}

/** Row-major embeddings: n rows of d values (float32 or float64). */
export interface Embeddings {
  /** rows */
  n: number;
  /** dimension */
  d: number;
  data: Float32Array | Float64Array;
}

/**
 * Top-k items per query: scores and indices, [queries, k] row-major.
 */
export interface TopKResult {
  /** [queries, k] scores, descending */
  scores: Float64Array;
  /** [queries, k] item indices */
  indices: Uint32Array;
  k: number;
}

/**
 * Each row divided by its L2 norm (zero rows stay zero), float64.
 * @param e - embeddings.
 * @returns new embeddings.
 */
export function l2normalizeRows(e: Embeddings): Embeddings {
  const out = new Float64Array(e.n * e.d);
  for (let i = 0; i < e.n; i++) {
    let s = 0;
    for (let j = 0; j < e.d; j++) s += e.data[i * e.d + j] ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < e.d; j++) out[i * e.d + j] = e.data[i * e.d + j] * inv;
  }
  return { n: e.n, d: e.d, data: out };
}

/**
 * Float64 reference: full score matrix, stable sort (ties → lower index).
 * @param q - queries.
 * @param x - items.
 * @param k - results per query (capped at the item count).
 * @returns scores and indices.
 * @throws ShapeError for different dimensions.
 */
export function searchTopKRef(q: Embeddings, x: Embeddings, k: number): TopKResult {
  if (q.d !== x.d) throw new ShapeError(`search: queries have dimension ${q.d}, items ${x.d}`);
  const kk = Math.min(k, x.n);
  const scores = new Float64Array(q.n * kk);
  const indices = new Uint32Array(q.n * kk);
  const row = new Float64Array(x.n);
  const idx = Array.from({ length: x.n }, (_, i) => i);
  for (let a = 0; a < q.n; a++) {
    for (let b = 0; b < x.n; b++) {
      let s = 0;
      for (let j = 0; j < q.d; j++) s += q.data[a * q.d + j] * x.data[b * x.d + j];
      row[b] = s;
    }
    const order = idx.slice().sort((i, j) => row[j] - row[i] || i - j);
    for (let t = 0; t < kk; t++) {
      scores[a * kk + t] = row[order[t]];
      indices[a * kk + t] = order[t];
    }
  }
  return { scores, indices, k: kk };
}

/**
 * Options of `searchTopK`: items per chunk and a progress callback.
 */
export interface SearchOptions {
  /** items per chunk (default: as many as keep the [queries, chunk] score block ≤ 32 MiB) */
  chunkItems?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Top-k items per query by dot product, on the given kernels backend (WebGPU or CPU), chunked over items.
 * @param kernels - the backend.
 * @param q - queries.
 * @param x - items.
 * @param k - results per query (capped at the item count).
 * @param opts - chunk size and progress.
 * @returns scores and indices, ties to the lower index.
 * @throws ShapeError for different dimensions.
 */
export async function searchTopK(
  kernels: Kernels,
  q: Embeddings,
  x: Embeddings,
  k: number,
  opts: SearchOptions = {},
): Promise<TopKResult> {
  if (q.d !== x.d) throw new ShapeError(`search: queries have dimension ${q.d}, items ${x.d}`);
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`search: k must be a positive integer, got ${k}`);
  const kk = Math.min(k, x.n);
  const scores = new Float64Array(q.n * kk).fill(-Infinity);
  const indices = new Uint32Array(q.n * kk);
  if (q.n === 0 || x.n === 0) return { scores, indices, k: kk };
  // items per chunk: the requested size, capped so the item block and the [queries, chunk] score block each fit
  // one storage binding (a GPU's maxStorageBufferBindingSize; 128 MiB on lavapipe)
  const binding = kernels.maxBindingSize - 1024;
  const fit = Math.floor(Math.min(binding / (4 * x.d), binding / (4 * Math.max(1, q.n))));
  if (fit < kk) {
    const what = `${q.n} queries × ${kk} results`;
    throw new ShapeError(`search: ${what} do not fit one binding (${kernels.maxBindingSize} B); split the queries`);
  }
  const chunk = Math.max(
    kk,
    Math.min(fit, opts.chunkItems ?? Math.max(256, Math.floor((8 * 1024 * 1024) / Math.max(1, q.n)))),
  );
  const Q = kernels.tensor(q.data, [q.n, q.d]);
  try {
    const merged = { s: new Float64Array(kk), i: new Uint32Array(kk) };
    for (let start = 0; start < x.n; start += chunk) {
      const nc = Math.min(chunk, x.n - start);
      const X = kernels.tensor(x.data.subarray(start * x.d, (start + nc) * x.d), [nc, x.d]);
      const S = kernels.matmul(Q, X, { transB: true });
      const kc = Math.min(kk, nc);
      // wide rows: top-k per segment in parallel on the GPU, then merge the segments' candidates here
      const segment = kernels.backend === 'webgpu' && nc > 4 * SEGMENT ? SEGMENT : undefined;
      const top = kernels.topk(S, kc, { segment });
      const [rawVals, rawIdx] = await Promise.all([top.values.read(), top.indices.read()]);
      for (const t of [X, S, top.values, top.indices]) t.dispose();
      const { vals, idx } = segment
        ? mergeSegments(rawVals, rawIdx as Uint32Array, q.n, Math.ceil(nc / segment) * kc, kc)
        : { vals: rawVals, idx: rawIdx };
      // merge each query's running list with this chunk's (both sorted; earlier chunks have lower indices)
      for (let a = 0; a < q.n; a++) {
        let p = 0;
        let c = 0;
        for (let t = 0; t < kk; t++) {
          // take from the running list unless the chunk's next item scores higher (or equal with a lower index)
          const ps = scores[a * kk + p];
          const cs = c < kc ? vals[a * kc + c] : -Infinity;
          const takeRunning = c >= kc || ps > cs || (ps === cs && indices[a * kk + p] < start + idx[a * kc + c]);
          if (takeRunning) {
            merged.s[t] = ps;
            merged.i[t] = indices[a * kk + p];
            p++;
          } else {
            merged.s[t] = cs;
            merged.i[t] = start + idx[a * kc + c];
            c++;
          }
        }
        scores.set(merged.s, a * kk);
        indices.set(merged.i, a * kk);
      }
      opts.onProgress?.(start + nc, x.n);
    }
  } finally {
    Q.dispose();
  }
  return { scores, indices, k: kk };
}
