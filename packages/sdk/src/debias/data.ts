// The inputs of debias() (spec §2.5): the row-aligned embeddings, the per-epoch counterfactual draw, and every
// input check, run before any GPU work.
import { ArgumentError, ShapeError } from '@m4kit/kernels';
import type { Embeddings } from '../evaluate/search.js';
import { checkMatrix, mulberry32 } from './ba.js';
import { resolveDebiasOptions, type DebiasOptions } from './options.js';

/** Inputs of debias(): frozen image embeddings with factual and counterfactual caption embeddings, row-aligned. */
export interface DebiasData {
  images: Embeddings;
  captions: Embeddings;
  counterfactuals: Embeddings;
  /**
   * Further counterfactual caption sets, row-aligned (e.g. `counterfactualCandidates`: age 2 sets, race 6). When
   * given, every epoch each row draws its counterfactual uniformly from [counterfactuals, ...alternatives],
   * seeded by (seed, epoch) (`counterfactualPick`), as the official dataset draws one per item read. Without them
   * the one counterfactual set is used every epoch.
   */
  counterfactualAlternatives?: Embeddings[];
}

/**
 * Which counterfactual set each of `n` rows uses in `epoch` (0..sets−1): a pure function of (seed, epoch), so
 * a run is reproducible and a resumed or repeated epoch draws the same; its own stream, so the per-step coin and
 * the shuffle draw the same with or without alternatives.
 * @param seed - the run's seed.
 * @param epoch - 0-based epoch.
 * @param n - records.
 * @param sets - counterfactual sets (1 to 255).
 * @returns the set chosen for each record this epoch.
 * @throws ArgumentError for a bad set count.
 */
export function counterfactualPick(seed: number, epoch: number, n: number, sets: number): Uint8Array {
  if (!Number.isInteger(sets) || sets < 1 || sets > 255)
    throw new ArgumentError(`debias: ${sets} counterfactual sets (1 to 255)`);
  const pick = new Uint8Array(n);
  if (sets === 1) return pick;
  const rnd = mulberry32((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  for (let i = 0; i < n; i++) pick[i] = Math.floor(rnd() * sets);
  return pick;
}

/**
 * An embeddings matrix as float64 (the same array when it already is).
 * @param e - embeddings.
 * @returns its values as a Float64Array.
 */
export function toF64(e: Embeddings): Float64Array {
  return e.data instanceof Float64Array ? e.data : Float64Array.from(e.data);
}

/**
 * All input checks of debias() — shapes, emptiness, finiteness, validation sets — before any GPU work.
 * @param data - training embeddings, captions, counterfactuals and optional validation sets.
 * @param opts - the options (checked too).
 * @throws ArgumentError / ShapeError / OptionError naming the bad input.
 */
export function checkDebiasInputs(data: DebiasData, opts: DebiasOptions = {}): void {
  resolveDebiasOptions(opts);
  const { images, captions, counterfactuals } = data;
  const alts = data.counterfactualAlternatives ?? [];
  if (!Array.isArray(alts))
    throw new ArgumentError('debias: counterfactualAlternatives must be an array of embeddings');
  if (alts.length > 254) throw new ArgumentError(`debias: ${alts.length + 1} counterfactual sets (at most 255)`);
  for (const [name, e] of [
    ['images', images],
    ['captions', captions],
    ['counterfactual captions', counterfactuals],
    ...alts.map((a, k) => [`counterfactual caption set ${k + 2}`, a] as const),
  ] as const) {
    if (!e || typeof e.n !== 'number') throw new ArgumentError(`debias: missing ${name}`);
    if (e.n === 0) throw new ArgumentError(`debias: ${name} are empty (0 rows)`);
    if (e.d === 0) throw new ShapeError(`debias: ${name} have dimension 0`);
    checkMatrix(name, e.data, e.n, e.d);
  }
  if (captions.d !== images.d || counterfactuals.d !== images.d)
    throw new ShapeError(
      `debias: dimensions differ: images ${images.d}, captions ${captions.d}, counterfactual captions ${counterfactuals.d}`,
    );
  if (captions.n !== images.n || counterfactuals.n !== images.n)
    throw new ShapeError(
      `debias: row counts differ: images ${images.n}, captions ${captions.n}, counterfactual captions ${counterfactuals.n} (row i of each must be the same example)`,
    );
  alts.forEach((a, k) => {
    if (a.d !== images.d || a.n !== images.n)
      throw new ShapeError(
        `debias: counterfactual caption set ${k + 2} is ${a.n} × ${a.d}, the images ${images.n} × ${images.d} ` +
          '(row i of each must be the same example)',
      );
  });
  const v = opts.validation;
  if (v) {
    const zsText = v.zeroShot?.prompts
      ? (['zero-shot template prompts', v.zeroShot.prompts] as const)
      : (['zero-shot classes', v.zeroShot?.classes] as const);
    for (const [name, e] of [
      ['validation images', v.images],
      ['validation prompts', v.prompts],
      ['zero-shot images', v.zeroShot?.images],
      zsText,
    ] as const) {
      if (!e) throw new ArgumentError(`debias: missing ${name}`);
      if (e.n === 0) throw new ArgumentError(`debias: ${name} are empty (0 rows)`);
      if (e.d !== images.d)
        throw new ShapeError(`debias: ${name} have dimension ${e.d}, the training embeddings ${images.d}`);
      checkMatrix(name, e.data, e.n, e.d);
    }
    if (v.labels.length !== v.images.n)
      throw new ShapeError(`debias: ${v.images.n} validation images but ${v.labels.length} attribute labels`);
    if (v.zeroShot.labels.length !== v.zeroShot.images.n)
      throw new ShapeError(`debias: ${v.zeroShot.images.n} zero-shot images but ${v.zeroShot.labels.length} labels`);
    const pc = v.zeroShot.promptClass;
    if (v.zeroShot.prompts) {
      if (!pc || pc.length !== v.zeroShot.prompts.n)
        throw new ShapeError(
          `debias: ${v.zeroShot.prompts.n} zero-shot template prompts but ${pc?.length ?? 0} prompt class ids`,
        );
      const nc = Math.max(...Array.from(pc)) + 1;
      const seen = new Set(Array.from(pc));
      for (let c = 0; c < nc; c++)
        if (!seen.has(c)) throw new ArgumentError(`debias: zero-shot class ${c} has no template prompt`);
      for (let i = 0; i < v.zeroShot.labels.length; i++)
        if (!(v.zeroShot.labels[i] >= 0 && v.zeroShot.labels[i] < nc))
          throw new ArgumentError(`debias: zero-shot label ${v.zeroShot.labels[i]} at row ${i} has no prompt class`);
    }
    if (v.groups.length < 2) throw new ArgumentError('debias: validation needs at least two attribute groups');
    for (let i = 0; i < v.labels.length; i++) {
      if (!Number.isInteger(v.labels[i]) || v.labels[i] < 0 || v.labels[i] >= v.groups.length)
        throw new ArgumentError(
          `debias: validation label ${v.labels[i]} at row ${i} is outside 0..${v.groups.length - 1}`,
        );
    }
  }
}
