// debias(): training loop (spec §2.5) on a small synthetic problem, float64 CPU backend; determinism, early
// stopping on ABLE, safetensors round trip, caption pairs and config errors before any GPU work.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuMatmul, gaussian, initBaParams, mulberry32, type BaParams } from '../../src/debias/ba.js';
import { CpuBank, randomUnitRows } from '../../src/debias/bank.js';
import { lossAndGrads } from '../../src/debias/step.js';
import {
  counterfactualCandidates,
  counterfactualCaptions,
  debias,
  FAIRFACE_RACES,
  moduleFromSafetensors,
  moduleToSafetensors,
  type DebiasData,
} from '../../src/debias/index.js';
import { counterfactualPick } from '../../src/advanced.js';
import { loadDebiasModule, saveDebiasModule } from '../../src/debias/io.js';

/** images carry a gender direction (dim 0); captions carry it too; counterfactuals flip it */
function synth(n: number, D: number, seed: number) {
  const r = gaussian(mulberry32(seed));
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const mk = (sign: (i: number) => number) => {
    const x = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < D; j++) x[i * D + j] = 0.3 * r();
      x[i * D] += sign(i);
      x[i * D + 1] += 1;
    }
    return { n, d: D, data: x };
  };
  const s = (i: number) => (labels[i] ? 1 : -1);
  const data: DebiasData = { images: mk(s), captions: mk(s), counterfactuals: mk((i) => -s(i)) };
  return { data, labels };
}

const small = { hidden1: 8, hidden2: 16, batchSize: 16, queueSize: 32, backend: 'cpu' as const, lr: 1e-2, tau: 0.5 };

