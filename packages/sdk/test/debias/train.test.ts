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
  counterfactualCaptions,
  debias,
  moduleFromSafetensors,
  moduleToSafetensors,
  type DebiasData,
} from '../../src/debias/index.js';
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
    expect(r.factual[0]).toBe('This is the photo of a young East Asian male.');
    expect(r.counterfactual[0]).not.toMatch(/East Asian/);
    expect(() => counterfactualCaptions(recs, 'height' as never)).toThrow(/unknown attribute/);
  });
});
