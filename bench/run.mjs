#!/usr/bin/env node
// `npm run bench`: every benchmark, each beside peers measured in the SAME run:
//  - matmul: f32 GFLOP/s for m4kit (Node+Dawn, Deno, Chromium) vs onnxruntime-web WebGPU EP and tfjs-backend-webgpu
//    in the same Chromium, tfjs-backend-webgpu on Node's Dawn adapter, onnxruntime-node (CPU) in Node;
//  - losses: CLIP/SigLIP forward+backward pairs/s and peak GPU bytes vs PyTorch CPU (bench/losses.mjs);
//  - train: train() steps/s vs the same step in PyTorch (bench/train.mjs);
//  - debias: BA training step (batch 512, queue up to 65 536, D 512) steps/s + peak GPU bytes vs PyTorch CPU;
//  - balance: M4 solver and pipeline vs numpy (bench/balance.mjs); retrieval: top-k search vs numpy (bench/retrieval.mjs).
// Each writes bench/results/<bench>-<ISO timestamp>.json and prints a table with ratios to its peers.
//  - tables: the duckdb table engine vs pandas / the js readers / numpy (bench/tables.mjs).
//  - clip: ViT-B/32 image tower images/s + first call, m4kit vs onnxruntime-node/-web and PyTorch (bench/clip.mjs).
//   node bench/run.mjs [--quick] [--only matmul|losses|train|debias|balance|retrieval|tables|clip|node|deno|chromium]
//   [--shapes=MxKxN,...]   (--only may repeat or take a comma list; runtime names restrict the matmul runtimes)
//   [--official]           (debias: the official-scale BA step instead of the sweep; see bench/debias.mjs)
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem, release, platform, arch, loadavg } from 'node:os';
import { dirname, join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHAPES, QUICK_SHAPES, na } from './lib/measure.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = new Set();
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only' && args[i + 1]) args[++i].split(',').forEach((x) => only.add(x.trim()));
  else if (args[i].startsWith('--only='))
    args[i]
      .slice(7)
      .split(',')
      .forEach((x) => only.add(x.trim()));
}
const BENCHES = ['matmul', 'losses', 'train', 'debias', 'balance', 'retrieval', 'tables', 'clip'];
const RUNTIMES = ['node', 'deno', 'chromium'];
for (const o of only)
  if (!BENCHES.includes(o) && !RUNTIMES.includes(o))
    throw new Error(`--only: unknown "${o}" (one of ${[...BENCHES, ...RUNTIMES].join(', ')})`);
const onlyBench = BENCHES.filter((b) => only.has(b));
const wantBench = (b) =>
  (onlyBench.length ? onlyBench.includes(b) : true) &&
  (b === 'matmul' || !RUNTIMES.some((r) => only.has(r)) || onlyBench.includes(b));
const want = (r) => !RUNTIMES.some((x) => only.has(x)) || only.has(r);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

const shapeArg = args.find((a) => a.startsWith('--shapes='))?.slice(9);
// --shapes=4096x512x512,1024x768x512 re-measures chosen shapes (e.g. the headline one on a quieter machine)
const shapes = shapeArg ? shapeArg.split(',').map((s) => s.split('x').map(Number)) : quick ? QUICK_SHAPES : SHAPES;
if (shapes.some((s) => s.length !== 3 || s.some((x) => !Number.isInteger(x) || x <= 0)))
  throw new Error(`--shapes: expected MxKxN[,MxKxN...], got "${shapeArg}"`);
