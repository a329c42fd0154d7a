#!/usr/bin/env node
// Balance (M4) throughput: the per-row moments pass and end-to-end solves, GPU engine (fused WGSL moments kernel)
// beside the float64 CPU engine and a vectorised numpy peer, all measured in the same run.
//
//   node bench/balance.mjs [--quick] [--n=1e5,1e6] [--c=10] [--no-e2e] [--no-first-order] [--numpy-cap=s] [--e2e-cap=s]
// End to end per (n, c): Newton on the GPU and CPU engines, the first-order method with numpy doing every pass
// (the peer), the first-order method on the GPU (unless --no-first-order), the pattern path; the max |q − q_cpu|
// of each; and the moments / Hessian kernels' input bytes per second beside a copy kernel's on the same adapter.
//   import { runBalanceBench } from './balance.mjs'; const results = await runBalanceBench({ quick: true });
//
// Needs the built packages (`npx turbo run build`). numpy (Debian's python3) is optional: without it the numpy
// columns say why. Writes bench/results/balance-<ISO time>.json and prints a table plus the measured verdict.
//
// Data. Rows are drawn i.i.d. from a real joint distribution of (sex, occupation): the IPUMS census counts in
// vega-datasets' jobs.json (latest year) when that package is installed, else the 1987 survey bundled as
// data/kernlab-income.csv (SEX × OCCUPATION frequencies, 8 993 respondents, 9 occupations + "NA").
// sex → one-hot S (m = 2: female, male), π = (½, ½). occupation → one-hot label among the c most frequent;
// when the source has fewer than c occupations the rest are multi-label proxies ("tags"): each row carries
// 0/1/2 distinct tags (p = .5/.35/.15) drawn from a Zipf(0.8) popularity tilted by sex (exp(±0.5 z_r)), so the
// proxies are associated with sex like real caption words. Each row gets a utility u ~ N(0, 0.02²), so
// q0_i = η + u_i differs per row and the per-row path is required (patterns cannot absorb it).
// The pattern path is measured on the same rows without u.
import '@m4kit/kernels/node';
import { init } from '@m4kit/kernels';
import {
  momentsPass,
  momentsHessianPass,
  defineKernel,
  ceilDiv,
  packGroups,
  packLabels,
  groupWords,
  labelWords,
  gpuContextOf,
} from '@m4kit/kernels/advanced';
import { createGpuEngine, createCpuEngine, solveBatch, compressPatterns, expandPatternQ } from '@m4kit/sdk/advanced';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rng } from './lib/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// ---- settings ---------------------------------------------------------------------------------------------------
const M = 2;
const PI = [0.5, 0.5];
const ETA = 0.8;
const EPS = 0.01; // ε_R = ε_A (the pipeline defaults), joint form: the problem of the published timings
const U_SD = 0.02;
const SEED = 20240501;
const Y_BYTES_MAX = 2 ** 31; // a float32 Y above 2 GiB (n = 1e7, c = 100: 4 GB) is skipped; with the GPU copy
// and numpy's it would be ~3× that on a 23 GB, 2-core machine

function normal(r) {
  let u = r();
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}
function cdfOf(weights) {
  const c = new Float64Array(weights.length);
  let s = 0;
  weights.forEach((w, i) => (c[i] = s += w));
  for (let i = 0; i < c.length; i++) c[i] /= s;
  c[c.length - 1] = 1;
  return c;
}
function draw(cdf, x) {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// ---- the joint (sex, occupation) distribution ------------------------------------------------------------------
function parseCsv(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          f += '"';
          i++;
        } else q = false;
      } else f += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      row.push(f);
      f = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(f);
      f = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else f += ch;
  }
  if (f !== '' || row.length) rows.push([...row, f]);
  return rows;
}

/** → { source, note, labels: string[] (by frequency), cells: [{ sex: 0|1, label: index, w }] } */
export function loadJoint() {
  let jobsPath = null;
  try {
    jobsPath = createRequire(import.meta.url).resolve('vega-datasets/data/jobs.json');
  } catch {
    const p = path.join(root, 'node_modules/vega-datasets/data/jobs.json');
    if (fs.existsSync(p)) jobsPath = p;
  }
  const byPair = new Map();
  let source;
  let note;
  if (jobsPath) {
    const jobs = JSON.parse(fs.readFileSync(jobsPath, 'utf8'));
    const year = Math.max(...jobs.map((r) => r.year));
    for (const r of jobs) {
      if (r.year !== year || !(r.count > 0)) continue;
      const sex = /^wom/i.test(r.sex) ? 0 : 1;
      const key = `${sex}\u0000${r.job}`;
      byPair.set(key, (byPair.get(key) ?? 0) + r.count);
    }
    source = `vega-datasets jobs.json (IPUMS census, ${year})`;
    note = `sex × job counts of the ${year} census from ${path.relative(root, jobsPath)}`;
  } else {
    const file = path.join(root, 'data/kernlab-income.csv');
    const [head, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
    const iSex = head.indexOf('SEX');
    const iOcc = head.indexOf('OCCUPATION');
    for (const r of rows) {
      const sex = r[iSex] === 'F' ? 0 : r[iSex] === 'M' ? 1 : -1;
      if (sex < 0) continue;
      const key = `${sex}\u0000${r[iOcc]}`;
      byPair.set(key, (byPair.get(key) ?? 0) + 1);
    }
    source = 'data/kernlab-income.csv (fallback)';
    note =
      'vega-datasets is not installed (node_modules/vega-datasets/data/jobs.json missing): using the SEX × OCCUPATION ' +
      `frequencies of data/kernlab-income.csv (${rows.length} respondents; a missing OCCUPATION "NA" is its own label)`;
  }
  const total = new Map();
  for (const [k, w] of byPair) {
    const job = k.split('\u0000')[1];
    total.set(job, (total.get(job) ?? 0) + w);
  }
  const labels = [...total.keys()].sort((a, b) => total.get(b) - total.get(a) || (a < b ? -1 : 1));
  const idx = new Map(labels.map((l, i) => [l, i]));
  const cells = [...byPair].map(([k, w]) => {
    const [s, job] = k.split('\u0000');
    return { sex: Number(s), label: idx.get(job), w };
  });
  return { source, note, labels, cells };
}

/** n rows for c labels: { data: { n, m, c, S, Y, u } (float32), patternsHint, desc } */
export function generate(joint, n, c, seed = SEED) {
  const r = rng(seed ^ Math.imul(n, 2654435761) ^ Math.imul(c, 40503));
  const nOcc = Math.min(c, joint.labels.length);
  const nProxy = c - nOcc;
  const cells = joint.cells.filter((x) => x.label < nOcc);
  const cdf = cdfOf(cells.map((x) => x.w));
  const cellSex = Uint8Array.from(cells, (x) => x.sex);
  const cellLab = Uint16Array.from(cells, (x) => x.label);
  let tagCdf = null;
  if (nProxy > 0) {
    const z = Array.from({ length: nProxy }, () => normal(r));
    tagCdf = [0, 1].map((sex) => cdfOf(z.map((zr, j) => (j + 1) ** -0.8 * Math.exp(0.5 * zr * (sex ? 1 : -1)))));
  }
  const S = new Float32Array(n * M);
  const Y = new Float32Array(n * c);
  const u = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = draw(cdf, r());
    const sex = cellSex[k];
    S[i * M + sex] = 1;
    Y[i * c + cellLab[k]] = 1;
    if (tagCdf) {
      const x = r();
      const tags = x < 0.5 ? 0 : x < 0.85 ? 1 : 2;
      for (let t = 0; t < tags; t++) Y[i * c + nOcc + draw(tagCdf[sex], r())] = 1; // a repeated tag is one tag
    }
    u[i] = U_SD * normal(r);
  }
  const desc =
    nProxy > 0
      ? `${nOcc} occupations (one-hot) + ${nProxy} multi-label sex-associated proxy tags (0–2 per row)`
      : `the ${nOcc} most frequent occupations (one-hot)${joint.labels.length > nOcc ? ` of ${joint.labels.length}; rows of other occupations are not drawn` : ''}`;
  return { data: { n, m: M, c, S, Y, u }, desc };
}

