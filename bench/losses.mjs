#!/usr/bin/env node
// Contrastive-loss training throughput: CLIP and SigLIP loss forward + backward (gradients w.r.t. U, W, t, b) on
// the WebGPU kernels (tiled variant), beside a CPU peer measured in the same run (PyTorch autograd, float32,
// from Debian's python3-torch when importable).
//
//   node bench/losses.mjs [--quick] [--n=1024,4096] [--budget=360]
//   import { runLossBench } from './losses.mjs'; const results = await runLossBench({ quick: true });
//
// Needs the built packages (`npx turbo run build`). Writes bench/results/losses-<ISO time>.json and prints a table.
// Throughput is pairs/s = N / (seconds per forward+backward call). GPU memory is the peak of the bytes the
// launcher allocated (`peakBytes`: normalised copies, one logit block, gradients; the caller's U, W excluded).
// The run is capped at `budget` seconds (default 360): a size whose predicted time (from the previous size,
// scaled by N²) would overrun it is skipped and the table says so.
import '@m4kit/kernels/node';
import { init } from '@m4kit/kernels';
import { clipLoss, siglipLoss, gpuContextOf } from '@m4kit/kernels/advanced';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rng, probeTorch } from './lib/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const D = 512;
const SEED = 20240501;

function randn(r, n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    let u = r();
    while (u === 0) u = r();
    const m = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * r();
    a[i] = m * Math.cos(th);
    if (i + 1 < n) a[i + 1] = m * Math.sin(th);
  }
  return a;
}
const now = () => performance.now();
const fmtS = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtRate = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const fmtMiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

function torchPeer(py, kind, n, reps, budgetS) {
  const r = spawnSync(
    py,
    [
      path.join(here, 'losses-torch.py'),
      kind,
      String(n),
      String(D),
      String(reps),
      String(budgetS),
      String(os.cpus().length),
    ],
    {
      encoding: 'utf8',
      timeout: Math.round(Math.max(60, budgetS * 4) * 1000),
    },
  );
  const line = (r.stdout ?? '').trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return {
      ok: false,
      reason: `torch peer failed (status ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}`,
    };
  }
}

/**
 * Runs the loss benchmark; returns the results object (also written to bench/results/ unless write: false).
 * @param {{ quick?: boolean, sizes?: number[], budgetS?: number, write?: boolean, log?: (s: string) => void, peer?: boolean }} opts
 */
