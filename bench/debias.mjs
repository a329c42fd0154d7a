#!/usr/bin/env node
// BA training-step throughput (spec §2.2–2.5): one step of the bias-alignment module — EMA of the momentum MLPs,
// residual MLP forward (matmuls on the GPU), the bank loss over [batch; queue] in the fused `debiasLoss` kernels
// (momentum-mixed targets, counterfactual caption: the heavier epoch ≥ 5 step), backward, Adam, enqueue — on
// WebGPU, beside the same step in PyTorch (float32, CPU, Debian python3-torch) measured in the same run.
// Official scale: batch 512, queue 65 536, D = 512 (mlp1 h = 512, mlp2 h = 1024).
//
//   node bench/debias.mjs [--quick] [--batch=512] [--queues=4096,16384,65536] [--budget=600]
//   node bench/debias.mjs --official [--reps=1]      (npm run bench:debias-official; node bench/run.mjs --official)
//   import { runDebiasBench } from './debias.mjs'; const results = await runDebiasBench({ quick: true });
//
// The sweep (`npm run bench`: queues 4096, 16384, 65 536; --quick: 4096) skips a queue size whose predicted step
// time (from the previous size, scaled by B + Q) would overrun the budget, and the table says so: on a CPU
// adapter (lavapipe) the official queue takes minutes per step, so it is measured by the explicit --official
// run instead: exactly batch 512, queue 65 536, D 512, no budget; pipelines compiled and the buffer pool warmed
// by one step at queue 2048 (same kernels, same B and D), then --reps timed steps (default 1), then PyTorch at the
// same size, also warmed at queue 2048, in the same run; written as bench/results/debias-official-<time>.json.
// Peak GPU bytes: the buffer pool's live storage bytes at their highest during the timed steps (the queues, the
// per-step inputs, the MLP matmul operands, the loss kernels' tiles), metered by ctx.pool.meter(); the loss
// kernels' own peak is reported beside it. PyTorch CPU reports its peak RSS (host memory, whole process).
// Writes bench/results/debias-<ISO time>.json.
import '@m4kit/sdk/node';
import { init } from '@m4kit/kernels';
import { gpuContextOf } from '@m4kit/kernels/advanced';
import {
  Adam,
  createGpuBank,
  emaUpdate,
  gpuMatmul,
  initBaParams,
  cloneParams,
  lossAndGrads,
  paramList,
} from '@m4kit/sdk/advanced';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rng, probeTorch } from './lib/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const now = () => performance.now();
const fmtS = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtMiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const fmtRate = (x) => (x >= 0.1 ? x.toFixed(3) : x.toPrecision(3)); // official scale on a CPU adapter: ~0.001
const OFFICIAL = { B: 512, Q: 65536, D: 512 };

function randn(r, n) {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let u = r();
    while (u === 0) u = r();
    a[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return a;
}
function unitRows(r, n, D) {
  const x = randn(r, n * D);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += x[i * D + j] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < D; j++) x[i * D + j] *= inv;
  }
  return x;
}

function torchPeer(py, B, Q, D, reps, budgetS, warmQ = Q, timeoutS = budgetS * 3 + 120) {
  const r = spawnSync(
    py,
    [
      path.join(here, 'debias-torch.py'),
      String(B),
      String(Q),
      String(D),
      String(reps),
      String(budgetS),
      String(os.cpus().length),
      String(warmQ),
    ],
    {
      encoding: 'utf8',
      timeout: Math.round(timeoutS * 1000),
    },
  );
  try {
    return JSON.parse((r.stdout ?? '').trim().split('\n').pop());
  } catch {
    return {
      ok: false,
      reason: `torch peer failed (status ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}`,
    };
  }
}

/**
 * @param {{ quick?: boolean, official?: boolean, reps?: number, batch?: number, queues?: number[], D?: number,
 *   budget?: number, write?: boolean, peer?: boolean, log?: (s: string) => void }} opts
 */
