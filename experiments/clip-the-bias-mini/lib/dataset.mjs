// Image–caption pairs from people emoji: the training set follows US census occupation × sex shares (a share
// `genderRate` of captions names the perceived gender, "a photo of a woman pilot", the rest only the concept),
// the evaluation set is balanced (every concept × gender × tone × view).
// Image features are pixels: a random view (shift, flip, brightness/contrast, noise) of the 64 px emoji,
// average-pooled to 16×16×3 and standardised with the training statistics. Text features are mean GloVe vectors.
import { decodePng, embedCaption, GENDERS, TONES } from './data.mjs';

export const TEMPLATES = [
  'a photo of a {}',
  'an emoji of a {}',
  'a picture of a {}',
  '{}',
  'a {} at work',
  'an icon showing a {}',
];
export const RES = 16;
const POOL = 4;
export const MIN_CROP = 24;
export const IMAGE_DIM = RES * RES * 3;

/** seeded PRNG (mulberry32) */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  next.choice = (w) => {
    const s = w.reduce((x, y) => x + y, 0);
    let u = next() * s;
    for (let i = 0; i < w.length; i++) if ((u -= w[i]) < 0) return i;
    return w.length - 1;
  };
  return next;
}

/** decoded 64 px images: images[concept][gender][tone] (gender: man, woman, person where present) */
export function loadImages(concepts) {
  return concepts.map((c) => {
    const out = {};
    for (const g of ['man', 'woman', 'person']) {
      if (!c.forms[g]) continue;
      out[g] = TONES.map((_, t) => {
        const im = decodePng(c.forms[g][t]);
        if (im.w !== 64 || im.h !== 64) throw new Error(`${c.forms[g][t]}: expected 64×64, got ${im.w}×${im.h}`);
        return im.rgb;
      });
    }
    return out;
  });
}

/**
 * One random view of a 64×64 RGB image, written into out[off..off+IMAGE_DIM) as RES×RES×3: a random square
 * crop (side 24–64 px, like CLIP's random resized crop: often only part of the figure — head or props — is in
 * view, so the concept is sometimes ambiguous), horizontal flip, brightness/contrast jitter and pixel noise.
 * Each output pixel averages POOL×POOL nearest samples of its cell in the crop.
 */
export function view(img, r, out, off, strength = 1) {
  const side = 64 - r() * (64 - MIN_CROP) * strength;
  const x0 = r() * (64 - side) + (r() * 2 - 1) * 3;
  const y0 = r() * (64 - side) + (r() * 2 - 1) * 3;
  const flip = r() < 0.5;
  const bright = 1 + (r() * 2 - 1) * 0.15 * strength;
  const contrast = 1 + (r() * 2 - 1) * 0.15 * strength;
  const sigma = 0.04 * strength;
  const inv = 1 / (POOL * POOL);
  const step = side / (RES * POOL);
  for (let y = 0; y < RES; y++) {
    for (let x = 0; x < RES; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let py = 0; py < POOL; py++) {
          const sy = Math.floor(y0 + (y * POOL + py + 0.5) * step);
          for (let px = 0; px < POOL; px++) {
            let sx = Math.floor(x0 + (x * POOL + px + 0.5) * step);
            if (flip) sx = 63 - sx;
            s += sy < 0 || sy > 63 || sx < 0 || sx > 63 ? 1 : img[(sy * 64 + sx) * 3 + c];
          }
        }
        out[off + (y * RES + x) * 3 + c] = (s * inv - 0.5) * contrast + 0.5 * bright + sigma * r.normal();
      }
    }
  }
}

/**
 * Skin tone given gender in the training set: a SYNTHETIC proxy (the census has no skin tone), so that tone
 * carries information about gender and "balancing with proxies" has something to remove. Tones: default
 * (yellow), light … dark.
 */
export const TONE_GIVEN_GENDER = { man: [0.1, 0.08, 0.12, 0.2, 0.25, 0.25], woman: [0.1, 0.25, 0.25, 0.2, 0.12, 0.08] };

/**
 * Training set: n pairs; concept uniform; gender ~ Bernoulli(census share of women) for occupations (0.5 for
 * the control concepts); tone ~ TONE_GIVEN_GENDER; caption = random template filled with the concept, or, with
 * probability `genderRate`, with "<gender> <concept>" ("a photo of a woman pilot").
 * Also returns, for the BA module, the factual caption that always names the gender (`factual`) and its
 * counterfactual with the gender word swapped (`counterfactual`), same template (spec §2.5 captions).
 * The draws for concept, gender, tone, template and view do not depend on genderRate (the gender-word coin comes
 * from its own stream), so rates compare on the same images.
 */
