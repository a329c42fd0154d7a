// Factual / counterfactual caption pairs for BA training (spec §2.3): the texts to encode with the frozen CLIP
// text tower; debias() then takes the two embedding matrices.
import { ArgumentError } from '@m4kit/kernels';
import { mulberry32 } from './ba.js';

/**
 * The attribute the BA module is trained to remove.
 */
export type DebiasAttribute = 'gender' | 'age' | 'race';

/**
 * One face image's attributes (FairFace / UTKFace style), read by the caption builders.
 */
export interface FaceRecord {
  /** "Male" | "Female" (any case) */
  gender: string;
  /** FairFace age bin ("0-2", "3-9", …, "60-69", "more than 70") or an age in years (UTKFace) */
  age: string | number;
  race: string;
}

/**
 * FairFace's seven race classes in the official order.
 */
export const FAIRFACE_RACES = [
  'White',
  'Southeast Asian',
  'Middle Eastern',
  'Black',
  'Indian',
  'Latino_Hispanic',
  'East Asian',
];

/**
 * young {0–29}, middle-aged {30–59}, old {60+}
 * @param age - a FairFace age bin ("20-29", "more than 70") or an age in years.
 * @returns the age word of the captions.
 * @throws ArgumentError for an unreadable age.
 */
export function ageWord(age: string | number): 'young' | 'middle-aged' | 'old' {
  const n = typeof age === 'number' ? age : /more than/i.test(age) ? 70 : Number.parseInt(age, 10);
  if (!Number.isFinite(n)) throw new ArgumentError(`unreadable age "${age}"`);
  return n < 30 ? 'young' : n < 60 ? 'middle-aged' : 'old';
}

const show = (s: string) => s.replace(/_/g, ' ');

/**
 * How the race counterfactual is drawn. 'uniform' (default): each of the other races with p = 1/(R − 1).
 * 'official': as [JV] datasets.py does it — an index in 0..R−2 (0..5 for FairFace's 7 races), moved to the next
 * one (mod R − 1) when it hits the record's own race, so the last race ("East Asian") is never a counterfactual
 * and the race after the record's own is drawn twice as often (spec §2.3, a quirk).
 */
export type RaceDraw = 'uniform' | 'official';

/**
 * Options of the counterfactual captions: seed, race list and how a race is redrawn.
 */
export interface CaptionOptions {
  seed?: number;
  /** races in the official order (default FAIRFACE_RACES); the last one matters for raceDraw 'official' */
  races?: string[];
  raceDraw?: RaceDraw;
}

function checkRecord(r: FaceRecord, i: number, attribute: DebiasAttribute, races: string[]): string {
  const g = String(r.gender).toLowerCase();
  if (g !== 'male' && g !== 'female') throw new ArgumentError(`record ${i}: gender "${r.gender}" is not Male/Female`);
  if (attribute === 'race' && !races.includes(r.race))
    throw new ArgumentError(`record ${i}: race "${r.race}" is not one of ${races.join(', ')}`);
  return g;
}

/**
 * The captions of [JV] datasets.py (spec §2.3). `alternatives` are every counterfactual the official dataset can
 * draw for the record, in a fixed order: gender 1 (the other gender), age 2 (the other age words), race R − 1 (the
 * other races, in `races` order). The race caption keeps the record's age as given — the raw FairFace bin
 * ("20-29", "more than 70") or a UTKFace age — as the official template `{age} {race} {gender}` does; the gender
 * caption too (`aged {age-bin}`); only the age caption uses the age word.
 */
function captionsOf(r: FaceRecord, g: string, attribute: DebiasAttribute, races: string[]) {
  const other = g === 'male' ? 'female' : 'male';
  if (attribute === 'gender')
    return {
      factual: `This is the photo of a ${show(r.race)} ${g} aged ${r.age}.`,
      alternatives: [`This is the photo of a ${show(r.race)} ${other} aged ${r.age}.`],
    };
  if (attribute === 'age') {
    const w = ageWord(r.age);
    const others = (['young', 'middle-aged', 'old'] as const).filter((x) => x !== w);
    return {
      factual: `This is the photo of a ${w} ${show(r.race)} ${g}.`,
      alternatives: others.map((x) => `This is the photo of a ${x} ${show(r.race)} ${g}.`),
    };
  }
  return {
    factual: `This is the photo of a ${r.age} ${show(r.race)} ${g}.`,
    alternatives: races.filter((x) => x !== r.race).map((x) => `This is the photo of a ${r.age} ${show(x)} ${g}.`),
  };
}

