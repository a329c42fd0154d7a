// The op registry: every op of the `Kernels` surface, by its name on the surface (groups nest). Adding an op is
// one line here (ARCHITECTURE.md, "Add a kernel op"); both backends, the package's exports, the self-check and
// the cross-runtime suite read this object.
import { isOpDeclaration, type AnyFn, type OpDeclaration } from './op.js';
import { castOp } from './cast/cast.js';
import { debiasLossOp } from './debias-loss/debias-loss.js';
import { axpyOp, clipOp, scaleOp } from './elementwise/elementwise.js';
import { geluOp } from './gelu/gelu.js';
import { imagePreprocessOp } from './image-preprocess/image-preprocess.js';
import { attentionOp } from './attention/attention.js';
import { layerNormOp } from './layernorm/layernorm.js';
import { linearOp } from './linear/linear.js';
import { classTokensOp, embedTokensOp, unfoldOp } from './patches/patches.js';
import { clipLossOp, siglipLossOp } from './losses/losses.js';
import { matmulOp } from './matmul/matmul.js';
import { biasActBackwardOp, biasActOp, gatherRowsOp } from './mlp/mlp.js';
import { momentsHessianOp, momentsPassOp, momentsQOp } from './moments/op.js';
import { l2normalizeBackwardOp, l2normalizeOp } from './normalize/normalize.js';
import { adamwOp, clipGradNormOp } from './optim/optim.js';
import { logsumexpOp, maxOp, meanOp, sumOp } from './reduce/reduce.js';
import { softmaxOp } from './softmax/softmax.js';
import { topkOp } from './topk/topk.js';
import { transposeOp } from './transpose/transpose.js';

/**
 * Every op of `Kernels`, by its surface name (groups nest: `losses.clip`, `moments.pass`, …); both backends, the
 * self-check and the cross-runtime suite are built from it.
 */
export const OPS = {
  /** C = op(A)·op(B); rank 2 or 3 (batched; a rank-2 side broadcasts over the batch) */
  matmul: matmulOp,
  /** row-wise y = x / max(‖x‖₂, eps) of a [rows, cols] tensor (eps default 1e-12) */
  l2normalize: l2normalizeOp,
  /** the vector-Jacobian product of `l2normalize` at x with upstream gradient dy */
  l2normalizeBackward: l2normalizeBackwardOp,
  /** log Σ exp along an axis of a [rows, cols] tensor (1: per row, 0: per column) */
  logsumexp: logsumexpOp,
  /** softmax along an axis of a [rows, cols] tensor (1: each row sums to 1) */
  softmax: softmaxOp,
  /** Σ of every element ([1]), or along an axis */
  sum: sumOp,
  /** the mean of every element ([1]), or along an axis */
  mean: meanOp,
  /** the maximum of every element ([1]), or along an axis (empty: −FLT_MAX) */
  max: maxOp,
  /** αx */
  scale: scaleOp,
  /** αx + y (same shapes) */
  axpy: axpyOp,
  /** min(max(x, lo), hi) */
  clip: clipOp,
  /** per-row top-k (values descending, u32 indices; ties by lower index); `segment`: each segment's top-k */
  topk: topkOp,
  /** f32 ↔ f16 (WebGPU: needs shader-f16; CPU: values rounded to binary16) */
  cast: castOp,
  /** [rows, cols] → [cols, rows] */
  transpose: transposeOp,
  /** GELU, elementwise: 'erf' x·Φ(x) (default; open_clip) or 'quick' x·σ(1.702x) (OpenAI CLIP). f32, any shape. */
  gelu: geluOp,
  /**
   * open_clip's eval preprocessing of 8-bit RGBA host images (any sizes; alpha dropped): PIL bicubic/bilinear resize
   * (antialiased when shrinking) per `resizeMode`, centre crop or pad, /255, (x − mean)/std → [n, 3, S, S] f32,
   * byte-exact with PIL before the normalisation (`imagePreprocessRef`).
   */
  imagePreprocess: imagePreprocessOp,
  /** CLIP / SigLIP losses with gradients (spec §3), and the debias module's bank loss (spec §2.4) */
  losses: { clip: clipLossOp, siglip: siglipLossOp, debias: debiasLossOp },
  /** optimiser steps in place on device tensors: no read-back */
  optim: { adamw: adamwOp, clipGradNorm: clipGradNormOp },
  /** projection-head kernels */
  mlp: { biasAct: biasActOp, biasActBackward: biasActBackwardOp, gatherRows: gatherRowsOp },
  /**
   * The balance moments (spec §1.5) over row chunks in any encoding (f32, u8/u16 groups, bit-packed labels),
   * folded in float64: `pass` → the sums, `q` → q per row, `hessian` → the K×K generalised Hessian.
   */
  moments: { pass: momentsPassOp, q: momentsQOp, hessian: momentsHessianOp },
  /**
   * transformer kernels for the CLIP towers (#23); definitions in ops/layernorm, ops/attention, ops/patches and
   * ops/linear (`linear`: gelu(X·W + bias) + residual, the epilogue fused into one matmul)
   */
  transformer: {
    layerNorm: layerNormOp,
    linear: linearOp,
    attention: attentionOp,
    unfold: unfoldOp,
    classTokens: classTokensOp,
    embedTokens: embedTokensOp,
  },
} as const;

/** The surface a registry describes: each declaration becomes its signature, each group a nested object. */
export type Surface<R> = {
  readonly [K in keyof R]: R[K] extends { readonly op: true; readonly signature?: infer F extends AnyFn }
    ? F
    : Surface<R[K]>;
};
/**
 * The `Kernels` methods the registry defines (`OPS` with each declaration replaced by its public signature).
 */
export type OpSurface = Surface<typeof OPS>;

/**
 * Every declaration with its path on the surface ('matmul', 'losses.clip', …), in registry order.
 * @param reg - a registry object (default `OPS`) or a group inside it.
 * @param prefix - path prefix for the group (default '').
 * @returns one `{ path, decl }` per declaration.
 */
export function listOps(reg: object = OPS, prefix = ''): { path: string; decl: OpDeclaration<AnyFn> }[] {
  const out: { path: string; decl: OpDeclaration<AnyFn> }[] = [];
  for (const [k, v] of Object.entries(reg)) {
    if (isOpDeclaration(v)) out.push({ path: prefix + k, decl: v });
    else out.push(...listOps(v as object, `${prefix}${k}.`));
  }
  return out;
}

/** Build a surface object from the registry: each op calls `invoke(declaration, args)`. */
export function buildSurface(invoke: (decl: OpDeclaration<AnyFn>, args: unknown[]) => unknown, reg: object = OPS) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(reg)) {
    out[k] = isOpDeclaration(v) ? (...args: unknown[]) => invoke(v, args) : buildSurface(invoke, v as object);
  }
  return out as OpSurface;
}
