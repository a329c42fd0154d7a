// The parity measurement on a synthetic case with a known answer (issue #26). Unit embeddings in D dimensions:
// gendered images ±a along g (balanced), gender-neutral images leaning towards "man" by +δ along g, every image
// sharing a common "emoji" direction m. The gender prompts are placed as an untrained text tower might place
// them: "man" = photo + c·g, "woman" = photo − c·g + o·m — the woman prompt is closer to every image. The raw
// prompt parity (m4kit modelBias, as the experiment measures it) then reports a lean towards "woman" though the
// neutral images lean towards "man"; the calibrated parity (the prompts' score offset on the balanced gendered images removed) and the probe's
// parity recover the sign. With o = 0 all three agree.
// The retrieval lean (lib/evaluate.mjs: share of men among the top-k images a concept prompt retrieves from the
// balanced gendered images, minus ½) on the same images: concept prompts tilted towards "man" (+ε along g),
// untilted and tilted towards "woman" must read > 0, ≈ 0 and < 0, whatever the gender prompts' offset (it uses
// none). m4kit `biasRetrieval` computes the shares, as in the experiment.
import { modelBias, biasRetrieval } from '@m4kit/sdk';
import { GENDERS } from './data.mjs';
import { calibratedParity, probeParity } from './metrics.mjs';
import { rng } from './dataset.mjs';

export async function parityCheck(
  kernels,
  { D = 16, n = 600, a = 0.5, delta = 0.1, c = 0.3, offset = 0.4, tilt = 0.1, seed = 3 } = {},
) {
  const r = rng(seed);
  const unit = (v) => {
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  };
  const dir = () => unit(Array.from({ length: D }, (_, j) => (j < 2 ? 0 : r.normal())));
  const m = Array.from({ length: D }, (_, j) => (j === 1 ? 1 : 0)); // shared direction, ⟂ g (dim 0)
  const photo = dir();
  const concepts = Array.from({ length: 6 }, dir);
  const img = (s) => {
    const k = Math.floor(r() * concepts.length);
    return {
      k,
      v: unit(
        concepts[k].map((x, j) => x + (j === 0 ? s : 0) + (j === 1 ? 0.8 : 0) + (0.6 * r.normal()) / Math.sqrt(D)),
      ),
    };
  };
  const gendered = [];
  const label = [];
  const concept = [];
  for (let i = 0; i < n; i++) {
    const man = i % 2 === 0;
    const v = img(man ? a : -a);
    gendered.push(...v.v);
    concept.push(v.k);
    label.push(man ? 1 : 0);
  }
  const neutral = [];
  for (let i = 0; i < n / 2; i++) neutral.push(...img(delta).v);
  const prompts = (o) =>
    Float64Array.from([
      ...unit(photo.map((x, j) => x + (j === 0 ? c : 0))),
      ...unit(photo.map((x, j) => x - (j === 0 ? c : 0) + o * m[j])),
    ]);
  const E = (x, rows) => ({ n: rows, d: D, data: Float64Array.from(x) });
  const G = E(gendered, n);
  const N = E(neutral, n / 2);
  const measure = (o) => {
    const P = E(prompts(o), 2);
    const raw = modelBias(N, P, GENDERS).representation.parity;
    const calibrated = calibratedParity(G.data, n, N.data, n / 2, P.data, D);
    return { raw, calibrated, probe: probeParity(G.data, label, n, D, N.data, n / 2).soft };
  };
  // retrieval lean: concept prompts = concept direction + the shared m + t·g; k = half a concept's images
  const perConcept = Math.floor(n / concepts.length);
  const k = Math.max(1, Math.floor(perConcept / 2));
  const lean = async (t) => {
    const q = concepts.flatMap((cv) => unit(cv.map((x, j) => x + (j === 0 ? t : 0) + (j === 1 ? 0.8 : 0))));
    const br = await biasRetrieval(
      kernels,
      G,
      label.map((l) => (l ? 0 : 1)),
      GENDERS,
      E(q, concepts.length),
      concepts.map((_, i) => `c${i}`),
      { k, normalizeImages: true },
    );
    return br.perQuery.reduce((s, p) => s + p.shares[0] - 0.5, 0) / br.perQuery.length;
  };
  return {
    truth: 'neutral images lean towards "man" (+δ along g)',
    delta,
    offset,
    withOffset: measure(offset),
    noOffset: measure(0),
    retrieval: {
      truth: 'concept prompts tilted by t along g: t > 0 towards "man", t < 0 towards "woman"',
      k,
      tilt,
      towardsMan: await lean(tilt),
      untilted: await lean(0),
      towardsWoman: await lean(-tilt),
    },
  };
}