// Timing budgets (ms of timed work per measurement after warm-up) and caps: 2 CPU cores run everything.
const nodeOpts = {
  shapes,
  variants: quick ? ['blocked', 'subgroup', 'default'] : ['simple', 'tiled', 'blocked', 'vec4', 'subgroup', 'default'],
  budgetMs: quick ? 2000 : 5000,
  maxReps: 5,
  maxTrials: 3,
  maxCallSeconds: quick ? 5 : 12, // skip a variant on a shape when one call would take longer (estimated)
};
const denoOpts = { ...nodeOpts, variants: quick ? ['default'] : ['blocked', 'default'] };
const tfjsNodeOpts = { shapes, budgetMs: quick ? 1500 : 3000, maxReps: 3, maxTrials: 3, maxCallSeconds: 25 };
const ortNodeOpts = { shapes, budgetMs: quick ? 1000 : 3000, maxReps: 5, maxTrials: 3 };
// SwiftShader is slow: 1–2 reps, 1 trial when the warm-up is long
const chromiumOpts = {
  shapes,
  variants: quick ? ['default'] : ['blocked', 'default'],
  budgetMs: quick ? 1500 : 4000,
  maxReps: 2,
  maxTrials: 2,
  maxCallSeconds: 40,
};

const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', NO_COLOR: '1' };

function runWorker(cmd, argv, timeoutMs, label) {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const p = spawn(cmd, argv, { cwd: root, env });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => {
      const s = String(d);
      out += s;
      for (const line of s.split('\n'))
        if (line && !line.startsWith('RESULT ')) console.log(`[${label}]${line.startsWith(' ') ? '' : ' '}${line}`);
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) return resolve(JSON.parse(line.slice(7)));
      const why = signal
        ? `killed (${signal}${signal === 'SIGKILL' ? `, over ${timeoutMs / 1000} s` : ''})`
        : `exit ${code}`;
      const tail = err
        .split('\n')
        .filter((l) => l.trim() && !/artificially reduced/.test(l))
        .slice(-3)
        .join(' | ');
      resolve({ error: `${label} worker ${why}: ${tail}` });
    });
  });
}

function version(cmd, argv) {
  return new Promise((resolve) => {
    let s = '';
    const p = spawn(cmd, argv, { env });
    p.stdout.on('data', (d) => (s += d));
    p.on('error', () => resolve(null));
    p.on('close', () => resolve(s.trim().split('\n')[0] || null));
  });
}

