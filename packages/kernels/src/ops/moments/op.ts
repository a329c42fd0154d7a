// The `k.moments` ops (the balance engines' one door): a pass, q and the generalised Hessian over a list of row
// chunks in any encoding (f32, or compact: u8/u16 groups and bit-packed labels), folded in float64. WebGPU runs
// the kernels of moments.ts / hessian.ts per chunk and folds the block partials in chunk order; the CPU backend
// runs the float64 loops of cpu.ts over the same chunks.
import type { Tensor } from '../../types.js';
import type { CpuTensor } from '../../runtime/cpu-tensor.js';
import type { GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { hostRows, momentsHessianCpu, momentsQCpu, momentsSumsCpu, type MomentsSums } from './cpu.js';
import {
  checkHessianK,
  checkHessianPass,
  foldHessianGroupPartials,
  foldHessianPartials,
  hessianLayoutOf,
  momentsHessianPassUnchecked,
} from './hessian.js';
import {
  checkMomentsPass,
  chunkDims,
  foldMomentsPartials,
  momentsOutputs,
  momentsPassUnchecked,
  type MomentsChunk,
} from './moments.js';

/** The dual point of a moments op: W = v⁺ − v⁻ (m×(c+1) row-major), π [m], µ, η. */
export interface MomentsDual {
  W: ArrayLike<number>;
  pi: ArrayLike<number>;
  mu: number;
  eta: number;
}
export interface MomentsPassOptions extends MomentsDual {
  /** when set, q_i ≡ fixedQ (raw-data statistics) */
  fixedQ?: number;
}
export interface MomentsHessianOptions extends MomentsDual {
  /** use only rows 0, stride, 2·stride, … of each chunk (default 1) */
  stride?: number;
}
/**
 * One chunk of rows or a list of them (the `k.moments.*` ops fold every chunk into one result).
 */
export type MomentsChunks<T = Tensor> = MomentsChunk<T> | readonly MomentsChunk<T>[];

const list = <T>(ch: MomentsChunks<T>): readonly MomentsChunk<T>[] =>
  Array.isArray(ch) ? ch : [ch as MomentsChunk<T>];

/** The host checks of every chunk against the dual point; returns [rows per chunk, m, c]. */
function checkChunks(chunks: MomentsChunks<Tensor>, o: MomentsDual & { stride?: number }, hessian: boolean) {
  const all = list(chunks);
  if (all.length === 0) throw new ArgumentError('moments: no chunks');
  let mc: [number, number] | null = null;
  const rows = all.map((ch) => {
    const [n, m, c] = hessian ? checkHessianPass(ch, o, Infinity) : checkMomentsPass(ch, o);
    if (mc && (mc[0] !== m || mc[1] !== c))
      throw new ShapeError(`moments: chunks disagree on (m, c): (${mc}) and (${m},${c})`);
    mc = [m, c];
    return n;
  });
  return { rows, m: mc![0], c: mc![1] };
}

/** What `checkChunks` returns, recomputed unchecked by the backends (the door checked). */
function dimsOf(chunks: MomentsChunks<Tensor>) {
  const all = list(chunks);
  const [, m, c] = chunkDims(all[0]);
  return { rows: all.map((ch) => chunkDims(ch)[0]), m, c };
}

/** [P (m×(c+1)), g (c+1), Σw, Σo] → MomentsSums with D = P − π gᵀ. */
export function momentsSumsOf(acc: Float64Array, m: number, c: number, pi: ArrayLike<number>): MomentsSums {
  const c1 = c + 1;
  const D = new Float64Array(m * c1);
  for (let k = 0; k < m; k++) for (let r = 0; r < c1; r++) D[k * c1 + r] = acc[k * c1 + r] - pi[k] * acc[m * c1 + r];
  return {
    sumW: acc[(m + 1) * c1],
    sumQ: acc[m * c1],
    D,
    qy: acc.slice(m * c1 + 1, m * c1 + c1),
    obj: acc[(m + 1) * c1 + 1],
  };
}

function host(chunks: MomentsChunks<CpuTensor>, rows: number[], m: number, c: number) {
  return list(chunks).map((ch, i) =>
    hostRows({ ...ch, S: ch.S.data, Y: ch.Y.data, u: ch.u?.data, w: ch.w?.data }, rows[i], m, c),
  );
}

/** One M4 pass at the dual point over the chunks, in order: the folded float64 sums (D = Σ w q (s − π)⊗[1, y], …). */
export const momentsPassOp: OpDeclaration<(chunks: MomentsChunks, opts: MomentsPassOptions) => Promise<MomentsSums>> =
  defineOp<(chunks: MomentsChunks, opts: MomentsPassOptions) => Promise<MomentsSums>>({
    name: 'moments',
    async: true,
    check: (ch, o) => void checkChunks(ch, o, false),
    webgpu: async (ctx, chunks, o) => {
      const { m, c } = dimsOf(chunks);
      const parts = list(chunks).map((ch) => momentsPassUnchecked(ctx, ch, o));
      const acc = new Float64Array(momentsOutputs(m, c));
      for (const p of parts) {
        foldMomentsPartials(await p.read(), m, c, acc);
        p.dispose();
      }
      return momentsSumsOf(acc, m, c, o.pi);
    },
    cpu: async (chunks, o) => {
      const { rows, m, c } = dimsOf(chunks);
      return momentsSumsCpu(host(chunks, rows, m, c), m, c, o, o.fixedQ);
    },
  });

/** q_i = clip(η + u_i − (s_i − π)ᵀW[1; y_i] − µ, 0, 1) for every row of the chunks, in order. */
export const momentsQOp: OpDeclaration<(chunks: MomentsChunks, opts: MomentsDual) => Promise<Float64Array>> = defineOp<
  (chunks: MomentsChunks, opts: MomentsDual) => Promise<Float64Array>
>({
  name: 'moments.q',
  async: true,
  check: (ch, o) => void checkChunks(ch, o, false),
  webgpu: async (ctx, chunks, o) => {
    const { rows } = dimsOf(chunks);
    const pending = list(chunks).map((ch, i) => {
      const qOut: GpuTensor = ctx.empty([rows[i]]);
      return { qOut, part: momentsPassUnchecked(ctx, ch, { ...o, qOut }) };
    });
    const out = new Float64Array(rows.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const [i, { qOut, part }] of pending.entries()) {
      out.set(await qOut.read(), at);
      at += rows[i];
      qOut.dispose();
      part.dispose();
    }
    return out;
  },
  cpu: async (chunks, o) => {
    const { rows, m, c } = dimsOf(chunks);
    return momentsQCpu(host(chunks, rows, m, c), m, c, o);
  },
});

/**
 * The generalised Hessian Σ_{0<q̂<1} w z zᵀ, z = [(s − π)⊗[1, y]; 1], K×K row-major (K = m(c+1)+1; WebGPU: ≤ 127),
 * WebGPU strides each chunk from its own first row, the CPU backend the chunks as one table (same for one chunk).
 */
export const momentsHessianOp: OpDeclaration<
  (chunks: MomentsChunks, opts: MomentsHessianOptions) => Promise<Float64Array>
> = defineOp<(chunks: MomentsChunks, opts: MomentsHessianOptions) => Promise<Float64Array>>({
  name: 'moments.hessian',
  async: true,
  check: (ch, o) => void checkChunks(ch, o, true),
  webgpu: async (ctx, chunks, o) => {
    const { m, c } = dimsOf(chunks);
    checkHessianK(m, c); // this backend's limit (the door's check allows any K)
    const parts = list(chunks).map((ch) => ({
      layout: hessianLayoutOf(ctx, ch, m, c),
      part: momentsHessianPassUnchecked(ctx, ch, o),
    }));
    const K = m * (c + 1) + 1;
    const H = new Float64Array(K * K);
    for (const { layout, part } of parts) {
      const p = await part.read();
      if (layout === 'groups') foldHessianGroupPartials(p, m, c, o.pi, H);
      else foldHessianPartials(p, m, c, H);
      part.dispose();
    }
    return H;
  },
  cpu: async (chunks, o) => {
    const { rows, m, c } = dimsOf(chunks);
    return momentsHessianCpu(host(chunks, rows, m, c), m, c, o, o.stride ?? 1);
  },
});
