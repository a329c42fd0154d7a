// The CLIP towers as WGSL kernels, through the `Kernels` surface only (#23). Weights: towers-weights.ts. A batch
// is encoded in chunks; per chunk the activations live on the device from the input upload to the projected
// features, which are read back before the next chunk starts (AbortSignal checked in between), so device memory
// stays near weights + one chunk's activations. open_clip's architecture (pre-LN residual blocks):
//   x ← x + out_proj(attention(in_proj(ln_1(x))))      attention: packed qkv, heads in column blocks
//   x ← x + c_proj(gelu(c_fc(ln_2(x))))                 gelu: erf, or QuickGELU when `quickGelu`
// Each linear layer is one fused matmul (`k.transformer.linear`: bias, GELU and the residual add in its store).
// vision: unfold(pixels) · conv1ᵀ → [class; patches] + positions → ln_pre → blocks → class row → ln_post → · proj
// text:   token_embedding[ids] + positions → blocks (causal) → row of the end token (the largest id) →
//         ln_final → · text_projection
// The same code runs on the CPU backend (its float64 references), which the tests use as a second opinion.
import { ArgumentError, M4kitError, type Kernels, type Tensor } from '@m4kit/kernels';
import {
  hiddenOf,
  loadText,
  loadVision,
  tensorsOf,
  type BlockWeights,
  type Matrix,
  type TextWeights,
  type VisionWeights,
} from './towers-weights.js';
import type { ClipConfig, ClipEncodeOptions, ClipTowers, CreateClipTowers } from './types.js';

/** An encode call stopped by its AbortSignal (between chunks; CLI exit 130). */
export class ClipAbortedError extends M4kitError {
  constructor(
    readonly done: number,
    readonly total: number,
  ) {
    super('E_ABORTED', `CLIP encode: aborted after ${done} of ${total} inputs`);
  }
}

/** Inputs per chunk at most (a bench's batch of 64 runs as one chunk). */
export const MAX_CHUNK = 64;

/** Rows a chunk may have so that its widest activation ([rows, 4·width] f32) fits one storage binding. */
export function chunkSize(k: Kernels, seq: number, width: number, mlpRatio: number): number {
  const widest = seq * Math.max(3 * width, hiddenOf(width, mlpRatio)) * 4;
  return Math.max(1, Math.min(MAX_CHUNK, Math.floor((k.maxBindingSize - 256) / widest)));
}

function use(k: Kernels, m: Matrix): Tensor {
  return m.half ? k.cast(m.t, 'f32') : m.t;
}

/** gelu(x · w + bias) + residual in one fused matmul (`k.transformer.linear`); an f16 matrix is widened for the call */
function linear(
  k: Kernels,
  x: Tensor,
  m: Matrix,
  opts: { bias?: Tensor; gelu?: 'erf' | 'quick'; residual?: Tensor } = {},
): Tensor {
  const w = use(k, m);
  const y = k.transformer.linear(x, w, opts);
  if (m.half) w.dispose();
  return y;
}

/** one residual block on x [n·L, W]; x is consumed */
function block(k: Kernels, x: Tensor, b: BlockWeights, n: number, heads: number, causal: boolean, quick: boolean) {
  const h1 = k.transformer.layerNorm(x, b.ln1[0], b.ln1[1]);
  const qkv = linear(k, h1, b.inProj, { bias: b.inBias });
  h1.dispose();
  const a = k.transformer.attention(qkv, { batch: n, heads, causal });
  qkv.dispose();
  const x1 = linear(k, a, b.outProj, { bias: b.outBias, residual: x });
  a.dispose();
  x.dispose();
  const h2 = k.transformer.layerNorm(x1, b.ln2[0], b.ln2[1]);
  const g = linear(k, h2, b.fc, { bias: b.fcBias, gelu: quick ? 'quick' : 'erf' });
  h2.dispose();
  const x2 = linear(k, g, b.proj, { bias: b.projBias, residual: x1 });
  g.dispose();
  x1.dispose();
  return x2;
}

/** pooled rows [n, W] → ln → · proj → host features (n × embedDim) */
async function head(k: Kernels, x: Tensor, rows: number[], ln: [Tensor, Tensor], proj: Matrix): Promise<Float32Array> {
  const pooled = k.mlp.gatherRows(x, rows);
  x.dispose();
  const h = k.transformer.layerNorm(pooled, ln[0], ln[1]);
  pooled.dispose();
  const y = linear(k, h, proj);
  h.dispose();
  const out = await y.read();
  y.dispose();
  return out instanceof Float32Array ? out : Float32Array.from(out);
}

function checkCount(op: string, n: number, have: number, per: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`${op}: n must be an integer ≥ 0, got ${n}`);
  if (have !== n * per) throw new ArgumentError(`${op}: ${what} has ${have} values, expected n·${per} = ${n * per}`);
}

class GpuTowers implements ClipTowers {
  readonly backend: 'webgpu' | 'cpu';
  private disposed = false;
  constructor(
    private readonly k: Kernels,
    private readonly cfg: ClipConfig,
    private readonly vision: VisionWeights | null,
    private readonly text: TextWeights | null,
  ) {
    this.backend = k.backend;
  }

  private alive(op: string): void {
    if (this.disposed) throw new ArgumentError(`${op}: the towers were disposed`);
  }