// ---- numpy peer ----------------------------------------------------------------------------------------------------
function numpyEnv() {
  const env = { ...process.env };
  // OpenBLAS' SkylakeX kernels need AVX-512; forcing that core type on a CPU without it dies with SIGILL
  let cpuinfo = '';
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {}
  if (!env.OPENBLAS_CORETYPE && /\bavx512f\b/.test(cpuinfo)) env.OPENBLAS_CORETYPE = 'SkylakeX';
  return env;
}

/** Is numpy importable from /usr/bin/python3? Tries `apt-get install -y python3-numpy` once when root. */
export function probeNumpy({ install = true } = {}) {
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const check = () =>
    spawnSync(py, ['-c', 'import numpy, json; print(json.dumps({"numpy": numpy.__version__}))'], {
      env: numpyEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    });
  let r = check();
  let installed = false;
  if (r.status !== 0 && install && process.getuid?.() === 0) {
    spawnSync('apt-get', ['install', '-y', 'python3-numpy'], { stdio: 'ignore', timeout: 300_000 });
    installed = true;
    r = check();
  }
  if (r.status !== 0)
    return {
      ok: false,
      python: py,
      reason: `numpy not importable from ${py}${installed ? ' (apt-get install python3-numpy failed)' : ''}`,
    };
  const info = JSON.parse(r.stdout.trim());
  let blas = 'unknown';
  try {
    blas = fs.realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3');
  } catch {}
  return {
    ok: true,
    python: py,
    version: info.numpy,
    blas,
    openblasCoretype: numpyEnv().OPENBLAS_CORETYPE ?? '(autodetect)',
  };
}

class NumpyPeer {
  constructor(python, dir, n, c) {
    this.proc = spawn(python, [path.join(here, 'balance-numpy.py'), dir, String(n), String(M), String(c)], {
      env: numpyEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.waiting = [];
    this.err = '';
    this.proc.stderr.on('data', (d) => (this.err += d));
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.resolve(JSON.parse(line)));
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0))
        w.reject(new Error(`numpy peer exited (${code}): ${this.err.slice(-500)}`));
    });
    this.ready = this.next();
  }
  next() {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  async pass(W, mu, eta, variant, fixedQ) {
    const p = this.next();
    this.proc.stdin.write(JSON.stringify({ op: 'pass', W: Array.from(W), pi: PI, mu, eta, variant, fixedQ }) + '\n');
    return p;
  }
  close() {
    try {
      this.proc.stdin.write('{"op":"quit"}\n');
      this.proc.stdin.end();
    } catch {}
    const pid = this.proc.pid;
    setTimeout(() => {
      if (this.proc.exitCode === null) {
        try {
          process.kill(pid);
        } catch {}
      }
    }, 5000).unref();
  }
}

// ---- helpers ----------------------------------------------------------------------------------------------------------
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const k = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const now = () => performance.now();
class BudgetExceeded extends Error {}

/** Wraps an engine so that a pass after `deadline` throws (solveBatch has no time limit of its own). */
function withDeadline(engine, deadline) {
  let passes = 0;
  let hessianPasses = 0;
  return {
    n: engine.n,
    m: engine.m,
    c: engine.c,
    pi: engine.pi,
    get passes() {
      return passes;
    },
    async pass(...a) {
      if (now() > deadline) throw new BudgetExceeded();
      passes++;
      return engine.pass(...a);
    },
    q: (...a) => engine.q(...a),
    frobenius: () => engine.frobenius(),
    dispose: () => engine.dispose(),
    get hessianPasses() {
      return hessianPasses;
    },
    ...(engine.hessian
      ? {
          async hessian(...a) {
            if (now() > deadline) throw new BudgetExceeded();
            hessianPasses++;
            return engine.hessian(...a);
          },
        }
      : {}),
  };
}

