// The CLIP towers in float64 (the CPU backend, and the oracle the WGSL towers are tested against), written from
// open_clip's architecture (transformer.py VisionTransformer / TextTransformer, model.py CLIP):
//  image: conv1 as a matmul over unfolded p×p patches (no bias) → [class; patches] + positional_embedding →
//         ln_pre → resblocks → ln_post on the class token → @ proj
//  text:  token_embedding[ids] + positional_embedding → resblocks with a causal mask → ln_final →
//         the row at argmax(ids) (the end token) → @ text_projection
//  resblock: x += out_proj(MHA(in_proj(ln_1(x)))); x += c_proj(act(c_fc(ln_2(x)))), act GELU (erf) or QuickGELU.
// Weights stay as stored (float32, or the F16 / BF16 bits when the source has `readStored`: host memory ≈ the
// file, not twice it), decoded a matrix row at a time where they are used; all arithmetic is float64.
import { ArgumentError, f16BitsToF32, ShapeError, type Kernels } from '@m4kit/kernels';
import { mlpHidden } from './config.js';
import { ClipAbortedError } from './towers-gpu.js';
import type {
  ClipConfig,
  ClipEncodeOptions,
  ClipHalfTensor,
  ClipTowers,
  ClipWeightSource,
  CreateClipTowers,
} from './types.js';

/** A weight vector (always float32) */
type V = Float32Array;
/** A weight matrix as stored: float32 or F16 / BF16 bits */
type W = Float32Array | ClipHalfTensor;

const bf16 = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16.buffer);
/** out[0..n) = w[start..start + n) as numbers (decoding F16 / BF16 bits) */
function rowOf(w: W, start: number, n: number, out: Float64Array): Float64Array {
  if (w instanceof Float32Array) for (let i = 0; i < n; i++) out[i] = w[start + i];
  else if (w.dtype === 'F16') for (let i = 0; i < n; i++) out[i] = f16BitsToF32(w.bits[start + i]);
  else
    for (let i = 0; i < n; i++) {
      bf16Bits[0] = w.bits[start + i] << 16;
      out[i] = bf16[0];
    }
  return out;
}

/** host bytes a weight holds */
const bytesOf = (w: W): number => (w instanceof Float32Array ? w.byteLength : w.bits.byteLength);

