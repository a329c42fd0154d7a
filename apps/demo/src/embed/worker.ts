// The Embed tab's worker: loadClip on the dropped model folder, embedImages (decode → k.imagePreprocess → vision
// tower) in row order, embedTexts for the captions and the bias prompts, then retrieval recall@K and MaxSkew@k /
// NDKL@k — the same SDK calls as `m4kit embed` followed by `m4kit eval`. Served over the demo's one worker protocol
// (rpc.ts).
import { init, type Kernels } from '@m4kit/kernels';
import { biasPrompts, biasRetrieval, loadClip, retrieval } from '@m4kit/sdk';
import { serve, type CallContext } from '../rpc';
import type { EmbedProgress, EmbedRequest, EmbedResult, EmbedStage } from './protocol';

const kernels = new Map<string, Promise<Kernels>>();
const kernelsFor = (b: 'webgpu' | 'cpu') => {
  if (!kernels.has(b)) kernels.set(b, init({ backend: b }));
  return kernels.get(b)!;
};

async function run(r: EmbedRequest, ctx: CallContext<EmbedProgress>): Promise<EmbedResult> {
  const t0 = performance.now();
  const progress = (stage: EmbedStage) => (done: number, total: number) => ctx.progress({ stage, done, total });
  progress('load')(0, 1);
  const k = await kernelsFor(r.backend);
  const model = await loadClip(r.model, {
    kernels: k,
    towers: { image: true, text: r.captions !== null || !!r.attribute },
  });
  try {
    const img = await model.embedImages(
      r.images.map((f) => f.blob),
      { batch: r.batch, labels: r.images.map((f) => f.name), onProgress: progress('images') },
    );
    const captions = r.captions
      ? await model.embedTexts(r.captions, { batch: 64, onProgress: progress('captions') })
      : null;
    const names = r.attribute ? biasPrompts() : [];
    const prompts = r.attribute ? await model.embedTexts(names, { batch: 64, onProgress: progress('prompts') }) : null;
    progress('evaluate')(0, 1);
    const images = { n: img.n, d: img.d, data: img.data };
    const ret = captions
      ? await retrieval(
          k,
          images,
          captions,
          Array.from({ length: captions.n }, (_, i) => i),
        )
      : null;
    let bias = null;
    if (r.attribute && prompts) {
      const groups = [...new Set(r.attribute.values)].sort();
      const groupOf = Uint32Array.from(r.attribute.values, (v) => groups.indexOf(v));
      const kTop = Math.max(1, Math.min(1000, Math.floor(img.n / 2)));
      const b = await biasRetrieval(k, images, groupOf, groups, prompts, names, { k: kTop });
      bias = {
        attribute: r.attribute.name,
        k: b.k,
        groups: b.groups,
        maxSkew: b.maxSkew,
        ndkl: b.ndkl,
        datasetShares: b.datasetShares,
        meanShares: b.meanShares,
      };
    }
    const result: EmbedResult = {
      backend: model.backend,
      precision: model.precision,
      modelFiles: model.files,
      dim: img.d,
      images: Float32Array.from(img.data),
      captions: captions ? Float32Array.from(captions.data) : null,
      prompts: prompts ? { names, data: Float32Array.from(prompts.data) } : null,
      retrieval: ret ? { imageToText: ret.imageToText, textToImage: ret.textToImage } : null,
      bias,
      timeMs: performance.now() - t0,
    };
    ctx.transfer.push(
      result.images.buffer,
      ...(result.captions ? [result.captions.buffer] : []),
      ...(result.prompts ? [result.prompts.data.buffer] : []),
    );
    return result;
  } finally {
    model.dispose();
  }
}

serve<EmbedRequest, EmbedProgress>({ embed: run });
