// Evaluation tasks on precomputed embeddings: zero-shot classification, retrieval recall@K, bias retrieval
// (MaxSkew@k / NDKL@k over a query set), model representation and association bias (spec §1.8, §2.6).
import { ArgumentError, ShapeError, type Kernels } from '@m4kit/kernels';
import { maxSkewAtK, ndklAtK, type Desired } from './metrics.js';
import { l2normalizeRows, searchTopK, type Embeddings } from './search.js';

/** Shape and finiteness of `e`; with `task`, an empty set is an ArgumentError (a 0/0 metric is not a result). */
function check(e: Embeddings, name: string, task?: string): void {
  if (task !== undefined && e.n === 0) throw new ArgumentError(`${task}: no ${name} (0 rows): nothing to measure`);
  if (e.data.length !== e.n * e.d) throw new ShapeError(`${name}: ${e.data.length} values, expected ${e.n}×${e.d}`);
  for (let i = 0; i < e.n; i++) {
    for (let j = 0; j < e.d; j++) {
      if (!Number.isFinite(e.data[i * e.d + j]))
        throw new ArgumentError(`${name}: row ${i} has a non-finite value (column ${j})`);
    }
  }
}

/**
 * Class embeddings from prompt embeddings: normalise each prompt, average per class, renormalise.
 * @param prompts - prompt embeddings.
 * @param promptClass - the class of each prompt.
 * @param nClasses - classes.
 * @returns one unit embedding per class.
 * @throws ArgumentError for a class id out of range or a class without a prompt.
 */
export function classEmbeddings(prompts: Embeddings, promptClass: ArrayLike<number>, nClasses: number): Embeddings {
  check(prompts, 'prompts');
  if (promptClass.length !== prompts.n)
    throw new ShapeError(`prompts: ${prompts.n} rows but ${promptClass.length} class ids`);
  const p = l2normalizeRows(prompts);
  const out = new Float64Array(nClasses * prompts.d);
  const cnt = new Float64Array(nClasses);
  for (let i = 0; i < prompts.n; i++) {
    const c = promptClass[i];
    if (!Number.isInteger(c) || c < 0 || c >= nClasses)
      throw new ArgumentError(`prompt ${i}: class id ${c} is outside 0..${nClasses - 1}`);
    cnt[c]++;
    for (let j = 0; j < prompts.d; j++) out[c * prompts.d + j] += p.data[i * prompts.d + j];
  }
  for (let c = 0; c < nClasses; c++) if (!cnt[c]) throw new ArgumentError(`class ${c} has no prompt`);
  return l2normalizeRows({ n: nClasses, d: prompts.d, data: out });
}

/**
 * What `zeroShot` returns: top-1 / top-5 accuracy (fractions), per class, and the predicted class per image.
 */
export interface ZeroShotResult {
  top1: number;
  top5: number;
  perClass: { top1: number; top5: number; count: number }[];
  meanPerClassTop1: number;
  /** predicted class per image */
  predicted: Uint32Array;
}

/**
 * Zero-shot classification: each image is assigned the class whose text embedding is most similar.
 *
 * @param kernels - where the similarities are computed
 * @param images - image embeddings, one row per image
 * @param classes - one text embedding per class
 * @param labels - the true class per image
 * @returns top-1 / top-5 accuracy overall and per class, mean per-class top-1, the predicted class per image
 */