describe('debias() training', () => {
  it('is deterministic for a seed, lowers the loss, mixes momentum targets from mixFromEpoch', async () => {
    const { data } = synth(48, 6, 1);
    const a = await debias(data, { ...small, epochs: 6, mixFromEpoch: 3, seed: 7 });
    const b = await debias(data, { ...small, epochs: 6, mixFromEpoch: 3, seed: 7 });
    const c = await debias(data, { ...small, epochs: 6, mixFromEpoch: 3, seed: 8 });
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
    expect(Array.from(a.module.params.mlp2.W1)).toEqual(Array.from(b.module.params.mlp2.W1));
    expect(a.history[0].loss).not.toBe(c.history[0].loss);
    expect(a.history).toHaveLength(6);
    // the loss on a fixed bank and batch (the history mixes a changing queue) is lower after training
    const fixed = async (p: BaParams) => {
      const r = gaussian(mulberry32(99));
      const bank = new CpuBank(6, 32, randomUnitRows(32, 6, r), randomUnitRows(32, 6, r));
      const s = {
        B: 48,
        D: 6,
        eI: data.images.data as Float64Array,
        eT1: data.captions.data as Float64Array,
        eT2: data.counterfactuals.data as Float64Array,
      };
      return (await lossAndGrads(cpuMatmul, bank, p, { ...s, counterfactual: true, tau: 0.5, alpha: 0.3, mix: 0 }))
        .total;
    };
    const before = await fixed(initBaParams(6, 8, 16, 7));
    const after = await fixed(a.module.params);
    expect(after).toBeLessThan(before - 0.01);
    const out = await a.module.apply(data.images);
    expect(out.n).toBe(48);
    expect(out.d).toBe(6);
    expect(a.module.config.epochsRun).toBe(6);
    expect(a.module.config.bestEpoch).toBeNull();
  });

  it('evaluates ABLE every evalEvery epochs, keeps the best and stops after `patience` evaluations without gain', async () => {
    const { data, labels } = synth(40, 6, 2);
    const r = gaussian(mulberry32(3));
    const prompts = { n: 3, d: 6, data: Float64Array.from({ length: 18 }, () => r()) };
    const classes = { n: 2, d: 6, data: Float64Array.from([-1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]) };
    const res = await debias(data, {
      ...small,
      lr: 0,
      epochs: 40,
      evalEvery: 2,
      patience: 3,
      validation: {
        images: data.images,
        labels,
        groups: ['female', 'male'],
        prompts,
        k: 10,
        zeroShot: { images: data.images, labels, classes },
      },
    } as never).catch((e) => e);
    // lr must be > 0: a config error, raised before training
    expect(res).toBeInstanceOf(Error);
    expect(String(res)).toMatch(/lr must be > 0/);
    const ok = await debias(data, {
      ...small,
      lr: 1e-9,
      epochs: 40,
      evalEvery: 2,
      patience: 3,
      validation: {
        images: data.images,
        labels,
        groups: ['female', 'male'],
        prompts,
        k: 10,
        zeroShot: { images: data.images, labels, classes },
      },
    });
    // with a negligible lr ABLE never improves after the first evaluation → 1 + 3 evaluations, 8 epochs
    expect(ok.evals.length).toBe(4);
    expect(ok.module.config.epochsRun).toBe(8);
    expect(ok.module.config.bestEpoch).toBe(1);
    for (const e of ok.evals) {
      expect(e.able).toBeCloseTo(2 / (Math.exp(e.maxSkew) + 1 / e.top1), 12);
      expect(e.able).toBeGreaterThan(0);
    }
  });

  it('saves and loads as safetensors + JSON; apply agrees after the round trip', async () => {
    const { data } = synth(20, 5, 4);
    const { module } = await debias(data, { ...small, epochs: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'm4kit-ba-'));
    const paths = await saveDebiasModule(module, join(dir, 'ba'));
    expect(paths.weights.endsWith('ba.safetensors')).toBe(true);
    const cfg = JSON.parse(await readFile(paths.config, 'utf8'));
    expect(cfg).toMatchObject({ format: 'm4kit-ba', dim: 5, hidden1: 8, hidden2: 16, alpha: 0.3 });
    const back = await loadDebiasModule(paths.weights);
    for (const modality of ['image', 'text'] as const) {
      const x = await module.apply(data.images, { modality });
      const y = await back.apply(data.images, { modality });
      for (let i = 0; i < x.data.length; i++)
        expect(Math.abs(x.data[i] - y.data[i])).toBeLessThanOrEqual(
          Math.max(1e-5 * Math.abs(x.data[i] + y.data[i]), 1e-6),
        );
    }
    const exact = moduleFromSafetensors(moduleToSafetensors(module, 'F64'));
    expect(Array.from(exact.params.mlp1.W2)).toEqual(Array.from(module.params.mlp1.W2));
    await expect(loadDebiasModule(join(dir, 'missing'))).rejects.toThrow(/file not found/);
  });

  it('bad configs are clear errors before any GPU work (backend webgpu is never initialised)', async () => {
    const { data } = synth(10, 4, 5);
    const gpu = { backend: 'webgpu' as const };
    await expect(debias({ ...data, captions: { n: 10, d: 3, data: new Float64Array(30) } }, gpu)).rejects.toThrow(
      /dimensions differ: images 4, captions 3/,
    );
    await expect(debias({ ...data, counterfactuals: { n: 9, d: 4, data: new Float64Array(36) } }, gpu)).rejects.toThrow(
      /row counts differ/,
    );
    await expect(debias({ ...data, images: { n: 0, d: 4, data: new Float64Array() } }, gpu)).rejects.toThrow(
      /images are empty/,
    );
    await expect(debias(data, { ...gpu, alpha: 2 })).rejects.toThrow(/alpha must be in \[0, 1\]/);
    await expect(debias(data, { ...gpu, loss: 'infonce' } as never)).rejects.toThrow(/unknown option "loss"/);
    await expect(debias(data, { backend: 'tpu' } as never)).rejects.toThrow(/unknown backend "tpu"/);
    const nan = data.images.data.slice();
    nan[7] = NaN;
    await expect(debias({ ...data, images: { n: 10, d: 4, data: nan } }, gpu)).rejects.toThrow(
      /images: row 1 has a non-finite value \(column 3\)/,
    );
  });
});