/**
 * erf in float64: below 3 the series 2/√π·e^{−x²}·Σ (2x²)ⁿ x / (2n+1)!! (all terms positive: no cancellation),
 * above it erfc's continued fraction; |error| < 1e-15 (tested against Python's math.erf).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return -erf(-x);
  if (x < 3) {
    const x2 = 2 * x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 300 && term > 1e-17 * sum; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
    }
    return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  if (x > 6) return 1;
  let f = x;
  for (let k = 120; k >= 1; k--) f = x + k / 2 / f;
  return 1 - Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const quickGelu = (x: number) => x / (1 + Math.exp(-1.702 * x));

/** y [rows, out] = x [rows, in] · Wᵀ (+ b), W [out, in] (nn.Linear); W decoded one row at a time. */
export function linear(x: Float64Array, rows: number, inDim: number, w: W, b: V | null, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  const wr = new Float64Array(inDim);
  for (let o = 0; o < outDim; o++) {
    rowOf(w, o * inDim, inDim, wr);
    for (let r = 0; r < rows; r++) {
      const xo = r * inDim;
      let acc = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) acc += x[xo + i] * wr[i];
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

/** y [rows, out] = x [rows, in] · P, P [in, out] (open_clip's proj / text_projection); P decoded a row at a time. */
export function project(x: Float64Array, rows: number, inDim: number, p: W, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  const pr = new Float64Array(outDim);
  for (let i = 0; i < inDim; i++) {
    rowOf(p, i * outDim, outDim, pr);
    for (let r = 0; r < rows; r++) {
      const v = x[r * inDim + i];
      for (let o = 0; o < outDim; o++) y[r * outDim + o] += v * pr[o];
    }
  }
  return y;
}

/** nn.LayerNorm(width, eps = 1e-5) over rows. */
export function layerNorm(x: Float64Array, rows: number, width: number, g: V, b: V, eps = 1e-5): Float64Array {
  const y = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mu = 0;
    for (let j = 0; j < width; j++) mu += x[o + j];
    mu /= width;
    let v = 0;
    for (let j = 0; j < width; j++) v += (x[o + j] - mu) ** 2;
    const inv = 1 / Math.sqrt(v / width + eps);
    for (let j = 0; j < width; j++) y[o + j] = (x[o + j] - mu) * inv * g[j] + b[j];
  }
  return y;
}

/** Multi-head self-attention of one sequence on packed qkv [L, 3·width] → [L, width]. */
export function attention(qkv: Float64Array, L: number, width: number, heads: number, causal: boolean): Float64Array {
  const D = width / heads;
  const scale = 1 / Math.sqrt(D);
  const out = new Float64Array(L * width);
  const s = new Float64Array(L);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < L; i++) {
      const jEnd = causal ? i + 1 : L;
      let mx = -Infinity;
      for (let j = 0; j < jEnd; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += qkv[i * 3 * width + h * D + d] * qkv[j * 3 * width + width + h * D + d];
        s[j] = dot * scale;
        if (s[j] > mx) mx = s[j];
      }
      let z = 0;
      for (let j = 0; j < jEnd; j++) z += s[j] = Math.exp(s[j] - mx);
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let j = 0; j < jEnd; j++) acc += s[j] * qkv[j * 3 * width + 2 * width + h * D + d];
        out[i * width + h * D + d] = acc / z;
      }
    }
  return out;
}

interface Block {
  ln1w: V;
  ln1b: V;
  inW: W;
  inB: V;
  outW: W;
  outB: V;
  ln2w: V;
  ln2b: V;
  fcW: W;
  fcB: V;
  prW: W;
  prB: V;
}

/** Reads weights, counting the host bytes kept: vectors as float32, matrices as stored. */
class Reader {
  bytes = 0;
  constructor(private readonly w: ClipWeightSource) {}
  async vec(name: string): Promise<V> {
    const x = await this.w.read(name);
    this.bytes += x.byteLength;
    return x;
  }
  async mat(name: string): Promise<W> {
    const x = this.w.readStored ? await this.w.readStored(name) : await this.w.read(name);
    this.bytes += bytesOf(x);
    return x;
  }
}

interface Tower {
  width: number;
  heads: number;
  hidden: number;
  blocks: Block[];
  act: (x: number) => number;
}

/** One residual attention block, in place on x [L, width]. */
function resblock(x: Float64Array, L: number, t: Tower, k: Block, causal: boolean): void {
  const { width, hidden } = t;
  const qkv = linear(layerNorm(x, L, width, k.ln1w, k.ln1b), L, width, k.inW, k.inB, 3 * width);
  const a = linear(attention(qkv, L, width, t.heads, causal), L, width, k.outW, k.outB, width);
  for (let i = 0; i < x.length; i++) x[i] += a[i];
  const h = linear(layerNorm(x, L, width, k.ln2w, k.ln2b), L, width, k.fcW, k.fcB, hidden);
  for (let i = 0; i < h.length; i++) h[i] = t.act(h[i]);
  const m = linear(h, L, hidden, k.prW, k.prB, width);
  for (let i = 0; i < x.length; i++) x[i] += m[i];
}