export async function zeroShot(
  kernels: Kernels,
  images: Embeddings,
  classes: Embeddings,
  labels: ArrayLike<number>,
): Promise<ZeroShotResult> {
  check(images, 'images', 'zero-shot');
  check(classes, 'classes', 'zero-shot');
  if (labels.length !== images.n) throw new ShapeError(`zero-shot: ${images.n} images but ${labels.length} labels`);
  const C = classes.n;
  const k = Math.min(5, C);
  const top = await searchTopK(kernels, l2normalizeRows(images), classes, k);
  const perClass = Array.from({ length: C }, () => ({ top1: 0, top5: 0, count: 0 }));
  let t1 = 0;
  let t5 = 0;
  const predicted = new Uint32Array(images.n);
  for (let i = 0; i < images.n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= C)
      throw new ArgumentError(`image ${i}: label ${y} is outside 0..${C - 1}`);
    const row = top.indices.subarray(i * k, i * k + k);
    predicted[i] = row[0];
    const h1 = row[0] === y ? 1 : 0;
    const h5 = Array.prototype.includes.call(row, y) ? 1 : 0;
    t1 += h1;
    t5 += h5;
    perClass[y].count++;
    perClass[y].top1 += h1;
    perClass[y].top5 += h5;
  }
  for (const pc of perClass) {
    if (pc.count) {
      pc.top1 /= pc.count;
      pc.top5 /= pc.count;
    }
  }
  const present = perClass.filter((p) => p.count);
  return {
    top1: t1 / images.n,
    top5: t5 / images.n,
    perClass,
    meanPerClassTop1: present.reduce((a, p) => a + p.top1, 0) / present.length,
    predicted,
  };
}

/** Recall@K as a fraction in [0, 1] (the same unit as zero-shot accuracy). */
export interface RetrievalResult {
  imageToText: Record<'R@1' | 'R@5' | 'R@10', number>;
  textToImage: Record<'R@1' | 'R@5' | 'R@10', number>;
}

/**
 * Recall@{1,5,10} (fractions in [0, 1]) in both directions; `captionImage[t]` is the image of caption t (several captions per image).
 * @param kernels - the backend.
 * @param images - image embeddings.
 * @param texts - caption embeddings.
 * @param captionImage - the image index of each caption.
 * @returns Recall@1/5/10 image→text and text→image.
 * @throws ArgumentError for an empty set, a non-finite value or an image id out of range; ShapeError for
 *   mismatched lengths.
 */
export async function retrieval(
  kernels: Kernels,
  images: Embeddings,
  texts: Embeddings,
  captionImage: ArrayLike<number>,
): Promise<RetrievalResult> {
  check(images, 'images', 'retrieval');
  check(texts, 'texts', 'retrieval');
  if (captionImage.length !== texts.n)
    throw new ShapeError(`retrieval: ${texts.n} captions but ${captionImage.length} caption→image ids`);
  for (let t = 0; t < texts.n; t++) {
    const im = captionImage[t];
    if (!Number.isInteger(im) || im < 0 || im >= images.n)
      throw new ArgumentError(`caption ${t}: image id ${im} is outside 0..${images.n - 1}`);
  }
  const I = l2normalizeRows(images);
  const T = l2normalizeRows(texts);
  const Ks = [1, 5, 10] as const;
  const i2t = await searchTopK(kernels, I, T, 10);
  const t2i = await searchTopK(kernels, T, I, 10);
  const r1 = { 'R@1': 0, 'R@5': 0, 'R@10': 0 };
  const r2 = { 'R@1': 0, 'R@5': 0, 'R@10': 0 };
  for (let i = 0; i < images.n; i++) {
    for (const K of Ks) {
      let hit = false;
      for (let t = 0; t < Math.min(K, i2t.k); t++) if (captionImage[i2t.indices[i * i2t.k + t]] === i) hit = true;
      if (hit) r1[`R@${K}`]++;
    }
  }
  for (let t = 0; t < texts.n; t++) {
    for (const K of Ks) {
      let hit = false;
      for (let j = 0; j < Math.min(K, t2i.k); j++) if (t2i.indices[t * t2i.k + j] === captionImage[t]) hit = true;
      if (hit) r2[`R@${K}`]++;
    }
  }
  for (const K of Ks) {
    r1[`R@${K}`] = r1[`R@${K}`] / images.n;
    r2[`R@${K}`] = r2[`R@${K}`] / texts.n;
  }
  return { imageToText: r1, textToImage: r2 };
}

