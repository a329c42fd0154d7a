// train(): one GPU step against the float64 reference step, loss falling on real data, bit-exact resume,
// seeded determinism, sampling (keep flags, weights, two stages), save/load, and config errors before GPU work.
import '@m4kit/kernels/node';
import { init, ShapeError, type Kernels } from '@m4kit/kernels';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrainedModelFile } from '../../src/train/node.js';
import { train, TrainConfigError, type PairedData, type TrainConfig } from '../../src/train/index.js';
import { createEngine, initParams, layoutOf, lrAt, resolveConfig, resolveStages, Sampler } from '../../src/advanced.js';

/** |x − y| ≤ max(rel·|x + y|, abs) elementwise; reports the worst entry */
function close(x: ArrayLike<number>, y: ArrayLike<number>, rel: number, abs: number, label: string): void {
  expect(x.length, label).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const ok = Math.abs(x[i] - y[i]) <= Math.max(rel * Math.abs(x[i] + y[i]), abs);
    if (!ok) throw new Error(`${label}: entry ${i}: ${x[i]} vs ${y[i]} (rel ${rel}, abs ${abs})`);
  }
}

function mulberry(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function synthetic(n: number, di: number, dt: number, seed: number, extra: Partial<PairedData> = {}): PairedData {
  const r = mulberry(seed);
  const image = Float32Array.from({ length: n * di }, () => r() * 2 - 1);
  const text = Float32Array.from({ length: n * dt }, () => r() * 2 - 1);
  return { image, imageDim: di, text, textDim: dt, n, ...extra };
}

/** Real data: kernlab income survey; "image" = one-hot demographics, "text" = one-hot occupation/income/education. */
function kernlab(): PairedData {
  const lines = readFileSync(resolve(__dirname, '../../../../data/kernlab-income.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',').map((s) => s.replace(/"/g, ''));
  const rows = lines.slice(1).map((l) => l.split(',').map((s) => s.replace(/"/g, '')));
  const oneHot = (cols: string[]) => {
    const idx = cols.map((c) => header.indexOf(c));
    const vocab = idx.map((j) => [...new Set(rows.map((r) => r[j]))].sort());
    const dim = vocab.reduce((a, v) => a + v.length, 0);
    const out = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => {
      let o = 0;
      idx.forEach((j, k) => {
        out[i * dim + o + vocab[k].indexOf(r[j])] = 1;
        o += vocab[k].length;
      });
    });
    return { out, dim };
  };
  const a = oneHot([
    'SEX',
    'MARITAL.STATUS',
    'AGE',
    'HOUSEHOLD.SIZE',
    'UNDER18',
    'HOUSEHOLDER',
    'HOME.TYPE',
    'DUAL.INCOMES',
  ]);
  const b = oneHot(['OCCUPATION', 'INCOME', 'EDUCATION', 'AREA']);
  return { image: a.out, imageDim: a.dim, text: b.out, textDim: b.dim, n: rows.length };
}

let gpu: Kernels;
let cpu: Kernels;
beforeAll(async () => {
  gpu = await init({ backend: 'webgpu' });
  cpu = await init({ backend: 'cpu' });
});
afterAll(() => gpu?.destroy());

describe('one training step: WebGPU vs the float64 reference', () => {
  for (const loss of ['clip', 'siglip'] as const) {
    for (const hidden of [[], [24]]) {
      it(`${loss}, towers [${hidden}] → 12, weighted, clipped: loss, gradients and updated parameters`, async () => {
        const data = synthetic(40, 20, 13, 7, {
          weights: Float32Array.from({ length: 40 }, (_, i) => 0.5 + (i % 3) * 0.25),
        });
        const config: TrainConfig = {
          loss,
          outDim: 12,
          image: { hidden },
          text: { hidden },
          batchSize: 32,
          steps: 10,
          lr: 1e-3,
          clipNorm: 0.5,
          weightDecay: 0.1,
        };
        const cfg = resolveConfig(config);
        const stages = resolveStages(data, cfg);
        const layout = layoutOf(cfg, 20, 13);
        const params = initParams(layout, cfg);
        const eg = createEngine(gpu, { cfg, layout, params, keepGrads: true }, stages);
        const er = createEngine(cpu, { cfg, layout, params, keepGrads: true }, stages);
        const idx = new Sampler(data, 0, 0).next(32);
        const lr = lrAt(cfg, 0);
        const rg = (await eg.step(0, lr, 0, idx, true))!;
        const rr = (await er.step(0, lr, 0, idx, true))!;
        close([rg.loss], [rr.loss], 1e-5, 1e-6, 'loss');
        close([rg.gradNorm!], [rr.gradNorm!], 1e-5, 1e-7, 'grad norm');
        const gg = await eg.lastGrads!();
        const gr = await er.lastGrads!();
        layout.params.forEach((p, k) => {
          const m = gr[k].reduce((a, x) => Math.max(a, Math.abs(x)), 0);
          // f32 gradients: relative 1e-4, with an absolute floor of 1e-4 of the tensor's largest entry
          close(gg[k], gr[k], 1e-4, 1e-4 * m + 1e-9, `∂L/∂${p.name}`);
        });
        const sg = await eg.getState();
        const sr = await er.getState();
        layout.params.forEach((p, k) => close(sg.params[k], sr.params[k], 1e-5, 1e-5, `${p.name} after the step`));
        eg.dispose();
      });
    }
  }
});

describe('training runs', () => {
  it('loss decreases on real data (kernlab income survey, both losses, MLP towers)', async () => {
    const data = kernlab();
    for (const loss of ['clip', 'siglip'] as const) {
      const model = await train(gpu, data, {
        loss,
        outDim: 16,
        image: { hidden: [32] },
        text: { hidden: [32] },
        batchSize: 256,
        steps: 60,
        lr: 3e-3,
        warmupSteps: 5,
        clipNorm: 1,
        logEvery: 5,
        seed: 1,
      });
      const h = model.history;
      expect(h.length).toBe(12);
      const first = (h[0].loss + h[1].loss) / 2;
      const last = (h[h.length - 1].loss + h[h.length - 2].loss) / 2;
      const trace = `${loss}: ${h.map((x) => x.loss.toFixed(3)).join(' → ')}`;
      // many respondents share identical one-hot rows, so the loss has a floor well above 0
      expect(last, trace).toBeLessThan(0.85 * first);
      if (loss === 'clip') expect(last, `${trace} (chance is ln 256 = 5.55)`).toBeLessThan(Math.log(256) - 0.5);
      const e = await model.embedImage(data.image.subarray(0, 5 * data.imageDim), 5);
      expect(e.length).toBe(5 * 16);
      for (let i = 0; i < 5; i++) close([Math.hypot(...e.subarray(i * 16, i * 16 + 16))], [1], 1e-5, 1e-6, 'unit rows');
      model.dispose();
    }
  }, 300_000);

  it('seeded determinism: two runs give identical parameters; another seed does not', async () => {
    const data = synthetic(300, 16, 8, 3);
    const cfg: TrainConfig = {
      loss: 'clip',
      outDim: 8,
      image: { hidden: [12] },
      batchSize: 64,
      steps: 8,
      lr: 1e-2,
      seed: 5,
      logEvery: 2,
    };
    const dir = mkdtempSync(join(tmpdir(), 'm4kit-train-'));
    const a = await train(gpu, data, cfg);
    const b = await train(gpu, data, cfg);
    const c = await train(gpu, data, { ...cfg, seed: 6 });
    await a.save(join(dir, 'a.safetensors'));
    await b.save(join(dir, 'b.safetensors'));
    await c.save(join(dir, 'c.safetensors'));
    expect(readFileSync(join(dir, 'a.safetensors')).equals(readFileSync(join(dir, 'b.safetensors')))).toBe(true);
    expect(readFileSync(join(dir, 'a.safetensors')).equals(readFileSync(join(dir, 'c.safetensors')))).toBe(false);
    expect(a.history).toEqual(b.history);
    for (const m of [a, b, c]) m.dispose();
  }, 120_000);

  for (const loss of ['clip', 'siglip'] as const) {
    it(`resume from a checkpoint equals an uninterrupted run bit for bit (${loss}, keep flags, two stages)`, async () => {
      const A = synthetic(200, 10, 6, 11, {
        keep: Float32Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 0 : 0.7)),
      });
      const B = synthetic(150, 10, 6, 12, { weights: Float32Array.from({ length: 150 }, (_, i) => 1 + (i % 2)) });
      const stages = [
        { data: A, fraction: 0.5 },
        { data: B, fraction: 0.5 },
      ];
      const cfg: TrainConfig = {
        loss,
        outDim: 6,
        text: { hidden: [9] },
        batchSize: 50,
        steps: 10,
        lr: 5e-3,
        warmupSteps: 2,
        clipNorm: 1,
        logEvery: 1,
        seed: 2,
      };
      const dir = mkdtempSync(join(tmpdir(), 'm4kit-resume-'));
      const full = await train(gpu, stages, cfg);
      await full.save(join(dir, 'full.safetensors'));
      // interrupted after step 4 (abort), then resumed from the checkpoint written at the abort
      const ctl = new AbortController();
      const ck = join(dir, 'ck.safetensors');
      await expect(
        train(gpu, stages, cfg, {
          checkpointPath: ck,
          checkpointEvery: 2,
          onStep: (s) => s === 4 && ctl.abort(),
          signal: ctl.signal,
        }),
      ).rejects.toThrow(/aborted after step 4/);
      expect(existsSync(join(dir, 'ck.json'))).toBe(true);
      const resumed = await train(gpu, stages, cfg, { resume: ck });
      await resumed.save(join(dir, 'resumed.safetensors'));
      expect(readFileSync(join(dir, 'resumed.safetensors')).equals(readFileSync(join(dir, 'full.safetensors')))).toBe(
        true,
      );
      expect(resumed.history).toEqual(full.history);
      // a changed config is refused
      await expect(train(gpu, stages, { ...cfg, lr: 1e-3 }, { resume: ck })).rejects.toThrow(/different config \(lr\)/);
      full.dispose();
      resumed.dispose();
    }, 120_000);
  }

  it('save → load gives the same embeddings; the JSON config sits beside the safetensors', async () => {
    const data = synthetic(100, 7, 5, 21);
    const dir = mkdtempSync(join(tmpdir(), 'm4kit-save-'));
    const m = await train(gpu, data, {
      loss: 'siglip',
      outDim: 4,
      image: { hidden: [6, 5] },
      batchSize: 20,
      steps: 5,
      lr: 1e-2,
    });
    const p = join(dir, 'model.safetensors');
    await m.save(p);
    const cfgJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(cfgJson.config.loss).toBe('siglip');
    expect(cfgJson.params.map((x: { name: string }) => x.name)).toContain('image.2.weight');
    const l = await loadTrainedModelFile(gpu, p);
    expect(Array.from(await l.embedText(data.text, 100))).toEqual(Array.from(await m.embedText(data.text, 100)));
    m.dispose();
    l.dispose();
  }, 60_000);

  it('the CPU backend trains with the float64 reference and tracks the GPU run', async () => {
    const data = synthetic(64, 8, 8, 31);
    const cfg: TrainConfig = { loss: 'clip', outDim: 4, batchSize: 32, steps: 4, lr: 1e-3, logEvery: 1, eps: 1e-4 };
    const a = await train(cpu, data, cfg);
    const b = await train(gpu, data, cfg);
    close(
      b.history.map((h) => h.loss),
      a.history.map((h) => h.loss),
      1e-4,
      1e-5,
      'loss trajectory',
    );
    b.dispose();
  });

  it('eval every N steps and a JSONL-ready log record per logged step', async () => {
    const data = synthetic(80, 6, 6, 41);
    const evals: number[] = [];
    const logs: { step: number; lr: number }[] = [];
    const m = await train(
      gpu,
      data,
      { loss: 'clip', outDim: 3, batchSize: 16, steps: 7, lr: 1e-2, warmupSteps: 2, logEvery: 3 },
      {
        evalEvery: 3,
        onEval: async (mm, s) => void evals.push(s + (await mm.embedImage(data.image, 80)).length * 0),
        onLog: (r) => logs.push(r),
      },
    );
    expect(evals).toEqual([3, 6, 7]);
    expect(logs.map((r) => r.step)).toEqual([3, 6, 7]);
    close(
      logs.map((r) => r.lr),
      [lrAt(resolveConfig(m.config), 2), lrAt(resolveConfig(m.config), 5), lrAt(resolveConfig(m.config), 6)],
      1e-12,
      0,
      'lr in the log',
    );
    m.dispose();
  });
});

describe('sampling and schedules', () => {
  it('keep flags: rows with keep 0 never appear, others at about their rate, redrawn per epoch', () => {
    const n = 1000;
    const keep = Float32Array.from({ length: n }, (_, i) => (i < 100 ? 0 : i < 550 ? 0.2 : 1));
    const s = new Sampler(synthetic(n, 1, 1, 1, { keep }), 9, 0);
    const counts = new Uint32Array(n);
    for (let k = 0; k < 200; k++) for (const i of s.next(100)) counts[i]++;
    expect(counts.subarray(0, 100).every((c) => c === 0)).toBe(true);
    const low = counts.subarray(100, 550).reduce((a, c) => a + c, 0) / 450;
    const high = counts.subarray(550).reduce((a, c) => a + c, 0) / 450;
    expect(low / high).toBeGreaterThan(0.15);
    expect(low / high).toBeLessThan(0.25);
    // a sampler restored from (epoch, pos) continues identically
    const t = new Sampler(synthetic(n, 1, 1, 1, { keep }), 9, 0, { ...s.state });
    expect(Array.from(t.next(300))).toEqual(Array.from(s.next(300)));
  });

  it('two stages split the steps by fraction; warm-up then cosine', () => {
    const cfg = resolveConfig({ loss: 'clip', outDim: 2, batchSize: 2, steps: 10, lr: 1, warmupSteps: 4 });
    const st = resolveStages(
      [
        { data: synthetic(5, 2, 2, 1), fraction: 0.3 },
        { data: synthetic(6, 2, 2, 2), fraction: 0.7 },
      ],
      cfg,
    );
    expect(st.map((s) => [s.start, s.end])).toEqual([
      [0, 3],
      [3, 10],
    ]);
    close(
      [0, 1, 2, 3, 4, 9].map((i) => lrAt(cfg, i)),
      [0.25, 0.5, 0.75, 1, 1, 0.5 * (1 + Math.cos((Math.PI * 5) / 6))],
      1e-12,
      1e-15,
      'lr',
    );
  });
});

describe('bad configs fail with clear errors before any GPU work', () => {
  // a Kernels whose GPU side throws if touched
  const noGpu = {
    backend: 'webgpu',
    adapter: null,
    get gpu(): never {
      throw new Error('GPU touched');
    },
  } as unknown as Kernels;
  const ok = synthetic(10, 4, 3, 1);
  const base: TrainConfig = { loss: 'clip', outDim: 2, batchSize: 4, steps: 2, lr: 1e-3 };
  const cases: [string, () => Promise<unknown>, RegExp, new (...a: never[]) => Error][] = [
    [
      'unknown loss',
      () => train(noGpu, ok, { ...base, loss: 'triplet' as 'clip' }),
      /unknown loss "triplet"/,
      TrainConfigError,
    ],
    [
      'mismatched image dims',
      () => train(noGpu, { ...ok, imageDim: 5 }, base),
      /image has 40 values, expected n × imageDim = 10 × 5/,
      ShapeError,
    ],
    [
      'stages with different dims',
      () =>
        train(
          noGpu,
          [
            { data: ok, fraction: 0.5 },
            { data: synthetic(10, 4, 2, 2), fraction: 0.5 },
          ],
          base,
        ),
      /stage 1 has dims image 4 \/ text 2/,
      ShapeError,
    ],
    [
      'empty data',
      () =>
        train(noGpu, { image: new Float32Array(0), imageDim: 4, text: new Float32Array(0), textDim: 3, n: 0 }, base),
      /empty data/,
      TrainConfigError,
    ],
    [
      'batch larger than data',
      () => train(noGpu, ok, { ...base, batchSize: 11 }),
      /batchSize = 11 exceeds the 10 pairs/,
      TrainConfigError,
    ],
    [
      'fractions',
      () =>
        train(
          noGpu,
          [
            { data: ok, fraction: 0.5 },
            { data: ok, fraction: 0.2 },
          ],
          base,
        ),
      /fractions sum to 0.7/,
      TrainConfigError,
    ],
    [
      'NaN feature',
      () => train(noGpu, { ...ok, text: Float32Array.from(ok.text, (x, i) => (i === 7 ? NaN : x)) }, base),
      /text row 2, column 1 is NaN/,
      TrainConfigError,
    ],
    [
      'negative weight',
      () => train(noGpu, { ...ok, weights: Float32Array.from({ length: 10 }, (_, i) => (i === 3 ? -1 : 1)) }, base),
      /weights\[3\] = -1/,
      TrainConfigError,
    ],
    [
      'keep out of range',
      () => train(noGpu, { ...ok, keep: new Float32Array(10).fill(1.5) }, base),
      /keep\[0\] = 1.5/,
      TrainConfigError,
    ],
    [
      'hidden width',
      () => train(noGpu, ok, { ...base, image: { hidden: [0] } }),
      /image.hidden\[0\] = 0/,
      TrainConfigError,
    ],
    [
      'warm-up longer than run',
      () => train(noGpu, ok, { ...base, warmupSteps: 3 }),
      /warmupSteps = 3 exceeds steps = 2/,
      TrainConfigError,
    ],
    [
      'checkpointEvery without path',
      () => train(noGpu, ok, base, { checkpointEvery: 1 }),
      /needs checkpointPath/,
      TrainConfigError,
    ],
  ];
  for (const [name, fn, re, cls] of cases) {
    it(name, async () => {
      const err = await fn().then(
        () => null,
        (e: Error) => e,
      );
      expect(err, name).toBeInstanceOf(cls);
      expect(err!.message).toMatch(re);
    });
  }
});