/**
 * The numpy peer as a MomentsEngine: every pass is one numpy pass (float32 + BLAS, timed by the peer); the
 * solver (FISTA, the same accelerated dual ascent the peer script implements the pass of) runs in JS between
 * passes, so 'numpy end to end' = the first-order solve with numpy doing the data work.
 */
function numpyEngine(peer, n, c, frob) {
  return {
    n,
    m: M,
    c,
    pi: Float64Array.from(PI),
    async pass(W, mu, eta, fixedQ) {
      const r = await peer.pass(W, mu, eta, 'gemm', fixedQ);
      return { sumW: r.sumW, sumQ: r.sumQ, D: Float64Array.from(r.D), qy: Float64Array.from(r.qy), obj: r.obj };
    },
    async q() {
      throw new Error('numpy engine: q is evaluated with the CPU engine at the returned dual point');
    },
    frobenius: async () => frob,
    dispose() {},
  };
}

// ---- bandwidth: a plain copy kernel on the same adapter ---------------------------------------------------------------
const copyKernel = defineKernel({
  name: 'bench:copy',
  params: { n: 'u32' },
  source: () => `
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let stride = nw.x * 256u;
  for (var i = g.x; i < p.n; i += stride) { dst[i] = src[i]; }
}`,
});

/**
 * Median bytes read per second of a vec4 copy of `bytes` bytes (grid-stride loop, 1024 workgroups), timed from the
 * submit to the queue's completion (onSubmittedWorkDone) and checked on a sample of the copied words: k.sync() only
 * waits for the error scopes, which settle before the GPU has run (an earlier version timed that: "69 GB/s").
 */
async function copyBandwidth(k, bytes, rounds) {
  const ctx = gpuContextOf(k);
  const n4 = Math.floor(Math.min(bytes, ctx.maxBindingSize - 256) / 16);
  const src = ctx.tensor(
    Float32Array.from({ length: n4 * 4 }, (_, i) => i % 8191),
    [n4 * 4],
  );
  const dst = ctx.tensor(null, [n4 * 4]);
  const times = [];
  for (let r = 0; r < rounds + 1; r++) {
    const temps = [];
    const ds = copyKernel.dispatch(ctx, {
      spec: {},
      params: { n: n4 },
      bindings: { src: { buffer: src.buffer }, dst: { buffer: dst.buffer } },
      workgroups: [Math.min(1024, ceilDiv(n4, 256))],
      temps,
    });
    const t = now();
    ctx.submit('bench.copy', [ds], temps);
    await ctx.device.queue.onSubmittedWorkDone();
    if (r > 0) times.push(now() - t); // the first round compiles
  }
  await k.sync();
  const out = await dst.read();
  for (let i = 0; i < out.length; i += 4099) {
    if (out[i] !== i % 8191) throw new Error(`copy kernel: word ${i} is ${out[i]}, expected ${i % 8191}`);
  }
  src.dispose();
  dst.dispose();
  const ms = median(times);
  return { bytes: n4 * 16, ms, bytesPerSec: (n4 * 16) / (ms / 1e3) };
}

/**
 * Moments and Hessian kernels alone on resident chunks, in each row layout: f32 rows on the rows + reduce pass
 * ('split', the kernel before #15's fused pass), f32 rows on the fused pass, compact rows (u8 group + label bits)
 * on the fused pass. Median ms, the bytes each reads per pass (S, Y, u as bound) and those bytes per second.
 */
async function kernelBandwidth(k, data, c, rounds) {
  const ctx = gpuContextOf(k);
  // ≤ 2^18 rows: the Hessian kernel at stride 1 is slow on software adapters, and both kernels are row-parallel
  const n = Math.min(data.n, Math.floor((ctx.maxBindingSize - 256) / (4 * c)), 1 << 18);
  const S = ctx.tensor(data.S.subarray(0, n * M), [n, M]);
  const Y = ctx.tensor(data.Y.subarray(0, n * c), [n, c]);
  const u = ctx.tensor(data.u.subarray(0, n), [n]);
  const G = ctx.tensor(packGroups(data.S.subarray(0, n * M), n, M, 8), [groupWords(n, 8)], 'u32');
  const L = ctx.tensor(packLabels(data.Y.subarray(0, n * c), n, c), [n, labelWords(c)], 'u32');
  const f32 = { S, Y, u };
  const compact = { S: G, Y: L, u, sEnc: 'u8', yEnc: 'bits', m: M, c };
  const { W, mu } = dualPoint(c, SEED + 1);
  const f32Bytes = 4 * n * (M + c + 1); // S, Y, u in f32
  const compactBytes = n * (1 + 4 * labelWords(c) + 4); // u8 group, label words, f32 u
  const variants = ctx.variants;
  const time = async (fn, variant) => {
    const ts = [];
    try {
      if (variant) variants['moments.pass'] = variant;
      for (let r = 0; r < rounds + 1; r++) {
        const t = now();
        const part = fn();
        await part.read();
        part.dispose();
        if (r > 0) ts.push(now() - t);
      }
    } finally {
      delete variants['moments.pass'];
    }
    return median(ts);
  };
  const prm = { W, pi: PI, mu, eta: ETA };
  const rate = (ms, bytes) => ({ ms, bytes, bytesPerSec: bytes / (ms / 1e3), rowsPerSec: n / (ms / 1e3) });
  const out = {
    rows: n,
    inputBytes: f32Bytes,
    compactBytes,
    momentsSplitF32: rate(await time(() => momentsPass(ctx, f32, prm), 'split'), f32Bytes),
    momentsFusedF32: rate(await time(() => momentsPass(ctx, f32, prm), 'fused'), f32Bytes),
    momentsCompact: rate(await time(() => momentsPass(ctx, compact, prm)), compactBytes),
    hessianF32: rate(await time(() => momentsHessianPass(ctx, f32, prm)), f32Bytes),
    hessianCompact: rate(await time(() => momentsHessianPass(ctx, compact, prm)), compactBytes),
  };
  for (const t of [S, Y, u, G, L]) t.dispose();
  return out;
}