/**
 * What `biasRetrieval` returns: MaxSkew@k and NDKL@k averaged over the queries, per query and the group shares.
 */
export interface BiasRetrievalResult {
  k: number;
  groups: string[];
  maxSkew: number;
  ndkl: number;
  perQuery: { query: string; maxSkew: number; ndkl: number; shares: number[] }[];
  /** mean share of each group in the top-k over the queries, and in the whole image set */
  meanShares: number[];
  datasetShares: number[];
}

/**
 * Bias retrieval (Berg et al. protocol): for each query, rank images by ⟨image, normalise(query)⟩ (images are
 * not normalised by default, as in the reference code) and measure MaxSkew@k and NDKL@k of the attribute.
 * @param kernels - the backend.
 * @param images - image embeddings.
 * @param groupOf - the attribute group of each image.
 * @param groups - the group names.
 * @param queries - query (prompt) embeddings.
 * @param queryNames - one name per query.
 * @param opts - k (default 1000, capped at the image count), desired distribution, image normalisation.
 * @returns the mean and per-query MaxSkew@k / NDKL@k.
 * @throws ArgumentError for an empty image or query set or a non-finite value; ShapeError for mismatched lengths.
 */
export async function biasRetrieval(
  kernels: Kernels,
  images: Embeddings,
  groupOf: ArrayLike<number>,
  groups: string[],
  queries: Embeddings,
  queryNames: string[],
  opts: { k?: number; desired?: Desired; normalizeImages?: boolean } = {},
): Promise<BiasRetrievalResult> {
  check(images, 'images', 'bias');
  check(queries, 'queries', 'bias');
  if (groupOf.length !== images.n)
    throw new ShapeError(`bias: ${images.n} images but ${groupOf.length} attribute labels`);
  if (queryNames.length !== queries.n)
    throw new ShapeError(`bias: ${queries.n} query embeddings but ${queryNames.length} query names`);
  const k = Math.min(opts.k ?? 1000, images.n);
  const G = groups.length;
  const top = await searchTopK(
    kernels,
    l2normalizeRows(queries),
    opts.normalizeImages ? l2normalizeRows(images) : images,
    k,
  );
  const datasetShares = new Array(G).fill(0);
  for (let i = 0; i < images.n; i++) datasetShares[groupOf[i]] += 1 / images.n;
  const perQuery: BiasRetrievalResult['perQuery'] = [];
  const meanShares = new Array(G).fill(0);
  const ranked = new Uint32Array(k);
  for (let a = 0; a < queries.n; a++) {
    for (let t = 0; t < k; t++) ranked[t] = groupOf[top.indices[a * top.k + t]];
    const shares = new Array(G).fill(0);
    for (let t = 0; t < k; t++) shares[ranked[t]] += 1 / k;
    shares.forEach((s, g) => (meanShares[g] += s / queries.n));
    perQuery.push({
      query: queryNames[a],
      maxSkew: maxSkewAtK(ranked, k, G, opts.desired ?? 'uniform', groupOf),
      ndkl: ndklAtK(ranked, k, G, opts.desired ?? 'uniform', groupOf),
      shares,
    });
  }
  const mean = (f: (p: BiasRetrievalResult['perQuery'][number]) => number) =>
    perQuery.reduce((s, p) => s + f(p), 0) / Math.max(1, perQuery.length);
  return { k, groups, maxSkew: mean((p) => p.maxSkew), ndkl: mean((p) => p.ndkl), perQuery, meanShares, datasetShares };
}

/**
 * p(class | image) = softmax_c(τ ⟨normalise(image), class⟩), row-major [images, classes].
 * @param images - image embeddings.
 * @param classes - class embeddings.
 * @param tau - the logit scale (default 100).
 * @returns [images, classes] probabilities.
 */