describe('counterfactual captions (§2.3)', () => {
  const recs = [
    { gender: 'Male', age: '20-29', race: 'East Asian' },
    { gender: 'Female', age: 'more than 70', race: 'Latino_Hispanic' },
  ];
  it('gender swaps gender, age swaps the age word, race swaps the race', () => {
    const g = counterfactualCaptions(recs, 'gender');
    expect(g.factual[0]).toBe('This is the photo of a East Asian male aged 20-29.');
    expect(g.counterfactual[0]).toBe('This is the photo of a East Asian female aged 20-29.');
    const a = counterfactualCaptions(recs, 'age', { seed: 1 });
    expect(a.factual[1]).toBe('This is the photo of a old Latino Hispanic female.');
    expect(a.counterfactual[1]).toMatch(/^This is the photo of a (young|middle-aged) Latino Hispanic female\.$/);
    const r = counterfactualCaptions(recs, 'race', { seed: 2 });
    // #14: the race caption keeps the raw age bin ([JV] template "{age} {race} {gender}"), not the age word
    expect(r.factual[0]).toBe('This is the photo of a 20-29 East Asian male.');
    expect(r.factual[1]).toBe('This is the photo of a more than 70 Latino Hispanic female.');
    expect(r.counterfactual[0]).toMatch(/^This is the photo of a 20-29 (?!East Asian)[A-Za-z ]+ male\.$/);
    expect(r.counterfactual[1]).toMatch(/^This is the photo of a more than 70 (?!Latino)[A-Za-z ]+ female\.$/);
    expect(() => counterfactualCaptions(recs, 'height' as never)).toThrow(/unknown attribute/);
    expect(() => counterfactualCaptions([{ gender: 'Male', age: 3, race: 'Martian' }], 'race')).toThrow(
      /record 0: race "Martian" is not one of White/,
    );
  });

  it('race draws: uniform over the other races, or the official quirk (never East Asian; the next race twice)', () => {
    const n = 60000;
    const count = (race: string, raceDraw: 'uniform' | 'official') => {
      const recs = Array.from({ length: n }, () => ({ gender: 'Female', age: '30-39', race }));
      const c = counterfactualCaptions(recs, 'race', { seed: 3, raceDraw });
      const f = new Map<string, number>();
      for (const t of c.counterfactual) {
        const x = t.replace(/^This is the photo of a 30-39 (.*) female\.$/, '$1');
        f.set(x, (f.get(x) ?? 0) + 1 / n);
      }
      return f;
    };
    // binomial sd at p = 1/6, n = 60 000 is 0.0015: 0.008 is > 5 sd
    const u = count('White', 'uniform');
    expect(u.has('White')).toBe(false);
    expect(u.size).toBe(6);
    for (const p of u.values()) expect(Math.abs(p - 1 / 6)).toBeLessThan(0.008);
    const o = count('White', 'official'); // White is index 0: a collision moves to index 1, Southeast Asian
    expect(o.has('White') || o.has('East Asian')).toBe(false);
    expect(Math.abs(o.get('Southeast Asian')! - 2 / 6)).toBeLessThan(0.008);
    for (const r of ['Middle Eastern', 'Black', 'Indian', 'Latino Hispanic'])
      expect(Math.abs(o.get(r)! - 1 / 6)).toBeLessThan(0.008);
    const e = count('East Asian', 'official'); // the last race never collides: uniform over the first six
    expect(e.size).toBe(6);
    for (const p of e.values()) expect(Math.abs(p - 1 / 6)).toBeLessThan(0.008);
    expect(() => counterfactualCaptions(recs, 'race', { raceDraw: 'x' as never })).toThrow(/unknown raceDraw/);
  });

  it('candidates: every counterfactual the official dataset can draw, one set per alternative', () => {
    const g = counterfactualCandidates(recs, 'gender');
    expect(g.candidates).toEqual([
      [
        'This is the photo of a East Asian female aged 20-29.',
        'This is the photo of a Latino Hispanic male aged more than 70.',
      ],
    ]);
    const a = counterfactualCandidates(recs, 'age');
    expect(a.factual).toEqual(counterfactualCaptions(recs, 'age').factual);
    expect(a.candidates.map((c) => c[1])).toEqual([
      'This is the photo of a young Latino Hispanic female.',
      'This is the photo of a middle-aged Latino Hispanic female.',
    ]);
    const r = counterfactualCandidates(recs, 'race');
    expect(r.candidates).toHaveLength(FAIRFACE_RACES.length - 1);
    const races0 = r.candidates.map((c) => c[0].replace(/^This is the photo of a 20-29 (.*) male\.$/, '$1'));
    expect(races0).toEqual(FAIRFACE_RACES.filter((x) => x !== 'East Asian').map((x) => x.replace(/_/g, ' ')));
    // each single draw of counterfactualCaptions is one of the candidates
    const one = counterfactualCaptions(recs, 'race', { seed: 9 });
    recs.forEach((_, i) => expect(r.candidates.map((c) => c[i])).toContain(one.counterfactual[i]));
  });
});