export function buildTrain({ concepts, images, shares, glove, n, seed, genderRate = 0 }) {
  if (!(genderRate >= 0 && genderRate <= 1)) throw new Error(`genderRate must be in [0, 1], got ${genderRate}`);
  const r = rng(seed);
  const rg = rng(seed ^ 0x5bd1e995);
  const rows = [];
  const image = new Float32Array(n * IMAGE_DIM);
  const text = new Float32Array(n * glove.dim);
  const factual = new Float32Array(n * glove.dim);
  const counterfactual = new Float32Array(n * glove.dim);
  const capCache = new Map();
  const emb = (caption) => {
    if (!capCache.has(caption)) capCache.set(caption, embedCaption(glove, caption));
    return capCache.get(caption);
  };
  for (let i = 0; i < n; i++) {
    const ci = Math.floor(r() * concepts.length);
    const c = concepts[ci];
    const share = shares[c.concept] ?? 0.5;
    const g = r() < share ? 'woman' : 'man';
    const tone = r.choice(TONE_GIVEN_GENDER[g]);
    const tpl = Math.floor(r() * TEMPLATES.length);
    const named = rg() < genderRate;
    const caption = TEMPLATES[tpl].replace('{}', named ? `${g} ${c.concept}` : c.concept);
    const fact = TEMPLATES[tpl].replace('{}', `${g} ${c.concept}`);
    const cf = TEMPLATES[tpl].replace('{}', `${g === 'man' ? 'woman' : 'man'} ${c.concept}`);
    view(images[ci][g][tone], r, image, i * IMAGE_DIM);
    text.set(emb(caption), i * glove.dim);
    factual.set(emb(fact), i * glove.dim);
    counterfactual.set(emb(cf), i * glove.dim);
    rows.push({ concept: c.concept, conceptIndex: ci, gender: g, tone: TONES[tone], caption, named });
  }
  return { n, rows, image, text, factual, counterfactual, imageDim: IMAGE_DIM, textDim: glove.dim };
}

/** Balanced evaluation set: every concept × {man, woman} × tone × `views` views; plus gender-neutral "person" images. */
export function buildEval({ concepts, images, views, seed }) {
  const r = rng(seed);
  const g = [];
  const p = [];
  concepts.forEach((c, ci) => {
    for (let t = 0; t < TONES.length; t++) {
      for (let v = 0; v < views; v++) {
        for (const gender of GENDERS) g.push({ ci, gender, tone: t, img: images[ci][gender][t] });
        if (images[ci].person) p.push({ ci, gender: 'person', tone: t, img: images[ci].person[t] });
      }
    }
  });
  const pack = (list) => {
    const x = new Float32Array(list.length * IMAGE_DIM);
    list.forEach((e, i) => view(e.img, r, x, i * IMAGE_DIM));
    return {
      n: list.length,
      x,
      concept: Int32Array.from(list.map((e) => e.ci)),
      gender: Int32Array.from(list.map((e) => GENDERS.indexOf(e.gender))),
      tone: Int32Array.from(list.map((e) => e.tone)),
    };
  };
  return { gendered: pack(g), neutral: pack(p) };
}

/** per-dimension mean and one global scale from the training images; applied in place */
export function standardizer(x, dim) {
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j] / n;
  let v = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) v += (x[i * dim + j] - mean[j]) ** 2;
  const inv = 1 / Math.sqrt(v / (n * dim));
  return (y) => {
    for (let i = 0; i < y.length; i++) y[i] = (y[i] - mean[i % dim]) * inv;
    return y;
  };
}

/** class (prompt-ensemble) text features: mean over TEMPLATES of the caption features, per concept name */
export function promptFeatures(glove, names, templates = TEMPLATES) {
  const out = new Float32Array(names.length * templates.length * glove.dim);
  const cls = new Int32Array(names.length * templates.length);
  names.forEach((nm, c) =>
    templates.forEach((t, j) => {
      const i = c * templates.length + j;
      out.set(embedCaption(glove, t.replace('{}', nm)), i * glove.dim);
      cls[i] = c;
    }),
  );
  return { n: names.length * templates.length, x: out, cls };
}