/**
 * Caption pairs per record: text1 describes the person, text2 swaps the debiased attribute (gender: the other
 * gender; age: one of the two other age words, p = 0.5 each; race: a different race of `races`, drawn as
 * `raceDraw` says). One seeded draw per record: the official dataset draws again each time it reads an item
 * (every epoch); for that, encode every candidate of `counterfactualCandidates` and give them to debias().
 * @param records - one face record per image.
 * @param attribute - the attribute to change.
 * @param opts - seed, race list and race draw.
 * @returns the factual and one counterfactual caption per record.
 * @throws ArgumentError for an unknown attribute or an unreadable record.
 */
export function counterfactualCaptions(
  records: FaceRecord[],
  attribute: DebiasAttribute,
  opts: CaptionOptions = {},
): { factual: string[]; counterfactual: string[] } {
  if (!['gender', 'age', 'race'].includes(attribute))
    throw new ArgumentError(`unknown attribute "${attribute}" (gender, age or race)`);
  const rnd = mulberry32(opts.seed ?? 42);
  const races = opts.races ?? FAIRFACE_RACES;
  const draw = opts.raceDraw ?? 'uniform';
  if (draw !== 'uniform' && draw !== 'official')
    throw new ArgumentError(`unknown raceDraw "${String(draw)}" (uniform or official)`);
  const factual: string[] = [];
  const counterfactual: string[] = [];
  records.forEach((r, i) => {
    const g = checkRecord(r, i, attribute, races);
    const c = captionsOf(r, g, attribute, races);
    factual.push(c.factual);
    if (attribute === 'gender') counterfactual.push(c.alternatives[0]);
    else if (attribute === 'age') counterfactual.push(c.alternatives[rnd() < 0.5 ? 0 : 1]);
    else if (draw === 'uniform') counterfactual.push(c.alternatives[Math.floor(rnd() * c.alternatives.length)]);
    else {
      const m = races.length - 1;
      let j = Math.floor(rnd() * m);
      if (races[j] === r.race) j = (j + 1) % m;
      counterfactual.push(`This is the photo of a ${r.age} ${show(races[j])} ${g}.`);
    }
  });
  return { factual, counterfactual };
}

/**
 * Every counterfactual caption per record, for a redraw every epoch: `candidates[k][i]` is record i's k-th
 * alternative (gender: 1 set; age: 2; race: R − 1, the other races in `races` order). Encode each set with the
 * text tower and pass them to debias() as `counterfactuals` (set 0) and `counterfactualAlternatives` (the rest):
 * each epoch, each row then draws one of them uniformly, seeded by (seed, epoch), as the official dataset draws
 * per item read (uniform over the other races, not its 'official' quirk).
 * @param records - one face record per image.
 * @param attribute - the attribute to change.
 * @param opts - the race list.
 * @returns the factual caption and every counterfactual caption per record.
 * @throws ArgumentError for an unknown attribute or an unreadable record.
 */
export function counterfactualCandidates(
  records: FaceRecord[],
  attribute: DebiasAttribute,
  opts: Pick<CaptionOptions, 'races'> = {},
): { factual: string[]; candidates: string[][] } {
  if (!['gender', 'age', 'race'].includes(attribute))
    throw new ArgumentError(`unknown attribute "${attribute}" (gender, age or race)`);
  const races = opts.races ?? FAIRFACE_RACES;
  const K = attribute === 'gender' ? 1 : attribute === 'age' ? 2 : races.length - 1;
  const factual: string[] = [];
  const candidates: string[][] = Array.from({ length: K }, () => []);
  records.forEach((r, i) => {
    const c = captionsOf(r, checkRecord(r, i, attribute, races), attribute, races);
    factual.push(c.factual);
    c.alternatives.forEach((t, k) => candidates[k].push(t));
  });
  return { factual, candidates };
}
