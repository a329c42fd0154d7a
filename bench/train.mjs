#!/usr/bin/env node
// Training-step throughput: one full train() step (minibatch gather → linear towers → CLIP / SigLIP loss with
// gradients → tower backward → grad-norm clip → AdamW) at batch 4096, d_in = 512, d_out = 256, on the WebGPU
// engine, beside the same step in PyTorch (float32, CPU, Debian python3-torch) measured in the same run.
//
//   node bench/train.mjs [--quick] [--batch=4096] [--budget=300]
//   import { runTrainBench } from './train.mjs'; const results = await runTrainBench({ quick: true });
//
// Needs the built packages. Steps are timed back to back with no read-back in between (as in training); the
// clock stops after the last step's loss is read. Writes bench/results/train-<ISO time>.json.
import '@m4kit/sdk/node';
import { init } from '@m4kit/kernels';
import { gpuContextOf } from '@m4kit/kernels/advanced';
import { createEngine, initParams, layoutOf, lrAt, resolveConfig, resolveStages, Sampler } from '@m4kit/sdk/advanced';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rng, probeTorch } from './lib/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const now = () => performance.now();

function torchPeer(py, loss, B, din, dout, reps, budgetS) {
  const r = spawnSync(
    py,
    [
      path.join(here, 'train-torch.py'),
      loss,
      String(B),
      String(din),
      String(dout),
      String(reps),
      String(budgetS),
      String(os.cpus().length),
    ],
    { encoding: 'utf8', timeout: Math.round((budgetS + 120) * 1000) },
  );
  if (r.status !== 0)
    return {
      ok: false,
      reason: `torch peer failed (status ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}`,
    };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { ok: false, reason: 'torch peer printed no JSON' };
  }
}

export async function runTrainBench(opts = {}) {
  const B = opts.batch ?? 4096;
  const din = opts.din ?? 512;
  const dout = opts.dout ?? 256;
  const budgetMs = (opts.budget ?? (opts.quick ? 120 : 300)) * 1000;
  const log = opts.log ?? console.log;
  const torch = opts.peer === false ? { ok: false, reason: 'disabled' } : probeTorch();
  const k = await init({ backend: 'webgpu' });
  const ctx = gpuContextOf(k);
  const r = rng(11);
  const n = 2 * B;
  const data = {
    image: Float32Array.from({ length: n * din }, () => r() * 2 - 1),
    imageDim: din,
    text: Float32Array.from({ length: n * din }, () => r() * 2 - 1),
    textDim: din,
    n,
  };
  const results = {
    date: new Date().toISOString(),
    what: `train() step: batch ${B}, d_in ${din} → d_out ${dout}, linear towers, clip-norm 1, AdamW`,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, adapter: ctx.adapterInfo, loadavg: os.loadavg() },
    peer: torch.ok
      ? { name: 'pytorch', version: torch.version, threads: os.cpus().length, dtype: 'float32' }
      : { name: 'none', reason: torch.reason },
    rows: [],
  };
  log(
    `train bench: ${results.what}; ${ctx.adapterInfo.description || ctx.adapterInfo.device}; peer: ${torch.ok ? `PyTorch ${torch.version}` : torch.reason}`,
  );
  const t0 = now();
  for (const loss of ['clip', 'siglip']) {
    const cfg = resolveConfig({ loss, outDim: dout, batchSize: B, steps: 1000, lr: 1e-3, clipNorm: 1 });
    const stages = resolveStages(data, cfg);
    const layout = layoutOf(cfg, din, din);
    const engine = createEngine(k, { cfg, layout, params: initParams(layout, cfg) }, stages);
    const sampler = new Sampler(data, 0, 0);
    let i = 0;
    const step = (logIt) => engine.step(i, lrAt(cfg, i++), 0, sampler.next(B), logIt);
    // warm-up (pipeline compiles, first allocations)
    let a = now();
    await step(true);
    const warmMs = now() - a;
    const left = budgetMs / 2 - (now() - t0) / 2;
    const reps = Math.max(2, Math.min(opts.quick ? 5 : 20, Math.floor((left * 0.4) / Math.max(warmMs, 1))));
    a = now();
    let last;
    for (let s = 0; s < reps; s++) last = await step(s === reps - 1);
    const ms = (now() - a) / reps;
    engine.dispose();
    const row = {
      loss,
      B,
      din,
      dout,
      gpu: { steps: reps, msPerStep: ms, stepsPerS: 1000 / ms, warmupMs: warmMs, lastLoss: last.loss },
    };
    if (torch.ok) {
      const p = torchPeer(
        torch.python,
        loss,
        B,
        din,
        dout,
        opts.quick ? 3 : 10,
        Math.max(5, Math.min(60, (budgetMs - (now() - t0)) / 4000)),
      );
      if (p.ok) {
        const pms = p.ms.reduce((x, y) => x + y, 0) / p.ms.length;
        row.peer = { steps: p.ms.length, msPerStep: pms, stepsPerS: 1000 / pms, lastLoss: p.loss };
        row.ratio = row.gpu.stepsPerS / row.peer.stepsPerS;
      } else row.peer = { error: p.reason };
    }
    results.rows.push(row);
    log(
      `  ${loss.padEnd(6)} m4kit ${ms.toFixed(0)} ms/step (${row.gpu.stepsPerS.toFixed(2)} steps/s, ${reps} steps)` +
        (row.peer?.msPerStep
          ? `   PyTorch ${row.peer.msPerStep.toFixed(0)} ms/step (${row.peer.stepsPerS.toFixed(2)} steps/s)   ratio ${row.ratio.toFixed(2)}×`
          : row.peer?.error
            ? `   peer: ${row.peer.error}`
            : ''),
    );
  }
  k.destroy();
  results.totalMs = now() - t0;
  const head = ['loss', 'm4kit steps/s', 'PyTorch steps/s', 'm4kit / PyTorch'];
  const lines = results.rows.map((r) => [
    r.loss,
    r.gpu.stepsPerS.toFixed(3),
    r.peer?.stepsPerS?.toFixed(3) ?? 'n/a',
    r.ratio ? `${r.ratio.toFixed(2)}×` : 'n/a',
  ]);
  results.table = [
    `train step, batch ${B}, ${din} → ${dout}`,
    head.join(' | '),
    ...lines.map((l) => l.join(' | ')),
  ].join('\n');
  log('\n' + results.table);
  if (opts.write !== false) {
    const dir = path.join(here, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `train-${results.date.replace(/:/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(results, null, 1) + '\n');
    results.file = file;
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const val = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  await runTrainBench({
    quick: args.includes('--quick'),
    batch: val('batch') ? Number(val('batch')) : undefined,
    budget: val('budget') ? Number(val('budget')) : undefined,
  });
}