async function loadTower(w: Reader, prefix: string, layers: number, base: Omit<Tower, 'blocks'>) {
  const blocks: Block[] = [];
  for (let i = 0; i < layers; i++) {
    const p = `${prefix}transformer.resblocks.${i}.`;
    const r = (n: string) => w.vec(p + n);
    const m = (n: string) => w.mat(p + n);
    blocks.push({
      ln1w: await r('ln_1.weight'),
      ln1b: await r('ln_1.bias'),
      inW: await m('attn.in_proj_weight'),
      inB: await r('attn.in_proj_bias'),
      outW: await m('attn.out_proj.weight'),
      outB: await r('attn.out_proj.bias'),
      ln2w: await r('ln_2.weight'),
      ln2b: await r('ln_2.bias'),
      fcW: await m('mlp.c_fc.weight'),
      fcB: await r('mlp.c_fc.bias'),
      prW: await m('mlp.c_proj.weight'),
      prB: await r('mlp.c_proj.bias'),
    });
  }
  return { ...base, blocks };
}

const yieldToLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/** The float64 towers with float64 outputs (the test oracle); `createReferenceTowers` wraps them for `Kernels`. */
export interface ReferenceTowers {
  /** projected text features [n, embedDim], float64 */
  encodeText(tokens: Int32Array, n: number, o?: ClipEncodeOptions): Promise<Float64Array>;
  /** projected image features [n, embedDim] from normalised pixels [n, 3, S, S], float64 */
  encodeImage(pixels: ArrayLike<number>, n: number, o?: ClipEncodeOptions): Promise<Float64Array>;
  /** host bytes the weights hold (matrices as stored: ≈ the file's tensor bytes with a `readStored` source) */
  readonly weightBytes: number;
  dispose(): void;
}

/**
 * The float64 towers (the test oracle): weights decoded to float64, forward passes in plain loops.
 * @param config - the model's config.
 * @param weights - the weight source.
 * @param towers - which towers to build (default both).
 * @returns the towers, each returning float64 features.
 */
