// The `k.transformer` group (CLIP towers, #23) on both backends: WebGPU calls the launchers in ops/layernorm,
// ops/attention and ops/patches; the CPU backend their float64 references. Kept beside the backends so those
// files only hold one line each.
import type { Tensor, TransformerOps } from './api.js';
import type { CpuTensor } from './backend-cpu.js';
import { attention, attentionDims } from './ops/attention/attention.js';
import { attentionRef } from './ops/attention/reference.js';
import { layerNorm, layerNormDims } from './ops/layernorm/layernorm.js';
import { layerNormRef } from './ops/layernorm/reference.js';
import { classTokens, embedTokens, unfold, unfoldDims } from './ops/patches/patches.js';
import { classTokensRef, embedTokensRef, unfoldRef } from './ops/patches/reference.js';
import { shapeStr } from './ops/common.js';
import type { GpuContext, GpuTensor } from './runtime/context.js';
import { ArgumentError, ShapeError } from './runtime/errors.js';

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && typeof (x as Tensor).read === 'function';
}

export function gpuTransformerOps(ctx: GpuContext, t: (x: Tensor, op: string) => GpuTensor): TransformerOps {
  return {
    layerNorm: (x, g, b, eps) => layerNorm(ctx, t(x, 'layerNorm'), t(g, 'layerNorm'), t(b, 'layerNorm'), eps),
    attention: (qkv, o) => attention(ctx, t(qkv, 'attention'), o),
    unfold: (x, patch) => unfold(ctx, t(x, 'unfold'), patch),
    classTokens: (x, cls, pos) => classTokens(ctx, t(x, 'classTokens'), t(cls, 'classTokens'), t(pos, 'classTokens')),
    embedTokens: (table, ids, pos) =>
      embedTokens(ctx, t(table, 'embedTokens'), isTensor(ids) ? t(ids, 'embedTokens') : ids, t(pos, 'embedTokens')),
  };
}

export function cpuTransformerOps(
  t: (x: Tensor, op: string) => CpuTensor,
  f: (data: Float64Array, shape: readonly number[]) => Tensor,
): TransformerOps {
  const f32 = (op: string, name: string, x: CpuTensor) => {
    if (x.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32, got ${x.dtype}`);
    return x;
  };
  return {
    layerNorm: (x, g, b, eps = 1e-5) => {
      const [X, G, B] = [t(x, 'layerNorm'), t(g, 'layerNorm'), t(b, 'layerNorm')];
      const [rows, width] = layerNormDims(X.shape, X.dtype, G.shape, B.shape, eps);
      return f(layerNormRef(X.data, rows, width, G.data, B.data, eps), X.shape);
    },
    attention: (qkv, o) => {
      const X = f32('attention', 'qkv', t(qkv, 'attention'));
      const d = attentionDims(X.shape, X.dtype, o);
      return f(attentionRef(X.data, d.width, d), [d.batch * d.seq, d.width]);
    },
    unfold: (x, patch) => {
      const X = f32('unfold', 'x', t(x, 'unfold'));
      const out = unfoldDims(X.shape, patch);
      return f(unfoldRef(X.data, X.shape[0], X.shape[1], X.shape[2], patch), out);
    },
    classTokens: (x, cls, pos) => {
      const op = 'classTokens';
      const [X, C, P] = [f32(op, 'x', t(x, op)), f32(op, 'cls', t(cls, op)), f32(op, 'pos', t(pos, op))];
      const L = P.shape[0];
      const W = X.shape[1];
      if (
        X.shape.length !== 2 ||
        P.shape.length !== 2 ||
        P.shape[1] !== W ||
        C.size !== W ||
        L < 2 ||
        X.shape[0] % (L - 1)
      )
        throw new ShapeError(
          `${op}: x ${shapeStr(X.shape)}, cls ${shapeStr(C.shape)}, pos ${shapeStr(P.shape)}: need pos [P + 1, W], cls [W] and a multiple of P rows`,
        );
      const n = X.shape[0] / (L - 1);
      return f(classTokensRef(X.data, n, L - 1, W, C.data, P.data), [n * L, W]);
    },
    embedTokens: (table, ids, pos) => {
      const op = 'embedTokens';
      const [E, P] = [f32(op, 'table', t(table, op)), f32(op, 'pos', t(pos, op))];
      if (E.shape.length !== 2 || P.shape.length !== 2 || E.shape[1] !== P.shape[1])
        throw new ShapeError(
          `${op}: table ${shapeStr(E.shape)} and pos ${shapeStr(P.shape)} must be [V, W] and [L, W]`,
        );
      const [V, W] = E.shape;
      const L = P.shape[0];
      let I: ArrayLike<number>;
      if (isTensor(ids)) {
        const T = t(ids, op);
        if (T.dtype !== 'u32') throw new ArgumentError(`${op}: ids must be a u32 tensor`);
        I = T.data;
      } else I = ids;
      if (L === 0 ? I.length !== 0 : I.length % L !== 0)
        throw new ShapeError(`${op}: ${I.length} ids are not a multiple of L = ${L}`);
      if (isTensor(ids)) {
        // device-style ids: one ≥ V gets positions only (as on WebGPU)
        const y = embedTokensRef(new Float64Array(W), 1, W, new Uint32Array(I.length), P.data, L);
        for (let r = 0; r < I.length; r++)
          if (I[r] < V) for (let j = 0; j < W; j++) y[r * W + j] = E.data[I[r] * W + j] + P.data[(r % L) * W + j];
        return f(y, [I.length, W]);
      }
      return f(embedTokensRef(E.data, V, W, I, P.data, L), [I.length, W]);
    },
  };
}
