// Validation of debias() (spec §2.5): the validation set, one evaluation (MaxSkew on the bias prompts, zero-shot
// top-1, ABLE) of the module being trained; its ABLE picks the best epoch and drives early stopping (train.ts).
import type { Kernels } from '@m4kit/kernels';
import { able } from '../evaluate/metrics.js';
import { l2normalizeRows, type Embeddings } from '../evaluate/search.js';
import { biasRetrieval, classEmbeddings, zeroShot } from '../evaluate/tasks.js';

/**
 * A validation set for `debias()`: images with attribute labels, the bias prompts and optional zero-shot data; its
 * ABLE picks the best epoch.
 */
export interface DebiasValidation {
  /** images whose attribute is measured (ranked by the bias prompts) */
  images: Embeddings;
  /** attribute class per image, 0..groups.length−1 */
  labels: ArrayLike<number>;
  groups: string[];
  /** bias query embeddings (e.g. the 319 Berg prompts) */
  prompts: Embeddings;
  promptNames?: string[];
  /**
   * zero-shot task for the alignment term of ABLE: `classes` (one embedding per class), or the official way,
   * `prompts` (every template prompt) with `promptClass`: each prompt is debiased, normalised, then averaged per
   * class (the module is not applied to already-averaged class embeddings).
   */
  zeroShot: {
    images: Embeddings;
    labels: ArrayLike<number>;
    classes?: Embeddings;
    prompts?: Embeddings;
    promptClass?: ArrayLike<number>;
  };
  /** MaxSkew@k (spec: 1000, capped at the number of images) */
  k?: number;
}

/**
 * One validation of `debias()`: MaxSkew, zero-shot top-1 and ABLE after an epoch.
 */
export interface DebiasEval {
  epoch: number;
  maxSkew: number;
  top1: number;
  able: number;
}

/** What an evaluation needs of a module: `DebiasModule.apply`. */
export interface AppliesModule {
  apply(e: Embeddings, opts: { modality?: 'image' | 'text'; kernels?: Kernels }): Promise<Embeddings>;
}

/**
 * Evaluate a module on the validation set: MaxSkew@k of the bias prompts, zero-shot top-1 and their ABLE.
 * @param mod - the module (its current parameters).
 * @param v - the validation set.
 * @param kernels - where the retrieval and zero-shot searches run.
 * @param mmKernels - where the module's matmuls run (undefined: float64 on the host).
 * @returns MaxSkew, top-1 and ABLE (0 when nothing is classified correctly).
 */
export async function evaluateAble(
  mod: AppliesModule,
  v: DebiasValidation,
  kernels: Kernels,
  mmKernels: Kernels | undefined,
): Promise<{ maxSkew: number; top1: number; able: number }> {
  const imgs = await mod.apply(v.images, { kernels: mmKernels });
  const prompts = await mod.apply(v.prompts, { modality: 'text', kernels: mmKernels });
  const names = v.promptNames ?? Array.from({ length: prompts.n }, (_, i) => `prompt ${i}`);
  const br = await biasRetrieval(kernels, imgs, v.labels, v.groups, prompts, names, { k: v.k ?? 1000 });
  const zsImages = await mod.apply(v.zeroShot.images, { kernels: mmKernels });
  const z = v.zeroShot;
  const classes = z.prompts
    ? classEmbeddings(
        await mod.apply(z.prompts, { modality: 'text', kernels: mmKernels }),
        z.promptClass!,
        Math.max(...Array.from(z.promptClass!)) + 1,
      )
    : l2normalizeRows(await mod.apply(z.classes!, { modality: 'text', kernels: mmKernels }));
  const zs = await zeroShot(kernels, zsImages, classes, v.zeroShot.labels);
  // harmonic mean: 0 when nothing is classified correctly
  return { maxSkew: br.maxSkew, top1: zs.top1, able: zs.top1 > 0 ? able(br.maxSkew, zs.top1) : 0 };
}