async function runMatmul() {
  const loadavgStart = loadavg();
  const results = { runtimes: {}, measurements: [] };
  const add = (runtime, ms) => {
    for (const m of ms ?? []) results.measurements.push({ runtime, ...m });
  };
  const failAll = (runtime, impls, reason) => {
    for (const [impl, variant] of impls)
      for (const shape of shapes) results.measurements.push({ runtime, impl, variant, shape, ...na(reason) });
  };

  // ---------------------------------------------------------------- Node (Dawn) + onnxruntime-node (CPU)
  if (want('node')) {
    console.log(`[node] m4kit (Dawn) ... ${elapsed()}`);
    const r = await runWorker(
      process.execPath,
      [join(here, 'node-worker.mjs'), 'm4kit', JSON.stringify(nodeOpts)],
      420_000,
      'node',
    );
    if (r.error)
      failAll(
        'node',
        nodeOpts.variants.map((v) => ['m4kit', v]),
        r.error,
      );
    results.runtimes.node = {
      version: process.version,
      adapter: r.adapter ?? null,
      defaultVariant: r.defaultVariant,
      error: r.error,
    };
    add('node', r.measurements);
    console.log(`[node] onnxruntime-node (CPU) ... ${elapsed()}`);
    const o = await runWorker(
      process.execPath,
      [join(here, 'node-worker.mjs'), 'ort', JSON.stringify(ortNodeOpts)],
      180_000,
      'node',
    );
    if (o.error) failAll('node', [['onnxruntime-node', 'cpu']], o.error);
    results.runtimes.node.onnxruntimeNode = o.info ?? null;
    add('node', o.measurements);
    console.log(`[node] tfjs-webgpu (same Dawn adapter) ... ${elapsed()}`);
    const t = await runWorker(
      process.execPath,
      [join(here, 'node-worker.mjs'), 'tfjs', JSON.stringify(tfjsNodeOpts)],
      300_000,
      'node',
    );
    if (t.error) failAll('node', [['tfjs-webgpu', 'tf.matMul']], t.error);
    results.runtimes.node.tfjsWebgpu = t.info ?? null;
    add('node', t.measurements);
  }

  // ---------------------------------------------------------------- Deno (built-in WebGPU)
  if (want('deno')) {
    console.log(`[deno] m4kit ... ${elapsed()}`);
    const deno = join(root, 'node_modules/.bin/deno');
    if (!existsSync(deno)) {
      failAll(
        'deno',
        denoOpts.variants.map((v) => ['m4kit', v]),
        'node_modules/.bin/deno not found',
      );
    } else {
      const r = await runWorker(
        deno,
        ['run', '--unstable-webgpu', '-A', join(here, 'deno-worker.mjs'), JSON.stringify(denoOpts)],
        300_000,
        'deno',
      );
      if (r.error)
        failAll(
          'deno',
          denoOpts.variants.map((v) => ['m4kit', v]),
          r.error,
        );
      results.runtimes.deno = {
        version: r.denoVersion ?? (await version(deno, ['--version'])),
        adapter: r.adapter ?? null,
        defaultVariant: r.defaultVariant,
        error: r.error,
      };
      add('deno', r.measurements);
    }
  }

  // ---------------------------------------------------------------- Chromium (SwiftShader): m4kit, onnxruntime-web, tfjs
  if (want('chromium')) {
    console.log(`[chromium] bundling ... ${elapsed()}`);
    const impls = [
      ['m4kit', 'm4kit', chromiumOpts.variants],
      ['ort', 'onnxruntime-web', ['webgpu EP']],
      ['tfjs', 'tfjs-webgpu', ['tf.matMul']],
    ];
    let bundle;
    try {
      const { build } = await import('esbuild');
      const r = await build({
        entryPoints: [join(here, 'browser-entry.mjs')],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        write: false,
        logLevel: 'error',
        external: ['/ort/*'],
      });
      bundle = r.outputFiles[0].contents;
    } catch (e) {
      for (const [, impl, vs] of impls)
        failAll(
          'chromium',
          vs.map((v) => [impl, v]),
          `esbuild: ${e.message}`,
        );
    }
    if (bundle) await runChromium(bundle, impls);
  }

  async function runChromium(bundle, impls) {
    const ortDir = join(here, 'node_modules/onnxruntime-web/dist'); // bench/bootstrap.mjs installs it there
    const types = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
    const server = createServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/bench.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(bundle);
      }
      if (url.pathname.startsWith('/ort/')) {
        const file = normalize(join(ortDir, url.pathname.slice(5)));
        if (file.startsWith(ortDir) && existsSync(file)) {
          res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
          return res.end(readFileSync(file));
        }
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<!doctype html><meta charset="utf-8"><title>m4kit bench</title><script type="module" src="/bench.js"></script>',
      );
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    let browser;
    try {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
      results.runtimes.chromium = { version: browser.version(), peers: {} };
      for (const [what, impl, variants] of impls) {
        console.log(`[chromium] ${impl} ... ${elapsed()}`);
        const page = await browser.newPage();
        page.on('console', (m) => {
          const t = m.text();
          if (t.startsWith('[bench]')) console.log(`[chromium] ${t.slice(8)}`);
        });
        page.on('pageerror', (e) => console.log(`[chromium] pageerror: ${e.message}`));
        let r;
        try {
          await page.goto(`http://127.0.0.1:${port}/`);
          await page.waitForFunction(() => globalThis.__benchReady === true, null, { timeout: 60_000 });
          r = await Promise.race([
            page.evaluate(([w, o]) => globalThis.__bench(w, o), [what, chromiumOpts]),
            new Promise((res) => setTimeout(() => res({ error: 'timed out after 240 s' }), 240_000)),
          ]);
        } catch (e) {
          r = { error: String(e?.message ?? e) };
        } finally {
          await page.close().catch(() => {});
        }
        const info = {
          adapter: r.adapter ?? null,
          version: r.version,
          defaultVariant: r.defaultVariant,
          error: r.error?.split('\n')[0],
        };
        if (what === 'm4kit') Object.assign(results.runtimes.chromium, info);
        else results.runtimes.chromium.peers[impl] = info;
        if (r.measurements) add('chromium', r.measurements);
        else
          failAll(
            'chromium',
            variants.map((v) => [impl, v]),
            r.error?.split('\n')[0] ?? 'no result',
          );
      }
    } catch (e) {
      const reason = `Chromium: ${String(e?.message ?? e).split('\n')[0]}`;
      for (const [, impl, vs] of impls) {
        if (!results.measurements.some((m) => m.runtime === 'chromium' && m.impl === impl))
          failAll(
            'chromium',
            vs.map((v) => [impl, v]),
            reason,
          );
      }
    } finally {
      await browser?.close().catch(() => {});
      server.close();
    }
  }

  // ---------------------------------------------------------------- report
  const cpu = cpus();
  const report = {
    kind: 'matmul-f32',
    date: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    quick,
    only: [...only],
    method:
      'warm-up call (compile) ending in a readback, then trials × R back-to-back calls ending in ONE readback; median over trials of 2·M·K·N·R / time',
    machine: {
      cpu: cpu[0]?.model,
      cores: cpu.length,
      memGiB: +(totalmem() / 2 ** 30).toFixed(1),
      os: `${platform()} ${release()} ${arch()}`,
      loadavgStart,
      loadavgEnd: loadavg(),
      note: 'the cores may be shared with other jobs: load averages above ~0.5 at the start mean disturbed numbers',
    },
    shapes,
    ...results,
  };
  const outDir = join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `matmul-${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));

  const fmt = (m) => (m?.status === 'ok' ? m.gflops.toFixed(2) : 'n/a');
  const rows = [];
  const cols = [];
  for (const m of results.measurements) {
    const c = `${m.runtime} ${m.impl}${m.impl === 'm4kit' ? ' ' + m.variant : ''}`;
    if (!cols.includes(c)) cols.push(c);
  }
  console.log(`\nf32 matmul GFLOP/s (median; ${report.machine.cpu}, ${report.machine.cores} cores) — ${file}`);
  const head = ['runtime / implementation', ...shapes.map((s) => s.join('×'))];
  rows.push(head);
  for (const c of cols) {
    rows.push([
      c,
      ...shapes.map((s) =>
        fmt(
          results.measurements.find(
            (m) =>
              `${m.runtime} ${m.impl}${m.impl === 'm4kit' ? ' ' + m.variant : ''}` === c && m.shape.join() === s.join(),
          ),
        ),
      ),
    ]);
  }
  const w = head.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((x, j) => (j === 0 ? String(x).padEnd(w[j]) : String(x).padStart(w[j]))).join('  '));
    if (i === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '));
  }

  // ratios to peers measured in this run
  const pick =
    (rt, impl, pred = () => true) =>
    (s) =>
      results.measurements.find(
        (m) => m.runtime === rt && m.impl === impl && m.shape.join() === s.join() && m.status === 'ok' && pred(m),
      );
  const isDefault = (m) => m.variant.startsWith('default');
  const pairs = [
    [
      'chromium m4kit default / onnxruntime-web (webgpu, same Chromium)',
      pick('chromium', 'm4kit', isDefault),
      pick('chromium', 'onnxruntime-web'),
    ],
    [
      'chromium m4kit default / tfjs-webgpu (same Chromium)',
      pick('chromium', 'm4kit', isDefault),
      pick('chromium', 'tfjs-webgpu'),
    ],
    [
      'node m4kit default / tfjs-webgpu (same Dawn adapter)',
      pick('node', 'm4kit', isDefault),
      pick('node', 'tfjs-webgpu'),
    ],
    ['node m4kit default / onnxruntime-node (CPU)', pick('node', 'm4kit', isDefault), pick('node', 'onnxruntime-node')],
    ['deno m4kit default / onnxruntime-node (CPU)', pick('deno', 'm4kit', isDefault), pick('node', 'onnxruntime-node')],
  ];
  const ratioRows = [];
  for (const [name, num, den] of pairs) {
    const vals = shapes.map((s) => {
      const a = num(s);
      const b = den(s);
      return a && b ? `${(a.gflops / b.gflops).toFixed(2)}×` : 'n/a';
    });
    if (vals.some((v) => v !== 'n/a')) ratioRows.push({ name, vals }); // pairs with no measured side (runtime not run) are left out
  }
  report.ratios = ratioRows.map((r) => ({
    pair: r.name,
    byShape: Object.fromEntries(shapes.map((s, i) => [s.join('x'), r.vals[i]])),
  }));
  writeFileSync(file, JSON.stringify(report, null, 2));
  const rw = Math.max(17, ...ratioRows.map((r) => r.name.length));
  console.log(
    `\nratios (same run)${' '.repeat(Math.max(0, rw - 17))}  ${shapes.map((s, i) => s.join('×').padStart(w[i + 1])).join('  ')}`,
  );
  for (const r of ratioRows)
    console.log(`${r.name.padEnd(rw)}  ${r.vals.map((v, i) => v.padStart(w[i + 1])).join('  ')}`);
  const nas = results.measurements.filter((m) => m.status !== 'ok');
  if (nas.length) {
    console.log('\nn/a:');
    const seen = new Set();
    for (const m of nas) {
      const key = `${m.runtime} ${m.impl} ${m.variant}: ${m.reason}`;
      if (!seen.has(key)) console.log(`  ${m.runtime} ${m.impl} ${m.variant} ${m.shape.join('×')}: ${m.reason}`);
      seen.add(key);
    }
  }
  console.log(`\nwrote ${file} (${report.durationS} s)`);
  report.file = file;
  return report;
}

// ---------------------------------------------------------------- all benches, one entry
const summary = {};
const runOne = async (name, fn) => {
  if (!wantBench(name)) return;
  console.log(
    `\n======== ${name} ${quick ? '(quick) ' : ''}— ${elapsed()}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  try {
    const r = await fn();
    summary[name] = { ok: true, file: r?.file };
  } catch (e) {
    summary[name] = {
      ok: false,
      error: String(e?.stack ?? e)
        .split('\n')
        .slice(0, 3)
        .join(' | '),
    };
    console.log(`[${name}] failed: ${summary[name].error}`);
  }
};
await runOne('matmul', runMatmul);
await runOne('losses', async () => (await import('./losses.mjs')).runLossBench({ quick }));
await runOne('train', async () => (await import('./train.mjs')).runTrainBench({ quick })); // training steps/s beside PyTorch (bench/train.mjs)
// BA step vs PyTorch; --official: exactly batch 512, queue 65 536, D 512, one timed step each (minutes on lavapipe)
const official = args.includes('--official');
await runOne('debias', async () => (await import('./debias.mjs')).runDebiasBench({ quick, official }));
await runOne('balance', async () => (await import('./balance.mjs')).runBalanceBench({ quick }));
await runOne('retrieval', async () => (await import('./retrieval.mjs')).runRetrievalBench({ quick }));
// tables at scale: --engine duckdb vs pandas and the js readers, a Parquet folder's rows/s, per-row pass vs numpy
await runOne('tables', async () => (await import('./tables.mjs')).runTablesBench({ quick }));
// CLIP ViT-B/32 image tower: m4kit (Node+Dawn, Chromium) vs onnxruntime-node/-web and PyTorch CPU (bench/clip.mjs)
await runOne('clip', async () => (await import('./clip.mjs')).runClipBench({ quick, argv: args }));
console.log(
  `\nbench done in ${elapsed()}: ${Object.entries(summary)
    .map(([k, v]) => `${k} ${v.ok ? 'ok' : 'FAILED'}`)
    .join(', ')}`,
);
process.exit(Object.values(summary).every((v) => v.ok) ? 0 : 1);