export function zeroShotPosterior(images: Embeddings, classes: Embeddings, tau = 100): Float64Array {
  const I = l2normalizeRows(images);
  const C = l2normalizeRows(classes);
  const out = new Float64Array(I.n * C.n);
  for (let i = 0; i < I.n; i++) {
    let mx = -Infinity;
    for (let c = 0; c < C.n; c++) {
      let s = 0;
      for (let j = 0; j < I.d; j++) s += I.data[i * I.d + j] * C.data[c * C.d + j];
      out[i * C.n + c] = tau * s;
      mx = Math.max(mx, tau * s);
    }
    let z = 0;
    for (let c = 0; c < C.n; c++) z += out[i * C.n + c] = Math.exp(out[i * C.n + c] - mx);
    for (let c = 0; c < C.n; c++) out[i * C.n + c] /= z;
  }
  return out;
}

/**
 * What `modelBias` returns: representation bias (mean posterior per group prompt) and, optionally, association bias.
 */
export interface ModelBiasResult {
  /** mean zero-shot posterior of each group prompt over the reference images; parity = p(g0) − p(g1) for two groups */
  representation: { groups: string[]; meanPosterior: number[]; parity: number | null; maxDeviation: number };
  /** per concept: gap of mean p(concept | x) between image groups (max over group pairs); AB = mean and max |gap| */
  association?: { concepts: string[]; gaps: number[]; mean: number; max: number };
}

/**
 * Model representation bias (Def. 3) and association bias (Def. 4), spec §1.8.
 * @param refImages - reference images for the representation measure.
 * @param groupPrompts - one prompt embedding per group.
 * @param groupNames - the group names.
 * @param assoc - images with groups and concept prompts, for the association measure.
 * @param tau - the logit scale (default 100).
 * @returns the representation and association bias.
 */
export function modelBias(
  refImages: Embeddings,
  groupPrompts: Embeddings,
  groupNames: string[],
  assoc?: { images: Embeddings; groupOf: ArrayLike<number>; conceptPrompts: Embeddings; concepts: string[] },
  tau = 100,
): ModelBiasResult {
  const G = groupPrompts.n;
  const post = zeroShotPosterior(refImages, groupPrompts, tau);
  const meanPosterior = new Array(G).fill(0);
  for (let i = 0; i < refImages.n; i++) for (let g = 0; g < G; g++) meanPosterior[g] += post[i * G + g] / refImages.n;
  const representation = {
    groups: groupNames,
    meanPosterior,
    parity: G === 2 ? meanPosterior[0] - meanPosterior[1] : null,
    maxDeviation: Math.max(...meanPosterior.map((p) => Math.abs(p - 1 / G))),
  };
  if (!assoc) return { representation };
  const R = assoc.conceptPrompts.n;
  const pc = zeroShotPosterior(assoc.images, assoc.conceptPrompts, tau);
  const nG = Math.max(...Array.from(assoc.groupOf)) + 1;
  const sums = Array.from({ length: nG }, () => new Array(R).fill(0));
  const counts = new Array(nG).fill(0);
  for (let i = 0; i < assoc.images.n; i++) {
    const g = assoc.groupOf[i];
    counts[g]++;
    for (let r = 0; r < R; r++) sums[g][r] += pc[i * R + r];
  }
  const gaps = new Array(R).fill(0);
  for (let r = 0; r < R; r++) {
    const means = sums.map((s, g) => (counts[g] ? s[r] / counts[g] : NaN)).filter((x) => !Number.isNaN(x));
    gaps[r] = means.length >= 2 ? (nG === 2 ? means[0] - means[1] : Math.max(...means) - Math.min(...means)) : 0;
  }
  const abs = gaps.map(Math.abs);
  return {
    representation,
    association: { concepts: assoc.concepts, gaps, mean: abs.reduce((a, b) => a + b, 0) / R, max: Math.max(...abs) },
  };
}
