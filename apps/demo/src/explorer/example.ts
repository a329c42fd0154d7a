// A synthetic, seeded example for the explorer (clearly labelled as synthetic on the page, not real data):
// image and caption embeddings that mix an occupation direction with a gender direction, counterfactual captions
// with the gender swapped, text queries per occupation. "After" = the bias-alignment module trained here with
// the SDK's debias() and applied to images and captions. The example is tiny (D = 32), so it trains on the float64
// CPU backend, in a worker (train-worker.ts), in seconds: on WebGPU each of its ~50 small products per step is a
// GPU round trip (minutes on a software adapter). The page's projection and drawing still run on WebGPU.
// q = the keep probabilities of the SDK's M4 balance on the metadata table (gender vs occupation).
import {
  balanceEncoded,
  debias,
  moduleToSafetensors,
  parseTableBytes,
  TableEncoder,
  type Embeddings,
} from '@m4kit/sdk';
import type { ExplorerData } from './types';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const OCCUPATIONS = ['doctor', 'nurse', 'engineer', 'teacher'];
export const GENDERS = ['female', 'male'];

export interface ExampleOptions {
  n?: number;
  D?: number;
  epochs?: number;
  seed?: number;
  onStatus?: (s: string) => void;
}

export async function syntheticExample(opts: ExampleOptions = {}): Promise<ExplorerData> {
  const n = opts.n ?? 600;
  const D = opts.D ?? 32;
  const seed = opts.seed ?? 7;
  const r = mulberry32(seed);
  const normal = () => {
    let u = r();
    while (u === 0) u = r();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
  const unit = () => {
    const v = Float64Array.from({ length: D }, normal);
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  };
  const occDir = OCCUPATIONS.map(unit);
  const gImg = unit();
  const gTxt = unit();
  const images = new Float32Array(n * D);
  const captions = new Float32Array(n * D);
  const counter = new Float32Array(n * D);
  const rows: Record<string, string>[] = [];
  const groups: number[] = [];
  const occ: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = Math.floor(r() * OCCUPATIONS.length);
    // a skewed table: doctors/engineers mostly male, nurses/teachers mostly female
    const pMale = [0.75, 0.2, 0.8, 0.3][o];
    const g = r() < pMale ? 1 : 0;
    const s = g === 1 ? 1 : -1;
    for (let j = 0; j < D; j++) {
      images[i * D + j] = 2 * occDir[o][j] + 1.2 * s * gImg[j] + 0.45 * normal();
      captions[i * D + j] = 2 * occDir[o][j] + 1.0 * s * gTxt[j] + 0.3 * normal();
      counter[i * D + j] = 2 * occDir[o][j] - 1.0 * s * gTxt[j] + 0.3 * normal();
    }
    groups.push(g);
    occ.push(o);
    rows.push({ id: String(i), gender: GENDERS[g], occupation: OCCUPATIONS[o] });
  }
  const queries = new Float32Array(OCCUPATIONS.length * D);
  for (let o = 0; o < OCCUPATIONS.length; o++) for (let j = 0; j < D; j++) queries[o * D + j] = 2 * occDir[o][j];

  // q: M4 balance of gender vs occupation on the metadata table (the same call as the Balance panel)
  opts.onStatus?.('balancing the metadata table (M4, pattern counts)…');
  const csv = 'id,gender,occupation\n' + rows.map((x) => `${x.id},${x.gender},${x.occupation}`).join('\n') + '\n';
  const chunk = await parseTableBytes(new TextEncoder().encode(csv), 'synthetic.csv');
  const enc = new TableEncoder({ attributes: ['gender'], labels: ['occupation'], missing: 'error' }, 'synthetic.csv');
  enc.push(chunk);
  // η 'auto': the largest feasible keep rate (the default 0.9 is infeasible on this table, an InfeasibleError)
  const bal = await balanceEncoded(enc.finish(), { backend: 'cpu', path: 'patterns', seed: 0, eta: 'auto' });

  opts.onStatus?.('training the bias-alignment module (debias())…');
  const emb = (x: Float32Array): Embeddings => ({ n, d: D, data: x });
  const epochs = opts.epochs ?? 8;
  const trained = await debias(
    { images: emb(images), captions: emb(captions), counterfactuals: emb(counter) },
    {
      hidden1: 32,
      hidden2: 64,
      batchSize: 100,
      queueSize: 200,
      epochs,
      mixFromEpoch: 5,
      lr: 2e-3,
      tau: 0.1,
      seed,
      backend: 'cpu',
      onProgress: (p) =>
        opts.onStatus?.(
          `training the bias-alignment module: epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}/${p.stepsPerEpoch}`,
        ),
    },
  );
  const mod = trained.module;
  const apply = async (x: Float32Array, rowsN: number, modality: 'image' | 'text') =>
    Float32Array.from((await mod.apply({ n: rowsN, d: D, data: x }, { modality })).data);
  const imagesAfter = await apply(images, n, 'image');
  const captionsAfter = await apply(captions, n, 'text');
  const queriesAfter = await apply(queries, OCCUPATIONS.length, 'text');
  const last = trained.history[trained.history.length - 1];
  return {
    source:
      `synthetic example (seed ${seed}; not real data): ${n} images, captions and gender-swapped ` +
      `counterfactuals, D = ${D}; BA module trained for ${trained.history.length} epochs in this page on the ` +
      `float64 CPU backend (final loss ${last?.loss.toFixed(4)}); q from M4 balance of gender vs occupation`,
    D,
    n,
    groupNames: GENDERS,
    group: Uint32Array.from(groups),
    q: Float64Array.from(bal.q),
    rows,
    images: { before: images, after: imagesAfter },
    texts: { before: captions, after: captionsAfter },
    queries: { names: OCCUPATIONS.map((o) => `a photo of a ${o}`), before: queries, after: queriesAfter },
    // the files `m4kit debias --method ba --module ba-synthetic.safetensors` reads (config beside the weights)
    module: {
      name: 'ba-synthetic',
      weights: moduleToSafetensors(mod),
      config: JSON.stringify(mod.config, null, 2) + '\n',
    },
  };
}
