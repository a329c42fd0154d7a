// Tower weights on a `Kernels` backend: the open_clip tensors each tower needs, checked against the config
// (missing key or wrong shape: an error naming the key and both shapes), uploaded one at a time from the
// ClipWeightSource (the host copy is dropped after its upload) and stored as the kernels use them: matrices
// transposed once on the host to [in, out] as they stream through (transposeHost) so every matmul is a plain
// A·B; with precision 'f16' the large matrices are kept as binary16 (cast on the device) and widened to f32 one
// layer at a time.
import { ArgumentError, ShapeError, type Kernels, type Tensor } from '@m4kit/kernels';
import type { ClipConfig, ClipTowerOptions, ClipWeightSource } from './types.js';

/** A matrix [in, out] for `x · w`, kept as f32 or f16 storage. */
export interface Matrix {
  readonly t: Tensor;
  readonly half: boolean;
}

export interface BlockWeights {
  ln1: [Tensor, Tensor];
  inProj: Matrix;
  inBias: Tensor;
  outProj: Matrix;
  outBias: Tensor;
  ln2: [Tensor, Tensor];
  fc: Matrix;
  fcBias: Tensor;
  proj: Matrix;
  projBias: Tensor;
}

export interface VisionWeights {
  /** conv1 as [3·p², width] */
  patch: Matrix;
  cls: Tensor;
  pos: Tensor;
  lnPre: [Tensor, Tensor];
  blocks: BlockWeights[];
  lnPost: [Tensor, Tensor];
  /** [width, embedDim] */
  proj: Matrix;
}

export interface TextWeights {
  /** [vocab, width] (f32) */
  table: Tensor;
  pos: Tensor;
  blocks: BlockWeights[];
  lnFinal: [Tensor, Tensor];
  proj: Matrix;
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Everything a tower holds, to dispose together. */
export function tensorsOf(w: VisionWeights | TextWeights): Tensor[] {
  const m = (x: Matrix) => x.t;
  const blocks = w.blocks.flatMap((b) => [
    ...b.ln1,
    m(b.inProj),
    b.inBias,
    m(b.outProj),
    b.outBias,
    ...b.ln2,
    m(b.fc),
    b.fcBias,
    m(b.proj),
    b.projBias,
  ]);
  if ('patch' in w) return [m(w.patch), w.cls, w.pos, ...w.lnPre, ...blocks, ...w.lnPost, m(w.proj)];
  return [w.table, w.pos, ...blocks, ...w.lnFinal, m(w.proj)];
}

/**
 * [rows, cols] → [cols, rows] on the host, in 32 × 32 blocks so reads and writes both stay in cache. Done here,
 * while the tensor streams through host memory anyway, rather than by a device transpose: SwiftShader (Chromium's
 * CPU WebGPU) took ~4 s per 768 × 3072 matrix for that kernel, minutes for ViT-B/32; the host needs ~10 ms.
 */
export function transposeHost(x: Float32Array, rows: number, cols: number): Float32Array {
  const y = new Float32Array(rows * cols);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const o = r * cols;
        for (let c = c0; c < c1; c++) y[c * rows + r] = x[o + c];
      }
    }
  }
  return y;
}

