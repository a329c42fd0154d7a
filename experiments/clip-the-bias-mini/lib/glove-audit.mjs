// Audit of the frozen text features: gender association of occupation words in GloVe against the census share
// of women (as in Garg et al., PNAS 2018), before and after the biased-prompts projection P* = P0 (I + λM)⁻¹
// (Chuang et al. 2023; m4kit's biasedPromptsProjection). The projection is built from gender words/prompts
// (set A) and the association is measured with held-out gender word pairs (set B), so the "after" number is not
// zero by construction.
import { biasedPromptsProjection, applyProjection } from '@m4kit/sdk';
import { embedCaption } from './data.mjs';
import { pearson } from './evaluate.mjs';

/** occupation word → census job title(s) (jobs.json); gendered words (policeman, waitress, …) left out */
export const AUDIT_WORDS = {
  nurse: ['Nurse'],
  physician: ['Physician / Surgeon'],
  surgeon: ['Physician / Surgeon'],
  teacher: ['Teacher'],
  lawyer: ['Lawyer / Judge'],
  judge: ['Lawyer / Judge'],
  farmer: ['Farmer'],
  cook: ['Cook'],
  mechanic: ['Mechanic'],
  secretary: ['Secretary'],
  librarian: ['Librarian'],
  carpenter: ['Carpenter'],
  electrician: ['Electrician'],
  plumber: ['Plumber'],
  pilot: ['Pilot'],
  engineer: ['Engineer'],
  scientist: ['Scientist'],
  chemist: ['Chemist'],
  dentist: ['Dentist'],
  pharmacist: ['Pharmacist'],
  cashier: ['Cashier'],
  bartender: ['Bartender'],
  baker: ['Baker'],
  janitor: ['Janitor'],
  architect: ['Architect'],
  economist: ['Economist'],
  photographer: ['Photographer'],
  psychologist: ['Psychologist'],
  veterinarian: ['Veterinarian'],
  welder: ['Welder'],
  machinist: ['Machinist'],
  designer: ['Designer'],
  accountant: ['Accountant / Auditor'],
  bookkeeper: ['Bookkeeper'],
  dancer: ['Dancer / Dance Teacher'],
  musician: ['Musician / Music Teacher'],
  author: ['Author'],
  editor: ['Editor / Reporter'],
  reporter: ['Editor / Reporter'],
  professor: ['Professor'],
  firefighter: ['Fireman'],
  guard: ['Security Guard'],
  laborer: ['Laborer'],
  painter: ['Painter'],
  roofer: ['Roofer'],
  therapist: ['Therapist'],
  nutritionist: ['Nutritionist'],
  surveyor: ['Surveyor'],
  inspector: ['Inspector'],
  dispatcher: ['Dispatcher'],
  jeweler: ['Jeweler'],
  teller: ['Bank Teller'],
  messenger: ['Messenger'],
  sailor: ['Sailor'],
  miner: ['Miner'],
  butcher: ['Meat Cutter'],
  broker: ['Stock Broker'],
  beautician: ['Barber / Beautician'],
  clerk: ['Clerical Worker'],
  manager: ['Manager / Owner'],
  technician: ['Technician'],
  driver: ['Truck / Tractor Driver'],
  mason: ['Mason'],
  receptionist: ['Doctor Office Attendant'],
  housekeeper: ['Charwoman'],
  soldier: ['Military'],
  chiropractor: ['Chiropractor'],
};
/** held-out measurement pairs (female, male) */
export const MEASURE_PAIRS = [
  ['she', 'he'],
  ['her', 'his'],
  ['mother', 'father'],
  ['girl', 'boy'],
  ['daughter', 'son'],
  ['female', 'male'],
  ['herself', 'himself'],
  ['sister', 'brother'],
];
/** words used to build the projection: spurious prompts and candidate pairs */
export const PROJECTION_WORDS = ['man', 'woman', 'photo', 'of', 'a'];

export function auditWords() {
  return [...Object.keys(AUDIT_WORDS), ...MEASURE_PAIRS.flat(), ...PROJECTION_WORDS];
}

/** per-word share of women in the census (pooled over the mapped titles) */
export function censusShares(jobsRows, year = 2000) {
  const c = new Map();
  for (const r of jobsRows) if (r.year === year) c.set(`${r.job}|${r.sex}`, r.count);
  const out = {};
  for (const [w, jobs] of Object.entries(AUDIT_WORDS)) {
    let m = 0;
    let f = 0;
    for (const j of jobs) {
      m += c.get(`${j}|men`) ?? 0;
      f += c.get(`${j}|women`) ?? 0;
    }
    if (m + f > 0) out[w] = f / (m + f);
  }
  return out;
}

const unit = (v) => {
  const n = Math.hypot(...v);
  return Float64Array.from(v, (x) => x / n);
};
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

function associations(vecOf, words) {
  return words.map((w) => {
    const v = vecOf(w);
    let s = 0;
    for (const [f, m] of MEASURE_PAIRS) s += dot(v, vecOf(f)) - dot(v, vecOf(m));
    return s / MEASURE_PAIRS.length; // > 0: closer to the female words
  });
}

export function gloveAudit(glove, shares, { lambda = 1000 } = {}) {
  const words = Object.keys(shares).filter((w) => glove.vec.has(w));
  const missing = Object.keys(shares).filter((w) => !glove.vec.has(w));
  const before = associations((w) => unit(glove.vec.get(w)), words);
  // projection: spurious = the two gender prompts; candidate pairs = "a photo of a man/woman <occupation>"
  const d = glove.dim;
  const spur = new Float32Array(2 * d);
  spur.set(embedCaption(glove, 'a photo of a man'), 0);
  spur.set(embedCaption(glove, 'a photo of a woman'), d);
  const cand = new Float32Array(words.length * 2 * d);
  const pairs = [];
  words.forEach((w, i) => {
    cand.set(embedCaption(glove, `a photo of a man ${w}`), 2 * i * d);
    cand.set(embedCaption(glove, `a photo of a woman ${w}`), (2 * i + 1) * d);
    pairs.push([2 * i, 2 * i + 1]);
  });
  const proj = biasedPromptsProjection({ n: 2, d, data: spur }, { n: 2 * words.length, d, data: cand }, pairs, {
    lambda,
  });
  const cache = new Map();
  const projected = (w) => {
    if (!cache.has(w))
      cache.set(w, Float64Array.from(applyProjection(proj.P, d, { n: 1, d, data: unit(glove.vec.get(w)) }).data));
    return cache.get(w);
  };
  const after = associations(projected, words);
  const census = words.map((w) => shares[w]);
  const meanAbs = (a) => a.reduce((s, x) => s + Math.abs(x), 0) / a.length;
  return {
    words,
    missing,
    census,
    before,
    after,
    rBefore: pearson(before, census),
    rAfter: pearson(after, census),
    meanAbsBefore: meanAbs(before),
    meanAbsAfter: meanAbs(after),
    projection: { lambda, rank: proj.rank, spurious: ['a photo of a man', 'a photo of a woman'], pairs: pairs.length },
  };
}