export async function buildReferenceTowers(
  config: ClipConfig,
  weights: ClipWeightSource,
  towers: { text?: boolean; image?: boolean } = {},
): Promise<ReferenceTowers> {
  const want = { text: towers.text ?? true, image: towers.image ?? true };
  const act = config.quickGelu ? quickGelu : gelu;
  const v = config.vision;
  const t = config.text;
  const E = config.embedDim;
  const rd = new Reader(weights);
  const vis = want.image
    ? {
        conv: await rd.mat('visual.conv1.weight'),
        cls: await rd.vec('visual.class_embedding'),
        pos: await rd.vec('visual.positional_embedding'),
        preW: await rd.vec('visual.ln_pre.weight'),
        preB: await rd.vec('visual.ln_pre.bias'),
        postW: await rd.vec('visual.ln_post.weight'),
        postB: await rd.vec('visual.ln_post.bias'),
        proj: await rd.mat('visual.proj'),
        tower: await loadTower(rd, 'visual.', v.layers, {
          width: v.width,
          heads: v.heads,
          hidden: mlpHidden(v.width, v.mlpRatio),
          act,
        }),
      }
    : null;
  const txt = want.text
    ? {
        tok: await rd.mat('token_embedding.weight'),
        pos: await rd.vec('positional_embedding'),
        finW: await rd.vec('ln_final.weight'),
        finB: await rd.vec('ln_final.bias'),
        proj: await rd.mat('text_projection'),
        tower: await loadTower(rd, '', t.layers, {
          width: t.width,
          heads: t.heads,
          hidden: mlpHidden(t.width, t.mlpRatio),
          act,
        }),
      }
    : null;
  let disposed = false;
  const alive = (what: string, o?: ClipEncodeOptions, done = 0, total = 0) => {
    if (disposed) throw new ArgumentError(`${what}: the towers were disposed`);
    if (o?.signal?.aborted) throw new ClipAbortedError(done, total);
  };

  return {
    weightBytes: rd.bytes,
    async encodeText(tokens, n, o) {
      alive('encodeText', o, 0, n);
      if (!txt) throw new ArgumentError('encodeText: the text tower was not built (towers.text = false)');
      const L = t.contextLength;
      const Wd = t.width;
      if (tokens.length !== n * L)
        throw new ShapeError(`encodeText: ${tokens.length} token ids for ${n} texts × context ${L}`);
      const out = new Float64Array(n * E);
      for (let s = 0; s < n; s++) {
        const ids = tokens.subarray(s * L, (s + 1) * L);
        const x = new Float64Array(L * Wd);
        let eot = 0;
        for (let i = 0; i < L; i++) {
          const id = ids[i];
          if (!(id >= 0 && id < t.vocabSize))
            throw new ArgumentError(`encodeText: text ${s}, position ${i}: token id ${id} outside [0, ${t.vocabSize})`);
          if (id > ids[eot]) eot = i;
          rowOf(txt.tok, id * Wd, Wd, x.subarray(i * Wd, (i + 1) * Wd));
          for (let j = 0; j < Wd; j++) x[i * Wd + j] += txt.pos[i * Wd + j];
        }
        for (const b of txt.tower.blocks) resblock(x, L, txt.tower, b, true);
        const pooled = layerNorm(x.subarray(eot * Wd, (eot + 1) * Wd), 1, Wd, txt.finW, txt.finB);
        out.set(project(pooled, 1, Wd, txt.proj, E), s * E);
        await yieldToLoop();
        alive('encodeText', o, s + 1, n);
      }
      return out;
    },
    async encodeImage(px, n, o) {
      alive('encodeImage', o, 0, n);
      if (!vis) throw new ArgumentError('encodeImage: the image tower was not built (towers.image = false)');
      const { imageSize: S, patchSize: p, width: Wd } = v;
      if (px.length !== n * 3 * S * S)
        throw new ShapeError(`encodeImage: ${px.length} values for ${n} images × 3 × ${S} × ${S}`);
      const G = S / p;
      const P = G * G;
      const K = 3 * p * p;
      const out = new Float64Array(n * E);
      for (let b = 0; b < n; b++) {
        const cols = new Float64Array(P * K);
        for (let gy = 0; gy < G; gy++)
          for (let gx = 0; gx < G; gx++)
            for (let c = 0; c < 3; c++)
              for (let ky = 0; ky < p; ky++)
                for (let kx = 0; kx < p; kx++)
                  cols[(gy * G + gx) * K + c * p * p + ky * p + kx] =
                    px[((b * 3 + c) * S + gy * p + ky) * S + gx * p + kx];
        const patches = linear(cols, P, K, vis.conv, null, Wd);
        const L = P + 1;
        const x0 = new Float64Array(L * Wd);
        for (let j = 0; j < Wd; j++) x0[j] = vis.cls[j] + vis.pos[j];
        for (let i = 0; i < P * Wd; i++) x0[Wd + i] = patches[i] + vis.pos[Wd + i];
        const x = layerNorm(x0, L, Wd, vis.preW, vis.preB);
        for (const blk of vis.tower.blocks) resblock(x, L, vis.tower, blk, false);
        const pooled = layerNorm(x.subarray(0, Wd), 1, Wd, vis.postW, vis.postB);
        out.set(project(pooled, 1, Wd, vis.proj, E), b * E);
        await yieldToLoop();
        alive('encodeImage', o, b + 1, n);
      }
      return out;
    },
    dispose() {
      disposed = true;
    },
  };
}

/** The float64 towers as `CreateClipTowers` for the CPU backend (outputs rounded to float32 by the contract). */
export const createReferenceTowers: CreateClipTowers = async (k: Kernels, config, weights, opts) => {
  if (k.backend !== 'cpu')
    throw new ArgumentError(`createReferenceTowers runs on the CPU backend (got a ${k.backend} Kernels)`);
  const ref = await buildReferenceTowers(config, weights, opts.towers);
  const towers: ClipTowers = {
    backend: 'cpu',
    encodeText: async (tokens, n, o) => Float32Array.from(await ref.encodeText(tokens, n, o)),
    encodeImage: async (pixels, n, o) =>
      Float32Array.from(await ref.encodeImage(pixels instanceof Float32Array ? pixels : await pixels.read(), n, o)),
    dispose: () => ref.dispose(),
  };
  return towers;
};