export async function runDebiasBench(opts = {}) {
  const official = !!opts.official;
  const quick = !official && !!opts.quick;
  const B = official ? OFFICIAL.B : (opts.batch ?? OFFICIAL.B);
  const D = official ? OFFICIAL.D : (opts.D ?? OFFICIAL.D);
  const queues = official ? [OFFICIAL.Q] : (opts.queues ?? (quick ? [4096] : [4096, 16384, OFFICIAL.Q]));
  const budgetMs = (official ? Infinity : (opts.budget ?? (quick ? 120 : 600))) * 1000;
  const WARM_Q = 2048; // --official: the warm-up step's queue (same kernels and B, D; a fraction of the time)
  const log = opts.log ?? console.log;
  const torch = opts.peer === false ? { ok: false, reason: 'disabled' } : probeTorch();
  const k = await init({ backend: 'webgpu' });
  const ctx = gpuContextOf(k);
  const mm = gpuMatmul(k);
  const results = {
    bench: official ? 'debias-official' : 'debias',
    date: new Date().toISOString(),
    quick, // the official-scale run is bench 'debias-official'; `official` below is that scale
    what: `BA step: batch ${B}, D ${D}, mlp1 h 512, mlp2 h 1024, τ 0.07, α 0.3, mix 0.4, counterfactual caption, Adam`,
    official: OFFICIAL,
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      loadavgStart: os.loadavg(),
      adapter: ctx.adapterInfo,
      maxBindingSize: ctx.maxBindingSize,
    },
    peer: torch.ok
      ? {
          name: 'pytorch',
          version: torch.version,
          threads: os.cpus().length,
          dtype: 'float32',
          what: 'the same step with autograd + torch.optim.Adam',
        }
      : { name: 'none', reason: torch.reason },
    rows: [],
    skipped: [],
  };
  log(
    `debias bench: ${results.what}; queues ${queues.join(', ')}; ` +
      `${ctx.adapterInfo.description || ctx.adapterInfo.device}; ` +
      `peer: ${torch.ok ? `PyTorch ${torch.version}` : torch.reason}`,
  );
  const t0 = now();
  let last = null;
  for (const Q of queues) {
    const elapsed = now() - t0;
    const predicted = last ? (last.ms * (B + Q)) / (B + last.Q) : 0;
    if (predicted && elapsed + predicted * (torch.ok ? 4 : 3) > budgetMs) {
      const why =
        `predicted ${fmtS(predicted)} per step on ${ctx.adapterInfo.description || 'this adapter'} ` +
        `would overrun the ${fmtS(budgetMs)} budget (${fmtS(elapsed)} used)` +
        (Q === OFFICIAL.Q && B === OFFICIAL.B && D === OFFICIAL.D
          ? '; measured by the explicit run: node bench/debias.mjs --official (bench/results/debias-official-*.json)'
          : '');
      results.skipped.push({ B, Q, D, reason: why });
      log(`  skip Q=${Q}: ${why}`);
      continue;
    }
    const r = rng(7 + Q);
    const params = initBaParams(D, 512, 1024, 3);
    const mom = cloneParams(params);
    const adam = new Adam(paramList(params), 1e-4);
    const eI = randn(r, B * D);
    const eT1 = randn(r, B * D);
    const eT2 = randn(r, B * D);
    let bank;
    const step = async () => {
      const a = now();
      emaUpdate(mom, params, 0.995);
      const res = await lossAndGrads(mm, bank, params, {
        B,
        D,
        eI,
        eT1,
        eT2,
        counterfactual: true,
        tau: 0.07,
        alpha: 0.3,
        mix: 0.4,
        momentum: mom,
      });
      adam.step(paramList(params), paramList(res.grads));
      bank.enqueue(res.fI, res.fT, B);
      return { ms: now() - a, loss: res.total };
    };
    // compile pipelines, warm the buffer pool: --official at queue WARM_Q (same kernels), else at Q
    const warmQ = official ? Math.min(WARM_Q, Q) : Q;
    const r2 = rng(11 + warmQ);
    bank = await createGpuBank(k, D, warmQ, unitRows(r2, warmQ, D), unitRows(r2, warmQ, D));
    const warm = await step();
    if (official) log(`  warm-up at Q=${warmQ}: ${fmtS(warm.ms)}`);
    if (warmQ !== Q) {
      bank.dispose();
      bank = await createGpuBank(k, D, Q, unitRows(r, Q, D), unitRows(r, Q, D));
    }
    const times = [];
    let info;
    const repBudget = official ? Infinity : Math.min(20000, Math.max(0, budgetMs - (now() - t0)) / 6);
    const maxReps = official ? Math.max(1, opts.reps ?? 1) : 3;
    const base = ctx.pool.liveBytes; // the queues and anything else live before the step
    const meter = ctx.pool.meter();
    let lossPeak = 0;
    const rs = now();
    do {
      info = await step();
      times.push(info.ms);
      lossPeak = Math.max(lossPeak, bank.lastPeakBytes);
      if (official) log(`  Q=${Q} step ${times.length}: ${fmtS(info.ms)}`);
    } while (times.length < maxReps && now() - rs + info.ms < repBudget);
    meter.stop();
    const ms = Math.min(...times);
    last = { Q, ms };
    const peakBytes = base + meter.peakBytes;
    bank.dispose();
    const row = {
      B,
      Q,
      D,
      gpu: {
        ms: times,
        bestMs: ms,
        stepsPerS: 1000 / ms,
        peakBytes,
        lossKernelPeakBytes: lossPeak,
        loss: info.loss,
      },
    };
    if (torch.ok) {
      const p = official
        ? torchPeer(torch.python, B, Q, D, maxReps, 1, warmQ, 4 * 3600)
        : torchPeer(torch.python, B, Q, D, 3, Math.min(60, Math.max(2, (budgetMs - (now() - t0)) / 4000)));
      if (p.ok) {
        const pms = Math.min(...p.ms);
        row.peer = {
          ms: p.ms,
          bestMs: pms,
          stepsPerS: 1000 / pms,
          maxRssMiB: p.maxrss_mb,
          loss: p.loss,
          threads: p.threads,
        };
        row.ratio = row.gpu.stepsPerS / row.peer.stepsPerS;
      } else row.peer = { error: p.reason };
    }
    results.rows.push(row);
    log(
      `  Q=${String(Q).padStart(6)}: GPU ${fmtS(ms)}/step ` +
        `(${fmtRate(row.gpu.stepsPerS)} steps/s, peak ${fmtMiB(peakBytes)})` +
        (row.peer?.bestMs
          ? `  PyTorch ${fmtS(row.peer.bestMs)}/step ` +
            `(${fmtRate(row.peer.stepsPerS)} steps/s, RSS ${row.peer.maxRssMiB.toFixed(0)} MiB)`
          : row.peer?.error
            ? `  PyTorch: ${row.peer.error}`
            : ''),
    );
  }
  k.destroy();
  results.totalMs = now() - t0;
  results.machine.loadavgEnd = os.loadavg();
  results.table = table(results);
  log('\n' + results.table);
  if (results.skipped.length) log(results.skipped.map((s) => `• skipped Q=${s.Q}: ${s.reason}`).join('\n'));
  if (opts.write !== false) {
    const dir = path.join(here, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${results.bench}-${results.date.replace(/:/g, '-')}.json`);
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(results, null, 1) + '\n');
    fs.renameSync(tmp, file);
    results.file = file;
    log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  return results;
}

function table(res) {
  const head = [
    'B',
    'Q',
    'D',
    'GPU step',
    'GPU steps/s',
    'GPU peak mem',
    'PyTorch CPU step',
    'PyTorch steps/s',
    'PyTorch RSS',
    'GPU / PyTorch',
  ];
  const rows = res.rows.map((r) =>
    [
      r.B,
      r.Q,
      r.D,
      fmtS(r.gpu.bestMs),
      fmtRate(r.gpu.stepsPerS),
      fmtMiB(r.gpu.peakBytes),
      r.peer?.bestMs ? fmtS(r.peer.bestMs) : r.peer?.error ? 'failed' : 'n/a',
      r.peer?.bestMs ? fmtRate(r.peer.stepsPerS) : '—',
      r.peer?.maxRssMiB ? `${r.peer.maxRssMiB.toFixed(0)} MiB` : '—',
      r.ratio ? `${r.ratio.toFixed(2)}×` : '—',
    ].map(String),
  );
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(w[i])).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const val = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  await runDebiasBench({
    quick: args.includes('--quick'),
    official: args.includes('--official'),
    reps: val('reps') ? Number(val('reps')) : undefined,
    batch: val('batch') ? Number(val('batch')) : undefined,
    queues: val('queues') ? val('queues').split(',').map(Number) : undefined,
    budget: val('budget') ? Number(val('budget')) : undefined,
  });
}
