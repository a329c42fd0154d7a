// Retrieval throughput (queries·items/s) of m4kit's chunked GPU search (matmul Q·Xᵀ + per-row top-k, host
// merge) beside numpy (BLAS matmul + argpartition) on the same data, in the same run.
//   node bench/retrieval.mjs [--quick]
import '@m4kit/kernels/node';
import { init } from '@m4kit/kernels';
import { searchTopK } from '@m4kit/sdk';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// OPENBLAS_CORETYPE=SkylakeX only where the CPU has AVX-512 (it crashes numpy on AVX2-only CPUs)
const pyEnv = { ...process.env };
try {
  if (/avx512f/.test(readFileSync('/proc/cpuinfo', 'utf8'))) pyEnv.OPENBLAS_CORETYPE = 'SkylakeX';
} catch {}

function rand(n, seed) {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

const NUMPY = `
import sys, time, numpy as np
q = np.fromfile(sys.argv[1], dtype=np.float32).reshape(int(sys.argv[3]), -1)
x = np.fromfile(sys.argv[2], dtype=np.float32).reshape(int(sys.argv[4]), -1)
k = int(sys.argv[5]); reps = int(sys.argv[6]); chunk = 65536
def run():
    best_s = None; best_i = None
    for s in range(0, x.shape[0], chunk):
        sc = q @ x[s:s+chunk].T
        kk = min(k, sc.shape[1]); idx = np.argpartition(-sc, kk - 1, axis=1)[:, :kk]
        val = np.take_along_axis(sc, idx, 1); idx = idx + s
        if best_s is None: best_s, best_i = val, idx
        else:
            best_s = np.concatenate([best_s, val], 1); best_i = np.concatenate([best_i, idx], 1)
            o = np.argpartition(-best_s, k - 1, axis=1)[:, :k]
            best_s = np.take_along_axis(best_s, o, 1); best_i = np.take_along_axis(best_i, o, 1)
    return best_i
run(); t = []
for _ in range(reps):
    t0 = time.perf_counter(); run(); t.append(time.perf_counter() - t0)
print(sorted(t)[len(t)//2])
`;

export async function runRetrievalBench({ quick = false } = {}) {
  const d = 512;
  const nq = quick ? 16 : 64;
  const k = 10;
  const sizes = quick ? [1e4, 1e5] : [1e5, 1e6];
  const loadavgStart = loadavg();
  const tmp = mkdtempSync(join(tmpdir(), 'm4kit-ret-'));
  const py = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { env: pyEnv });
  const hasNumpy = py.status === 0;
  writeFileSync(join(tmp, 'bench.py'), NUMPY);
  const kernels = await init({ backend: 'webgpu' });
  const rows = [];
  try {
    const q = { n: nq, d, data: rand(nq * d, 1) };
    writeFileSync(join(tmp, 'q.f32'), Buffer.from(q.data.buffer));
    for (const n of sizes) {
      const x = { n, d, data: rand(n * d, 2) };
      await searchTopK(kernels, q, { n: Math.min(n, 4096), d, data: x.data.subarray(0, Math.min(n, 4096) * d) }, k); // warm-up (compiles)
      const t0 = performance.now();
      await searchTopK(kernels, q, x, k, { chunkItems: 65536 });
      const gpuS = (performance.now() - t0) / 1000;
      let npS = null;
      if (hasNumpy) {
        writeFileSync(join(tmp, 'x.f32'), Buffer.from(x.data.buffer));
        const r = spawnSync(
          '/usr/bin/python3',
          [join(tmp, 'bench.py'), join(tmp, 'q.f32'), join(tmp, 'x.f32'), String(nq), String(n), String(k), '3'],
          {
            encoding: 'utf8',
            env: pyEnv,
          },
        );
        npS = r.status === 0 ? Number(r.stdout.trim()) : null;
      }
      rows.push({
        items: n,
        queries: nq,
        d,
        k,
        gpuSeconds: gpuS,
        gpuQIps: (nq * n) / gpuS,
        numpySeconds: npS,
        numpyQIps: npS ? (nq * n) / npS : null,
      });
    }
  } finally {
    kernels.destroy();
  }
  const result = {
    bench: 'retrieval',
    createdAt: new Date().toISOString(),
    adapter: kernels.adapter,
    numpy: hasNumpy,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavgStart, loadavgEnd: loadavg() },
    rows,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `retrieval-${result.createdAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(
    `\nretrieval top-${rows[0]?.k} (d = 512, ${rows[0]?.queries} queries) on ${kernels.adapter?.description ?? 'webgpu'}`,
  );
  console.log('items      m4kit GPU q·items/s   numpy q·items/s   GPU/numpy');
  for (const r of rows) {
    console.log(
      `${String(r.items).padEnd(10)} ${r.gpuQIps.toExponential(2).padStart(18)} ${r.numpyQIps ? r.numpyQIps.toExponential(2).padStart(17) : '      n/a (no numpy)'} ${r.numpyQIps ? (r.gpuQIps / r.numpyQIps).toFixed(2).padStart(10) : ''}`,
    );
  }
  console.log(`wrote ${file}`);
  result.file = file;
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`)
  await runRetrievalBench({ quick: process.argv.includes('--quick') });
