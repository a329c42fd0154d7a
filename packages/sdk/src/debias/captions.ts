// Factual / counterfactual caption pairs for BA training (spec §2.3): the texts to encode with the frozen CLIP
// text tower; debias() then takes the two embedding matrices.
import { ArgumentError } from '@m4kit/kernels';
import { mulberry32 } from './ba.js';

export type DebiasAttribute = 'gender' | 'age' | 'race';

export interface FaceRecord {
  /** "Male" | "Female" (any case) */
  gender: string;
  /** FairFace age bin ("0-2", "3-9", …, "60-69", "more than 70") or an age in years (UTKFace) */
  age: string | number;
  race: string;
}

export const FAIRFACE_RACES = [
  'White',
  'Southeast Asian',
  'Middle Eastern',
  'Black',
  'Indian',
  'Latino_Hispanic',
  'East Asian',
];

/** young {0–29}, middle-aged {30–59}, old {60+} */
export function ageWord(age: string | number): 'young' | 'middle-aged' | 'old' {
  const n = typeof age === 'number' ? age : /more than/i.test(age) ? 70 : Number.parseInt(age, 10);
  if (!Number.isFinite(n)) throw new ArgumentError(`unreadable age "${age}"`);
  return n < 30 ? 'young' : n < 60 ? 'middle-aged' : 'old';
}

const show = (s: string) => s.replace(/_/g, ' ');

/**
 * Caption pairs per record: text1 describes the person, text2 swaps the debiased attribute (gender: the other
 * gender; age: one of the two other age words, p = 0.5 each; race: a uniformly drawn different race of
 * `races`). Seeded.
 */
export function counterfactualCaptions(
  records: FaceRecord[],
  attribute: DebiasAttribute,
  opts: { seed?: number; races?: string[] } = {},
): { factual: string[]; counterfactual: string[] } {
  if (!['gender', 'age', 'race'].includes(attribute))
    throw new ArgumentError(`unknown attribute "${attribute}" (gender, age or race)`);
  const rnd = mulberry32(opts.seed ?? 42);
  const races = opts.races ?? FAIRFACE_RACES;
  const factual: string[] = [];
  const counterfactual: string[] = [];
  records.forEach((r, i) => {
    const g = r.gender.toLowerCase();
    if (g !== 'male' && g !== 'female') throw new ArgumentError(`record ${i}: gender "${r.gender}" is not Male/Female`);
    const other = g === 'male' ? 'female' : 'male';
    if (attribute === 'gender') {
      factual.push(`This is the photo of a ${show(r.race)} ${g} aged ${r.age}.`);
      counterfactual.push(`This is the photo of a ${show(r.race)} ${other} aged ${r.age}.`);
    } else if (attribute === 'age') {
      const w = ageWord(r.age);
      const others = (['young', 'middle-aged', 'old'] as const).filter((x) => x !== w);
      factual.push(`This is the photo of a ${w} ${show(r.race)} ${g}.`);
      counterfactual.push(`This is the photo of a ${others[rnd() < 0.5 ? 0 : 1]} ${show(r.race)} ${g}.`);
    } else {
      const w = ageWord(r.age);
      const others = races.filter((x) => x !== r.race);
      if (others.length === races.length)
        throw new ArgumentError(`record ${i}: race "${r.race}" is not one of ${races.join(', ')}`);
      factual.push(`This is the photo of a ${w} ${show(r.race)} ${g}.`);
      counterfactual.push(`This is the photo of a ${w} ${show(others[Math.floor(rnd() * others.length)])} ${g}.`);
    }
  });
  return { factual, counterfactual };
}