/** max over the moments of |a − b| / N (the scale the solver's tolerance applies to) */
function sumsDiff(a, b, N) {
  let d = Math.abs(a.sumQ - b.sumQ) / N;
  for (let j = 0; j < a.D.length; j++) d = Math.max(d, Math.abs(a.D[j] - b.D[j]) / N);
  return d;
}

function dualPoint(c, seed) {
  const r = rng(seed);
  return { W: Float64Array.from({ length: M * (c + 1) }, () => (r() - 0.5) * 0.1), mu: 0.02 };
}

const fmtMs = (x) =>
  x == null || !Number.isFinite(x)
    ? '—'
    : x >= 10_000
      ? `${(x / 1000).toFixed(1)} s`
      : x >= 100
        ? x.toFixed(0)
        : x.toFixed(1);
const fmtRate = (x) =>
  x == null || !Number.isFinite(x) ? '—' : x >= 1e6 ? `${(x / 1e6).toFixed(1)} M` : `${(x / 1e3).toFixed(0)} k`;
const fmtX = (x) => (x == null || !Number.isFinite(x) ? '—' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`);
const fmtN = (n) => n.toExponential(0).replace('+', '');
const fmtS = (ms) => (ms == null || !Number.isFinite(ms) ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);

// ---- the benchmark ---------------------------------------------------------------------------------------------------
/**
 * Runs the balance benchmark and returns the results object (also written to bench/results/ unless write: false).
 * @param {{ quick?: boolean, ns?: number[], cs?: number[], e2e?: boolean, write?: boolean, log?: (s: string) => void }} [opts]
 */
export async function runBalanceBench(opts = {}) {
  const quick = !!opts.quick;
  const log = opts.log ?? ((s) => console.log(s));
  const ns = opts.ns ?? (quick ? [1e5, 1e6] : [1e5, 1e6, 1e7]);
  const cs = opts.cs ?? [10, 100];
  const doE2e = opts.e2e ?? true;
  const rounds = (n) => (quick ? 3 : n >= 1e7 ? 3 : 5);
  // per end-to-end run: give up (and report a projection) beyond this many ms
  const e2eCap = opts.e2eCapMs ?? (quick ? 10_000 : 75_000);
  const numpyCap = opts.numpyCapMs ?? (quick ? 30_000 : 300_000); // the peer's first-order run is the baseline
  const qOf = new Map();
  const started = new Date();
  const t0 = now();

  const joint = loadJoint();
  log(`balance bench${quick ? ' (quick)' : ''}: data from ${joint.source}`);
  log(`  ${joint.note}`);
  const np = probeNumpy();
  log(
    `  numpy peer: ${np.ok ? `numpy ${np.version}, BLAS ${np.blas}, OPENBLAS_CORETYPE ${np.openblasCoretype}` : np.reason}`,
  );

  const k = await init({ backend: 'webgpu' });
  const adapter = k.adapter;
  log(
    `  GPU: ${adapter?.description ?? adapter?.device} (${adapter?.isSoftware ? 'software' : 'hardware'}), binding limit ${gpuContextOf(k).maxBindingSize} B`,
  );
  log(
    `  η = ${ETA}, π = (${PI.join(', ')}), ε_R = ε_A = ${EPS}, u ~ N(0, ${U_SD}²); rounds: ${quick ? 3 : '5 (3 at n = 1e7)'}; end-to-end cap ${e2eCap / 1000} s per run`,
  );

  const results = {
    bench: 'balance',
    version: 1,
    quick,
    startedAt: started.toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
      memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      loadavgStart: os.loadavg(),
    },
    adapter,
    maxBindingSize: gpuContextOf(k).maxBindingSize,
    numpy: np,
    data: { source: joint.source, note: joint.note, labels: joint.labels, m: M, pi: PI, uSd: U_SD, seed: SEED },
    solver: { eta: ETA, epsRep: EPS, epsAssoc: EPS, tolGpu: 2e-6, tolCpu: 1e-9, maxIter: 20000, e2eCapMs: e2eCap },
    configs: [],
  };

  // passes per end-to-end solve seen at the smallest n, per (engine, c): to project the runs that would exceed the cap
  const passesSeen = new Map();
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'm4kit-balance-bench-'));
  try {
    for (const c of cs) {
      for (const n of ns) {
        const cfg = { n, c, loadavg: os.loadavg() };
        qOf.clear();
        results.configs.push(cfg);
        const yBytes = n * c * 4;
        if (yBytes > Y_BYTES_MAX) {
          cfg.skipped = `memory (float32 Y is ${(yBytes / 1e9).toFixed(1)} GB; ×3 with the GPU and numpy copies)`;
          log(`\n[n=${fmtN(n)} c=${c}] skipped (memory): Y alone is ${(yBytes / 1e9).toFixed(1)} GB in float32`);
          continue;
        }
        log(`\n[n=${fmtN(n)} c=${c}]`);
        let t = now();
        const { data, desc } = generate(joint, n, c);
        cfg.labels = desc;
        cfg.generateMs = now() - t;
        log(`  data: ${desc}; generated in ${fmtS(cfg.generateMs)}`);

        // ---- (a)–(c) per-iteration pass, measured back to back per round ----
        let peer = null;
        const dir = path.join(tmpRoot, `n${n}-c${c}`);
        if (np.ok) {
          fs.mkdirSync(dir, { recursive: true });
          for (const [name, a] of Object.entries({ S: data.S, Y: data.Y, u: data.u })) {
            fs.writeFileSync(path.join(dir, `${name}.f32`), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
          }
          peer = new NumpyPeer(np.python, dir, n, c);
        }
        t = now();
        const gpu = createGpuEngine(k, data, PI);
        await k.sync();
        cfg.gpuCreateMs = now() - t;
        cfg.gpuEncoding = gpu.encoding;
        // the pass before the compact encodings and the fused kernel: f32 rows on the rows + reduce dispatches
        const gpuOld = createGpuEngine(k, data, PI, { encoding: 'f32' });
        const oldPass = async (...a) => {
          gpuContextOf(k).variants['moments.pass'] = 'split';
          try {
            return await gpuOld.pass(...a);
          } finally {
            delete gpuContextOf(k).variants['moments.pass'];
          }
        };
        const cpu = createCpuEngine(data, PI);
        const { W, mu } = dualPoint(c, SEED + c);
        const pass = {
          gpu: [],
          gpuOld: [],
          cpu: [],
          numpy: [],
          numpySpec: [],
          ratioNumpy: [],
          ratioCpu: [],
          ratioOld: [],
        };
        let check = null;
        try {
          if (peer) {
            const info = await peer.ready;
            cfg.numpyBlas = info.blas ?? null;
          }
          // warm-up (pipeline compilation, page faults, BLAS threads) and a cross-check of the sums
          const sg = await gpu.pass(W, mu, ETA);
          const so = await oldPass(W, mu, ETA);
          const sc = await cpu.pass(W, mu, ETA);
          const sn = peer ? await peer.pass(W, mu, ETA, 'gemm') : null;
          if (peer) await peer.pass(W, mu, ETA, 'spec');
          check = {
            gpuVsCpu: sumsDiff(sg, sc, n),
            gpuOldVsCpu: sumsDiff(so, sc, n),
            numpyVsCpu: sn ? sumsDiff(sn, sc, n) : null,
            keepRate: sc.sumQ / n,
          };
          for (let r = 0; r < rounds(n); r++) {
            t = now();
            await gpu.pass(W, mu, ETA);
            const g = now() - t;
            t = now();
            await oldPass(W, mu, ETA);
            const go = now() - t;
            pass.gpuOld.push(go);
            pass.ratioOld.push(go / g);
            t = now();
            await cpu.pass(W, mu, ETA);
            const cj = now() - t;
            pass.gpu.push(g);
            pass.cpu.push(cj);
            pass.ratioCpu.push(cj / g);
            if (peer) {
              // the peer's own clock (excludes the JSON round trip); best of its two formulations
              const a = (await peer.pass(W, mu, ETA, 'gemm')).ms;
              const b = (await peer.pass(W, mu, ETA, 'spec')).ms;
              pass.numpy.push(a);
              pass.numpySpec.push(b);
              pass.ratioNumpy.push(Math.min(a, b) / g);
            }
          }
        } catch (e) {
          peer?.close();
          fs.rmSync(dir, { recursive: true, force: true });
          throw e;
        } finally {
          gpu.dispose();
          gpuOld.dispose();
          cpu.dispose();
        }
        const med = {
          gpuMs: median(pass.gpu),
          gpuOldMs: median(pass.gpuOld),
          cpuMs: median(pass.cpu),
          numpyMs: peer ? median(pass.numpy) : null,
          numpySpecMs: peer ? median(pass.numpySpec) : null,
        };
        med.numpyBestMs = peer ? Math.min(med.numpyMs, med.numpySpecMs) : null;
        cfg.pass = {
          samplesMs: pass,
          ...med,
          rowsPerSec: {
            gpu: n / (med.gpuMs / 1e3),
            cpu: n / (med.cpuMs / 1e3),
            numpy: peer ? n / (med.numpyBestMs / 1e3) : null,
          },
          // speed ratios, median over rounds of (peer time / GPU time): > 1 means the GPU pass is faster
          gpuSpeedupVsNumpy: peer ? median(pass.ratioNumpy) : null,
          gpuSpeedupVsCpu: median(pass.ratioCpu),
          // the GPU engine's pass against the pass before #15's encodings (f32 rows, rows + reduce)
          gpuSpeedupVsOld: median(pass.ratioOld),
          check,
        };
        const enc = cfg.gpuEncoding;
        log(
          `  GPU rows: S ${enc.s}, Y ${enc.y}, ${enc.bytesPerRow} B/row${enc.note ? ` (${enc.note})` : ''}; ` +
            `pass ${fmtMs(med.gpuMs)} ms vs ${fmtMs(med.gpuOldMs)} ms on f32 rows + the split pass (${fmtX(cfg.pass.gpuSpeedupVsOld)})`,
        );
        log(
          `  pass: GPU ${fmtMs(med.gpuMs)} ms, CPU-JS ${fmtMs(med.cpuMs)} ms, numpy ${peer ? `${fmtMs(med.numpyMs)} ms (issue's n×c form ${fmtMs(med.numpySpecMs)} ms)` : '—'}` +
            `; GPU upload ${fmtS(cfg.gpuCreateMs)}; |Δsums|/n GPU–f64 ${check.gpuVsCpu.toExponential(1)}, numpy–f64 ${check.numpyVsCpu?.toExponential(1) ?? '—'}`,
        );

        // ---- bandwidth: moments and Hessian kernels on resident data vs a copy kernel, same adapter, same run ----
        {
          const kb = await kernelBandwidth(k, data, c, rounds(n));
          const copy = await copyBandwidth(k, kb.inputBytes, rounds(n));
          const vs = (x) => x.bytesPerSec / copy.bytesPerSec;
          cfg.bandwidth = {
            ...kb,
            copy,
            vsCopy: Object.fromEntries(
              ['momentsSplitF32', 'momentsFusedF32', 'momentsCompact', 'hessianF32', 'hessianCompact'].map((key) => [
                key,
                vs(kb[key]),
              ]),
            ),
            fusedVsSplit: kb.momentsSplitF32.ms / kb.momentsFusedF32.ms,
            compactVsSplit: kb.momentsSplitF32.ms / kb.momentsCompact.ms,
            note:
              'bytes = what a pass reads of S, Y, u as bound (f32: 4·rows·(m+c+1); compact: rows·(1 + 4⌈c/32⌉ + 4)); ' +
              'copy = bytes read per second by a vec4 copy kernel, timed to queue completion',
          };
          const gbs = (x) => `${(x / 1e9).toFixed(3)} GB/s`;
          const line = (name, x) =>
            `${name} ${fmtMs(x.ms)} ms = ${gbs(x.bytesPerSec)} (${(100 * vs(x)).toFixed(1)}% of copy, ${fmtRate(x.rowsPerSec)} rows/s)`;
          log(`  kernels (${kb.rows} rows resident), copy ${gbs(copy.bytesPerSec)}:`);
          log(`    moments: ${line('split f32', kb.momentsSplitF32)}; ${line('fused f32', kb.momentsFusedF32)}`);
          log(
            `             ${line('fused u8+bits', kb.momentsCompact)}; fused ${fmtX(cfg.bandwidth.fusedVsSplit)}, compact ${fmtX(cfg.bandwidth.compactVsSplit)} the split f32 pass`,
          );
          log(`    Hessian: ${line('f32', kb.hessianF32)}; ${line('u8+bits', kb.hessianCompact)}`);
        }

        // ---- (d) end to end from a cold dual (engine creation included) ----
        cfg.e2e = {};
        if (doE2e)
          try {
            const rowsRun = async (kind) => {
              const key = `${kind}:${c}`;
              const passMs = kind === 'gpu' ? med.gpuMs : kind === 'gpu-f32' ? med.gpuOldMs : med.cpuMs;
              const seen = passesSeen.get(key);
              if (seen != null && seen.passes * passMs > e2eCap) {
                const ge = seen.lowerBound ? '≥ ' : '';
                return {
                  skipped: 'time',
                  projectedMs: seen.passes * passMs,
                  projectedPasses: seen.passes,
                  projectedLowerBound: !!seen.lowerBound,
                  projectedFrom: `${ge}${seen.passes} passes at n=${fmtN(seen.n)} × ${fmtMs(passMs)} ms/pass`,
                };
              }
              const base = kind.replace(/-(fo|f32|dense)$/, '');
              const tol = base === 'cpu' ? 1e-9 : 2e-6; // float32 sums (GPU, numpy) cannot certify below ~1e-6
              const method = base === 'numpy' || kind.endsWith('-fo') ? 'first-order' : 'auto';
              const start = now();
              const eng =
                base === 'gpu'
                  ? createGpuEngine(k, data, PI, { encoding: kind === 'gpu-f32' ? 'f32' : 'auto' })
                  : base === 'cpu'
                    ? createCpuEngine(data, PI, { layout: kind === 'cpu-dense' ? 'dense' : 'auto' })
                    : numpyEngine(peer, n, c, await createCpuEngine(data, PI).frobenius());
              const createMs = now() - start;
              const wrapped = withDeadline(eng, start + (base === 'numpy' ? numpyCap : e2eCap));
              if (kind === 'gpu-f32') gpuContextOf(k).variants['moments.pass'] = 'split';
              try {
                const res = await solveBatch(wrapped, {
                  eta: ETA,
                  pi: PI,
                  epsRep: EPS,
                  epsAssoc: EPS,
                  tolerance: 'joint',
                  tol,
                  maxIter: 20000,
                  method,
                });
                const out = {
                  wallMs: now() - start,
                  createMs,
                  solveMs: res.timeMs,
                  iterations: res.iterations,
                  passes: res.passes,
                  status: res.status,
                  keepRate: res.keepRate,
                  maxViolation: res.maxViolation,
                  kkt: res.kktResidual,
                  solver: res.solver,
                };
                // the q this dual point gives, evaluated in float64 over the same rows (for the same-q check)
                const qCpu = createCpuEngine(data, PI);
                qOf.set(kind, await qCpu.q(res.W, res.mu, ETA));
                if (!passesSeen.has(key)) passesSeen.set(key, { passes: res.passes, n });
                return out;
              } catch (e) {
                if (!(e instanceof BudgetExceeded)) throw e;
                if (!passesSeen.has(key)) passesSeen.set(key, { passes: wrapped.passes, n, lowerBound: true });
                const cap = base === 'numpy' ? numpyCap : e2eCap;
                return {
                  aborted: `time cap ${cap / 1000} s`,
                  wallMs: now() - start,
                  createMs,
                  passesDone: wrapped.passes,
                };
              } finally {
                delete gpuContextOf(k).variants['moments.pass'];
                eng.dispose();
              }
            };
            const patternRun = async () => {
              const start = now();
              const { patterns, rowToPattern } = compressPatterns({ n, m: M, c, S: data.S, Y: data.Y });
              const scanMs = now() - start;
              const eng = createCpuEngine(patterns, PI);
              const wrapped = withDeadline(eng, start + e2eCap);
              try {
                const res = await solveBatch(wrapped, {
                  eta: ETA,
                  pi: PI,
                  epsRep: EPS,
                  epsAssoc: EPS,
                  tolerance: 'joint',
                  tol: 1e-9,
                  maxIter: 20000,
                });
                const ts = now();
                const qp = await eng.q(res.W, res.mu, ETA);
                expandPatternQ(qp, rowToPattern);
                const joinMs = now() - ts;
                return {
                  wallMs: now() - start,
                  scanMs,
                  solveMs: res.timeMs,
                  joinMs,
                  patterns: patterns.n,
                  iterations: res.iterations,
                  passes: res.passes,
                  status: res.status,
                  keepRate: res.keepRate,
                  maxViolation: res.maxViolation,
                };
              } catch (e) {
                if (!(e instanceof BudgetExceeded)) throw e;
                return {
                  aborted: `time cap ${e2eCap / 1000} s`,
                  wallMs: now() - start,
                  scanMs,
                  patterns: patterns.n,
                  passesDone: wrapped.passes,
                };
              } finally {
                eng.dispose();
              }
            };
            const runs = [
              ['gpu', () => rowsRun('gpu')],
              ['gpu-f32', () => rowsRun('gpu-f32')],
              ['cpu', () => rowsRun('cpu')],
              ['cpu-dense', () => rowsRun('cpu-dense')],
            ];
            if (peer) runs.push(['numpy', () => rowsRun('numpy')]);
            if (!opts.noFirstOrder) runs.push(['gpu-fo', () => rowsRun('gpu-fo')]);
            runs.push(['patterns', patternRun]);
            for (const [name, fn] of runs) {
              const r = await fn();
              cfg.e2e[name] = r;
              const label = {
                gpu: `rows, GPU engine (S ${cfg.gpuEncoding.s}, Y ${cfg.gpuEncoding.y}), Newton (tol 2e-6)`,
                'gpu-f32': 'rows, GPU engine on f32 rows + split pass (before #15 encodings), Newton (tol 2e-6)',
                cpu: 'rows, CPU-JS f64 (categorical rows), Newton (tol 1e-9)',
                'cpu-dense': 'rows, CPU-JS f64 dense loops (before #15 categorical rows), Newton (tol 1e-9)',
                numpy: 'rows, numpy passes, first-order (tol 2e-6)',
                'gpu-fo': 'rows, GPU engine, first-order (tol 2e-6)',
                patterns: 'patterns, no u (scan + solve on counts + join)',
              }[name];
              if (r.skipped)
                log(
                  `  e2e ${label}: skipped (time), projected ${r.projectedLowerBound ? '≥' : '≈'} ${fmtS(r.projectedMs)} (${r.projectedFrom})`,
                );
              else if (r.aborted)
                log(
                  `  e2e ${label}: stopped at the ${r.aborted} after ${r.passesDone} passes${r.patterns ? ` (${r.patterns} patterns)` : ''}`,
                );
              else
                log(
                  `  e2e ${label}: ${fmtS(r.wallMs)} — ${r.status}, ${r.iterations} it / ${r.passes} passes` +
                    (name === 'patterns'
                      ? `, ${r.patterns} patterns, scan ${fmtS(r.scanMs)}, solve ${fmtS(r.solveMs)}`
                      : `, create ${fmtS(r.createMs)}`) +
                    (r.solver
                      ? `, ${r.solver.method}${r.solver.hessianPasses ? ` + ${r.solver.hessianPasses} Hessian passes (stride ${r.solver.hessianStride})` : ''}, gap ${r.solver.dualityGap.toExponential(1)}`
                      : '') +
                    `, keep ${r.keepRate.toFixed(4)}`,
                );
            }
            // same q from every engine and solver: max |q − q_cpu| over the rows
            const ref = qOf.get('cpu');
            if (ref) {
              cfg.sameQ = {};
              for (const [kind, q] of qOf) {
                if (kind === 'cpu') continue;
                let d = 0;
                for (let i = 0; i < n; i++) d = Math.max(d, Math.abs(q[i] - ref[i]));
                cfg.sameQ[kind] = d;
              }
              log(
                `  same q: max |q − q(CPU f64 Newton)| ${Object.entries(cfg.sameQ)
                  .map(([kk, d]) => `${kk} ${d.toExponential(1)}`)
                  .join(', ')}`,
              );
            }
            const e = cfg.e2e;
            const w = (r) => (r && !r.aborted && !r.skipped ? r.wallMs : null);
            if (w(e.numpy)) {
              cfg.speedupVsNumpy = {
                gpu: w(e.gpu) ? w(e.numpy) / w(e.gpu) : null,
                gpuF32: w(e['gpu-f32']) ? w(e.numpy) / w(e['gpu-f32']) : null,
                cpu: w(e.cpu) ? w(e.numpy) / w(e.cpu) : null,
                cpuDense: w(e['cpu-dense']) ? w(e.numpy) / w(e['cpu-dense']) : null,
              };
              log(
                `  end to end vs numpy: GPU Newton ${fmtX(cfg.speedupVsNumpy.gpu)} (f32 rows + split ${fmtX(cfg.speedupVsNumpy.gpuF32)}), CPU Newton ${fmtX(cfg.speedupVsNumpy.cpu)} (dense loops ${fmtX(cfg.speedupVsNumpy.cpuDense)})`,
              );
            }
          } finally {
            peer?.close();
            fs.rmSync(dir, { recursive: true, force: true });
          }
        else {
          peer?.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    fs.rmSync(tmpRoot, { recursive: true, force: true });
    k.destroy();
  }
  results.machine.loadavgEnd = os.loadavg();
  results.totalMs = now() - t0;
  results.verdict = verdict(results);
  results.table = table(results);

  log('\n' + results.table);
  log('\n' + results.verdict.map((s) => `• ${s}`).join('\n'));
  log(`\ntotal ${fmtS(results.totalMs)}`);
  if (opts.write !== false) {
    const dir = path.join(here, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `balance-${started.toISOString().replace(/:/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(results, null, 1) + '\n');
    results.file = file;
    log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  return results;
}

function table(res) {
  const head = [
    'n',
    'c',
    'GPU ms',
    'CPU-JS ms',
    'numpy ms',
    'GPU rows/s',
    'CPU-JS rows/s',
    'numpy rows/s',
    'GPU÷numpy',
    'GPU÷CPU-JS',
    'e2e GPU',
    'e2e CPU-JS',
    'e2e patterns',
  ];
  const rows = [];
  const e2eCell = (r) =>
    !r
      ? '—'
      : r.skipped
        ? `${r.projectedLowerBound ? '≥' : '~'}${fmtS(r.projectedMs)}*`
        : r.aborted
          ? `>${fmtS(r.wallMs)}`
          : `${fmtS(r.wallMs)} (${r.passes})`;
  for (const cfg of res.configs) {
    if (cfg.skipped) {
      rows.push({ skipped: `${fmtN(cfg.n).padEnd(3)}  ${String(cfg.c).padEnd(3)}  skipped (${cfg.skipped})` });
      continue;
    }
    const p = cfg.pass;
    rows.push([
      fmtN(cfg.n),
      String(cfg.c),
      fmtMs(p.gpuMs),
      fmtMs(p.cpuMs),
      fmtMs(p.numpyBestMs),
      fmtRate(p.rowsPerSec.gpu),
      fmtRate(p.rowsPerSec.cpu),
      fmtRate(p.rowsPerSec.numpy),
      fmtX(p.gpuSpeedupVsNumpy),
      fmtX(p.gpuSpeedupVsCpu),
      e2eCell(cfg.e2e?.gpu),
      e2eCell(cfg.e2e?.cpu),
      cfg.e2e?.patterns ? `${e2eCell(cfg.e2e.patterns)} [${cfg.e2e.patterns.patterns} pat]` : '—',
    ]);
  }
  const w = head.map((h, j) => Math.max(h.length, ...rows.filter((r) => !r.skipped).map((r) => r[j].length)));
  const line = (r) => (r.skipped ? r.skipped : r.map((x, j) => (j < 2 ? x.padEnd(w[j]) : x.padStart(w[j]))).join('  '));
  return [
    `M4 balance throughput on ${res.adapter?.description ?? 'GPU'} — pass = one solver iteration (median ms); rows/s = n / pass time`,
    line(head),
    line(w.map((x) => '-'.repeat(x))),
    ...rows.map(line),
    'GPU÷peer = peer time / GPU time, median over back-to-back rounds (> 1: the GPU pass is faster). numpy = float32 + BLAS, faster of its two forms.',
    `e2e = engine creation + solveBatch from a cold dual, wall time (passes); ~X* = projected (passes at the smallest n × this pass time; over the ${res.solver.e2eCapMs / 1000} s cap);`,
    '>X = stopped at the time cap. e2e patterns = compressPatterns scan + CPU solve on counts + join back (rows without u).',
  ].join('\n');
}

function verdict(res) {
  const ok = res.configs.filter((c) => c.pass);
  const out = [];
  const list = (xs) => xs.map((c) => `n=${fmtN(c.n)}/c=${c.c} ${fmtX(c.r)}`).join(', ');
  const sw = res.adapter?.isSoftware ? 'this software adapter' : 'this adapter';
  for (const [peer, key] of [
    ['numpy', 'gpuSpeedupVsNumpy'],
    ['the float64 CPU-JS engine', 'gpuSpeedupVsCpu'],
  ]) {
    const xs = ok.filter((c) => c.pass[key] != null).map((c) => ({ ...c, r: c.pass[key] }));
    if (!xs.length) {
      if (peer === 'numpy') out.push(`numpy was not available (${res.numpy?.reason}); no vectorised-CPU comparison.`);
      continue;
    }
    const wins = xs.filter((c) => c.r > 1.05);
    const loses = xs.filter((c) => c.r < 0.95);
    const ties = xs.filter((c) => c.r >= 0.95 && c.r <= 1.05);
    let s = `Per iteration vs ${peer}: `;
    s += wins.length ? `the GPU pass wins at ${list(wins)}` : `the GPU pass wins nowhere on ${sw}`;
    if (loses.length) s += `; it loses at ${list(loses)} (speed ratio GPU÷${peer === 'numpy' ? 'numpy' : 'CPU-JS'})`;
    if (ties.length) s += `; within ±5% at ${list(ties)}`;
    out.push(s + '.');
  }
  // end to end, rows path: measured where both ran, else the projection
  const wall = (r) => (!r ? null : r.skipped ? r.projectedMs : r.aborted ? null : r.wallMs);
  const e2e = ok.filter((c) => wall(c.e2e?.gpu) != null && wall(c.e2e?.cpu) != null);
  if (e2e.length) {
    const tag = (r) => (r.skipped ? (r.projectedLowerBound ? ' (≥, projected)' : ' (projected)') : '');
    out.push(
      'End to end, rows path from a cold dual (GPU tol 2e-6, CPU-JS tol 1e-9), speed ratio CPU-JS time ÷ GPU time: ' +
        e2e
          .map(
            (c) =>
              `n=${fmtN(c.n)}/c=${c.c} ${fmtX(wall(c.e2e.cpu) / wall(c.e2e.gpu))} (GPU ${fmtS(wall(c.e2e.gpu))}${tag(c.e2e.gpu)}, ${c.e2e.gpu.passes ?? c.e2e.gpu.projectedPasses} passes; CPU-JS ${fmtS(wall(c.e2e.cpu))}${tag(c.e2e.cpu)}, ${c.e2e.cpu.passes ?? c.e2e.cpu.projectedPasses})`,
          )
          .join('; ') +
        '.',
    );
  }
  const pat = ok.filter((c) => c.e2e?.patterns?.wallMs != null && !c.e2e.patterns.aborted);
  if (pat.length) {
    out.push(
      'Pattern path (same rows without u): ' +
        pat
          .map((c) => {
            const p = c.e2e.patterns;
            const rows = wall(c.e2e.gpu);
            const vs =
              rows != null
                ? `; the GPU rows path takes ${fmtS(rows)}${c.e2e.gpu.skipped ? ' (projected)' : ''}, ${fmtX(rows / p.wallMs)} longer`
                : '';
            return `n=${fmtN(c.n)}/c=${c.c} ${p.patterns} patterns, ${fmtS(p.wallMs)} total, scan ${Math.round((100 * p.scanMs) / p.wallMs)}%${vs}`;
          })
          .join('; ') +
        '.',
    );
  }
  return out;
}

// ---- standalone ---------------------------------------------------------------------------------------------------------
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const list = (name) => {
    const a = args.find((x) => x.startsWith(`--${name}=`));
    return a ? a.split('=')[1].split(',').map(Number) : undefined;
  };
  runBalanceBench({
    quick: args.includes('--quick'),
    ns: list('n'),
    cs: list('c'),
    e2e: !args.includes('--no-e2e'),
    noFirstOrder: args.includes('--no-first-order'),
    numpyCapMs: list('numpy-cap')?.[0] * 1000 || undefined,
    e2eCapMs: list('e2e-cap')?.[0] * 1000 || undefined,
  })
    .then(() => process.exit(0))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