export async function runLossBench(opts = {}) {
  const quick = !!opts.quick;
  const log = opts.log ?? ((s) => console.log(s));
  const sizes = opts.sizes ?? (quick ? [1024, 2048] : [1024, 4096, 16384]);
  const budgetMs = (opts.budgetS ?? (quick ? 90 : 360)) * 1000;
  const t0 = now();
  const k = await init({ backend: 'webgpu' });
  const ctx = gpuContextOf(k);
  const torch = opts.peer === false ? { ok: false, reason: 'disabled' } : probeTorch();
  const results = {
    bench: 'losses',
    date: new Date().toISOString(),
    quick,
    d: D,
    variant: 'tiled',
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
          what: 'forward + autograd backward',
        }
      : { name: 'none', reason: torch.reason },
    rows: [],
    skipped: [],
  };
  log(
    `losses bench: d = ${D}, N ∈ {${sizes.join(', ')}}, ${ctx.adapterInfo.description || ctx.adapterInfo.device}; peer: ${torch.ok ? `PyTorch ${torch.version}` : torch.reason}`,
  );
  const last = {};
  for (const N of sizes) {
    const r = rng(SEED + N);
    const U = ctx.tensor(randn(r, N * D), [N, D]);
    const W = ctx.tensor(randn(r, N * D), [N, D]);
    for (const kind of ['clip', 'siglip']) {
      const run = async () => {
        const a = now();
        const res =
          kind === 'clip'
            ? await clipLoss(ctx, U, W, Math.log(1 / 0.07), { variant: 'tiled' })
            : await siglipLoss(ctx, U, W, Math.log(10), -10, { variant: 'tiled' });
        const loss = (await res.loss.read())[0];
        const ms = now() - a;
        for (const x of Object.values(res)) if (x && typeof x === 'object' && 'dispose' in x) x.dispose();
        return { ms, loss, peakBytes: res.peakBytes, blockRows: res.blockRows };
      };
      const elapsed = now() - t0;
      const predicted = last[kind] ? last[kind].ms * (N / last[kind].N) ** 2 : 0;
      // GPU reps plus a peer of similar cost
      if (predicted && elapsed + predicted * (torch.ok ? 3 : 2) > budgetMs) {
        const why = `predicted ${fmtS(predicted)} per call on ${ctx.adapterInfo.description || 'this adapter'} would overrun the ${fmtS(budgetMs)} budget (${fmtS(elapsed)} used)`;
        results.skipped.push({ kind, N, reason: why });
        log(`  skip ${kind} N=${N}: ${why}`);
        continue;
      }
      if (!last[kind]) await run(); // compile pipelines, warm the buffer pool
      const times = [];
      let info;
      const repBudget = Math.min(8000, Math.max(0, budgetMs - (now() - t0)) / 8);
      const rs = now();
      do {
        info = await run();
        times.push(info.ms);
      } while (times.length < 3 && now() - rs + info.ms < repBudget);
      const ms = Math.min(...times);
      last[kind] = { N, ms };
      const row = {
        kind,
        N,
        d: D,
        gpu: {
          ms: times,
          bestMs: ms,
          pairsPerS: N / (ms / 1000),
          peakBytes: info.peakBytes,
          blockRows: info.blockRows,
          loss: info.loss,
        },
      };
      if (torch.ok) {
        const p = torchPeer(torch.python, kind, N, 3, Math.min(20, Math.max(1, (budgetMs - (now() - t0)) / 4000)));
        if (p.ok) {
          const pms = Math.min(...p.ms);
          row.peer = { ms: p.ms, bestMs: pms, pairsPerS: N / (pms / 1000), maxRssMiB: p.maxrss_mb, loss: p.loss };
          row.ratio = row.gpu.pairsPerS / row.peer.pairsPerS;
        } else row.peer = { error: p.reason };
      }
      results.rows.push(row);
      log(
        `  ${kind.padEnd(6)} N=${String(N).padStart(5)}: GPU ${fmtS(ms)} (${fmtRate(row.gpu.pairsPerS)} pairs/s, peak ${fmtMiB(info.peakBytes)}, B=${info.blockRows})` +
          (row.peer?.bestMs ? `  PyTorch ${fmtS(row.peer.bestMs)} (${fmtRate(row.peer.pairsPerS)} pairs/s)` : ''),
      );
    }
    U.dispose();
    W.dispose();
  }
  k.destroy();
  results.totalMs = now() - t0;
  results.machine.loadavgEnd = os.loadavg();
  results.table = table(results);
  log('\n' + results.table);
  if (results.skipped.length) log(results.skipped.map((s) => `• skipped ${s.kind} N=${s.N}: ${s.reason}`).join('\n'));
  log(`total ${fmtS(results.totalMs)}`);
  if (opts.write !== false) {
    const dir = path.join(here, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `losses-${results.date.replace(/:/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(results, null, 1) + '\n');
    results.file = file;
    log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  return results;
}

function table(res) {
  const head = [
    'loss',
    'N',
    'GPU fwd+bwd',
    'GPU pairs/s',
    'GPU peak mem',
    'block rows',
    'PyTorch CPU',
    'PyTorch pairs/s',
    'GPU / PyTorch',
  ];
  const lines = res.rows.map((r) => [
    r.kind,
    String(r.N),
    fmtS(r.gpu.bestMs),
    fmtRate(r.gpu.pairsPerS),
    fmtMiB(r.gpu.peakBytes),
    String(r.gpu.blockRows),
    r.peer?.bestMs ? fmtS(r.peer.bestMs) : r.peer?.error ? 'failed' : '—',
    r.peer?.pairsPerS ? fmtRate(r.peer.pairsPerS) : '—',
    r.ratio ? `${r.ratio.toFixed(2)}×` : '—',
  ]);
  for (const s of res.skipped) lines.push([s.kind, String(s.N), 'skipped', '', '', '', '', '', '']);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l) => l.map((c, i) => c.padStart(w[i])).join('  ');
  return [
    `d = ${res.d}, tiled, ${res.machine.adapter.description || res.machine.adapter.device}; peer: ${res.peer.name === 'pytorch' ? `PyTorch ${res.peer.version} (${res.peer.threads} threads, float32)` : res.peer.reason}`,
    fmt(head),
    ...lines.map(fmt),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const get = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const sizes = get('n')?.split(',').map(Number);
  const budget = get('budget') ? Number(get('budget')) : undefined;
  await runLossBench({ quick: args.includes('--quick'), sizes, budgetS: budget });
  process.exit(0);
}