  async encodeText(tokens: Int32Array, n: number, opts: ClipEncodeOptions = {}): Promise<Float32Array> {
    const op = 'encodeText';
    this.alive(op);
    const w = this.text;
    if (!w) throw new ArgumentError(`${op}: the text tower was not built (towers.text: false)`);
    const { contextLength: L, width: W, heads, vocabSize: V } = this.cfg.text;
    checkCount(op, n, tokens.length, L, 'tokens');
    for (let i = 0; i < tokens.length; i++)
      if (!(tokens[i] >= 0 && tokens[i] < V))
        throw new ArgumentError(
          `${op}: token ${tokens[i]} at text ${Math.floor(i / L)}, position ${i % L} is outside [0, ${V})`,
        );
    const E = this.cfg.embedDim;
    const out = new Float32Array(n * E);
    const k = this.k;
    const per = chunkSize(k, L, W, this.cfg.text.mlpRatio);
    for (let b0 = 0; b0 < n; b0 += per) {
      if (opts.signal?.aborted) throw new ClipAbortedError(b0, n);
      const nb = Math.min(per, n - b0);
      const ids = tokens.subarray(b0 * L, (b0 + nb) * L);
      let x = k.transformer.embedTokens(w.table, ids, w.pos);
      for (const b of w.blocks) x = block(k, x, b, nb, heads, true, this.cfg.quickGelu);
      // the end token has the largest id (open_clip: text.argmax(dim=-1), first occurrence)
      const rows: number[] = [];
      for (let i = 0; i < nb; i++) {
        let best = 0;
        for (let t = 1; t < L; t++) if (ids[i * L + t] > ids[i * L + best]) best = t;
        rows.push(i * L + best);
      }
      out.set(await head(k, x, rows, w.lnFinal, w.proj), b0 * E);
    }
    if (opts.signal?.aborted) throw new ClipAbortedError(n, n);
    return out;
  }

  async encodeImage(pixels: Float32Array | Tensor, n: number, opts: ClipEncodeOptions = {}): Promise<Float32Array> {
    const op = 'encodeImage';
    this.alive(op);
    const w = this.vision;
    if (!w) throw new ArgumentError(`${op}: the image tower was not built (towers.image: false)`);
    const { imageSize: S, patchSize: p, width: W, heads } = this.cfg.vision;
    const per3 = 3 * S * S;
    const host = pixels instanceof Float32Array;
    checkCount(op, n, host ? pixels.length : pixels.size, per3, 'pixels');
    if (!host && (pixels.dtype !== 'f32' || pixels.shape.length !== 4 || pixels.shape[1] !== 3))
      throw new ArgumentError(
        `${op}: a pixel tensor must be f32 [n, 3, ${S}, ${S}], got ${pixels.dtype} [${pixels.shape}]`,
      );
    const G = Math.floor(S / p);
    const L = G * G + 1;
    const E = this.cfg.embedDim;
    const out = new Float32Array(n * E);
    const k = this.k;
    const per = chunkSize(k, L, W, this.cfg.vision.mlpRatio);
    for (let b0 = 0; b0 < n; b0 += per) {
      if (opts.signal?.aborted) throw new ClipAbortedError(b0, n);
      const nb = Math.min(per, n - b0);
      let img: Tensor;
      if (host) img = k.tensor(pixels.subarray(b0 * per3, (b0 + nb) * per3), [nb, 3, S, S]);
      else if (b0 === 0 && nb === n) img = pixels;
      else {
        img = k.empty([nb, 3, S, S]);
        k.copy(pixels, img, { srcOffset: b0 * per3, count: nb * per3 });
      }
      const cols = k.transformer.unfold(img, p);
      if (img !== pixels) img.dispose();
      const emb = linear(k, cols, w.patch);
      cols.dispose();
      const tok = k.transformer.classTokens(emb, w.cls, w.pos);
      emb.dispose();
      let x = k.transformer.layerNorm(tok, w.lnPre[0], w.lnPre[1]);
      tok.dispose();
      for (const b of w.blocks) x = block(k, x, b, nb, heads, false, this.cfg.quickGelu);
      const rows = Array.from({ length: nb }, (_, i) => i * L);
      out.set(await head(k, x, rows, w.lnPost, w.proj), b0 * E);
    }
    if (opts.signal?.aborted) throw new ClipAbortedError(n, n);
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of [this.vision, this.text]) if (w) for (const t of tensorsOf(w)) t.dispose();
  }
}

/**
 * Builds the towers on `k` through the `Kernels` surface (WebGPU: WGSL kernels; the CPU backend runs the same
 * composition on its float64 references). Weights are read one tensor at a time from `weights`.
 */
export const createGpuTowers: CreateClipTowers = async (k, config, weights, opts) => {
  if (opts.precision !== 'f32' && opts.precision !== 'f16')
    throw new ArgumentError(`CLIP towers: precision must be 'f32' or 'f16', got ${String(opts.precision)}`);
  const wantText = opts.towers?.text ?? true;
  const wantImage = opts.towers?.image ?? true;
  for (const [name, t] of [
    ['vision', config.vision],
    ['text', config.text],
  ] as const)
    if (t.width % t.heads !== 0)
      throw new ArgumentError(`CLIP config: ${name} width ${t.width} is not a multiple of heads ${t.heads}`);
  const vision = wantImage ? await loadVision(k, config, weights, opts) : null;
  let text: TextWeights | null = null;
  try {
    text = wantText ? await loadText(k, config, weights, opts) : null;
  } catch (e) {
    if (vision) for (const t of tensorsOf(vision)) t.dispose();
    throw e;
  }
  return new GpuTowers(k, config, vision, text);
};
