// The parity measurement on a synthetic case with a known answer (issue #26). Unit embeddings in D dimensions:
// gendered images ±a along g (balanced), gender-neutral images leaning towards "man" by +δ along g, every image
// sharing a common "emoji" direction m. The gender prompts are placed as an untrained text tower might place
// them: "man" = photo + c·g, "woman" = photo − c·g + o·m — the woman prompt is closer to every image. The raw
// prompt parity (m4kit modelBias, as the experiment measures it) then reports a lean towards "woman" though the
// neutral images lean towards "man"; the calibrated parity (the prompts' score offset on the balanced gendered images removed) and the probe's
// parity recover the sign. With o = 0 all three agree.
import { modelBias } from '@m4kit/sdk';
import { GENDERS } from './data.mjs';
import { calibratedParity, probeParity } from './metrics.mjs';
import { rng } from './dataset.mjs';

export function parityCheck({ D = 16, n = 600, a = 0.5, delta = 0.1, c = 0.3, offset = 0.4, seed = 3 } = {}) {
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
    return unit(
      concepts[k].map((x, j) => x + (j === 0 ? s : 0) + (j === 1 ? 0.8 : 0) + (0.6 * r.normal()) / Math.sqrt(D)),
    );
  };
  const gendered = [];
  const label = [];
  for (let i = 0; i < n; i++) {
    const man = i % 2 === 0;
    gendered.push(...img(man ? a : -a));
    label.push(man ? 1 : 0);
  }
  const neutral = [];
  for (let i = 0; i < n / 2; i++) neutral.push(...img(delta));
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
  return {
    truth: 'neutral images lean towards "man" (+δ along g)',
    delta,
    offset,
    withOffset: measure(offset),
    noOffset: measure(0),
  };
}