describe('counterfactual redrawn every epoch (#14, [JV] datasets.py draws per item read), seeded', () => {
  it('counterfactualPick: a pure function of (seed, epoch), uniform over the sets, different per epoch', () => {
    const a = counterfactualPick(42, 3, 6000, 6);
    expect(Array.from(a)).toEqual(Array.from(counterfactualPick(42, 3, 6000, 6)));
    expect(Array.from(a)).not.toEqual(Array.from(counterfactualPick(42, 4, 6000, 6)));
    expect(Array.from(a)).not.toEqual(Array.from(counterfactualPick(43, 3, 6000, 6)));
    const f = new Array(6).fill(0);
    for (const k of a) f[k] += 1 / 6000;
    for (const p of f) expect(Math.abs(p - 1 / 6)).toBeLessThan(0.03); // sd 0.0048
    expect(Array.from(counterfactualPick(42, 3, 5, 1))).toEqual([0, 0, 0, 0, 0]);
    expect(() => counterfactualPick(42, 0, 5, 0)).toThrow(/0 counterfactual sets/);
  });

  it('debias() with alternative sets: deterministic; equal sets change nothing; other sets are used', async () => {
    const { data } = synth(32, 5, 11);
    const opts = { ...small, epochs: 4, seed: 5 };
    const flip = (k: number) => {
      const x = Float64Array.from(data.counterfactuals.data as Float64Array);
      for (let i = 0; i < x.length; i++) x[i] += 0.5 * Math.sin(i * (k + 1));
      return { n: data.counterfactuals.n, d: data.counterfactuals.d, data: x };
    };
    const base = await debias(data, opts);
    const twice = [data.counterfactuals, data.counterfactuals];
    const same = await debias({ ...data, counterfactualAlternatives: twice }, opts);
    // the per-row pick has its own stream: the coin flips and the result are those of one set
    expect(same.history.map((h) => h.loss)).toEqual(base.history.map((h) => h.loss));
    expect(Array.from(same.module.params.mlp2.W1)).toEqual(Array.from(base.module.params.mlp2.W1));
    const alts = [flip(1), flip(2)];
    const x = await debias({ ...data, counterfactualAlternatives: alts }, opts);
    const y = await debias({ ...data, counterfactualAlternatives: alts }, opts);
    expect(Array.from(x.module.params.mlp2.W1)).toEqual(Array.from(y.module.params.mlp2.W1));
    expect(x.history.map((h) => h.loss)).toEqual(y.history.map((h) => h.loss));
    expect(Array.from(x.module.params.mlp2.W1)).not.toEqual(Array.from(base.module.params.mlp2.W1));
    await expect(
      debias({ ...data, counterfactualAlternatives: [{ n: 31, d: 5, data: new Float64Array(155) }] }, opts),
    ).rejects.toThrow(/counterfactual caption set 2 is 31 × 5, the images 32 × 5/);
    const nan = flip(3);
    nan.data[7] = NaN;
    await expect(debias({ ...data, counterfactualAlternatives: [nan] }, opts)).rejects.toThrow(
      /counterfactual caption set 2: row 1 has a non-finite value \(column 2\)/,
    );
  });
});