class Loader {
  private readonly half: boolean;
  /** every tensor still owned, disposed if the load fails half-way */
  readonly live = new Set<Tensor>();
  constructor(
    private readonly k: Kernels,
    private readonly src: ClipWeightSource,
    opts: ClipTowerOptions,
  ) {
    this.half = opts.precision === 'f16';
  }
  private async read(name: string, shape: readonly number[]): Promise<Float32Array> {
    const e = this.src.entries.get(name);
    if (!e) throw new ArgumentError(`CLIP weights: tensor "${name}" ${shapeStr(shape)} is missing`);
    const n = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    // open_clip stores some vectors as [1, n] or [n]: compare element counts when the non-unit axes agree
    const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1).join();
    if (e.shape.join() !== shape.join() && !(n(e.shape) === n(shape) && squeeze(e.shape) === squeeze(shape)))
      throw new ShapeError(
        `CLIP weights: tensor "${name}" has shape ${shapeStr(e.shape)}, expected ${shapeStr(shape)}`,
      );
    const data = await this.src.read(name);
    if (data.length !== n(shape))
      throw new ShapeError(`CLIP weights: tensor "${name}" read ${data.length} values, expected ${n(shape)}`);
    return data;
  }
  /** a vector or table as stored (f32) */
  async plain(name: string, shape: number[]): Promise<Tensor> {
    return this.keep(this.k.tensor(await this.read(name, shape), shape));
  }
  private keep(t: Tensor): Tensor {
    this.live.add(t);
    return t;
  }
  private drop(t: Tensor): void {
    this.live.delete(t);
    t.dispose();
  }
  /** a [rows, cols] tensor used as x · wᵀ: stored transposed, [cols, rows] (transposed on the host, see top) */
  async linear(name: string, rows: number, cols: number, stored: number[] = [rows, cols]): Promise<Matrix> {
    const t = transposeHost(await this.read(name, stored), rows, cols);
    return this.narrow(this.keep(this.k.tensor(t, [cols, rows])));
  }
  /** a [rows, cols] tensor used as x · w (open_clip's proj / text_projection) */
  async right(name: string, rows: number, cols: number): Promise<Matrix> {
    return this.narrow(this.keep(this.k.tensor(await this.read(name, [rows, cols]), [rows, cols])));
  }
  private narrow(t: Tensor): Matrix {
    if (!this.half) return { t, half: false };
    const h = this.keep(this.k.cast(t, 'f16'));
    this.drop(t);
    return { t: h, half: true };
  }
  async ln(prefix: string, width: number): Promise<[Tensor, Tensor]> {
    return [await this.plain(`${prefix}.weight`, [width]), await this.plain(`${prefix}.bias`, [width])];
  }
  async blocks(prefix: string, layers: number, width: number, hidden: number): Promise<BlockWeights[]> {
    const out: BlockWeights[] = [];
    for (let i = 0; i < layers; i++) {
      const p = `${prefix}.${i}`;
      out.push({
        ln1: await this.ln(`${p}.ln_1`, width),
        inProj: await this.linear(`${p}.attn.in_proj_weight`, 3 * width, width),
        inBias: await this.plain(`${p}.attn.in_proj_bias`, [3 * width]),
        outProj: await this.linear(`${p}.attn.out_proj.weight`, width, width),
        outBias: await this.plain(`${p}.attn.out_proj.bias`, [width]),
        ln2: await this.ln(`${p}.ln_2`, width),
        fc: await this.linear(`${p}.mlp.c_fc.weight`, hidden, width),
        fcBias: await this.plain(`${p}.mlp.c_fc.bias`, [hidden]),
        proj: await this.linear(`${p}.mlp.c_proj.weight`, width, hidden),
        projBias: await this.plain(`${p}.mlp.c_proj.bias`, [width]),
      });
    }
    return out;
  }
}

async function guarded<T>(L: Loader, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    for (const t of L.live) t.dispose();
    throw e;
  }
}

export function hiddenOf(width: number, mlpRatio: number): number {
  return Math.round(width * mlpRatio);
}

export async function loadVision(
  k: Kernels,
  cfg: ClipConfig,
  src: ClipWeightSource,
  opts: ClipTowerOptions,
): Promise<VisionWeights> {
  const v = cfg.vision;
  const W = v.width;
  const p = v.patchSize;
  const G = Math.floor(v.imageSize / p);
  const L = new Loader(k, src, opts);
  return guarded(L, async () => ({
    patch: await L.linear('visual.conv1.weight', W, 3 * p * p, [W, 3, p, p]),
    cls: await L.plain('visual.class_embedding', [W]),
    pos: await L.plain('visual.positional_embedding', [G * G + 1, W]),
    lnPre: await L.ln('visual.ln_pre', W),
    blocks: await L.blocks('visual.transformer.resblocks', v.layers, W, hiddenOf(W, v.mlpRatio)),
    lnPost: await L.ln('visual.ln_post', W),
    proj: await L.right('visual.proj', W, cfg.embedDim),
  }));
}

export async function loadText(
  k: Kernels,
  cfg: ClipConfig,
  src: ClipWeightSource,
  opts: ClipTowerOptions,
): Promise<TextWeights> {
  const t = cfg.text;
  const W = t.width;
  const L = new Loader(k, src, opts);
  return guarded(L, async () => ({
    table: await L.plain('token_embedding.weight', [t.vocabSize, W]),
    pos: await L.plain('positional_embedding', [t.contextLength, W]),
    blocks: await L.blocks('transformer.resblocks', t.layers, W, hiddenOf(W, t.mlpRatio)),
    lnFinal: await L.ln('ln_final', W),
    proj: await L.right('text_projection', W, cfg.embedDim),
  }));
}
