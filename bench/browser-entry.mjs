// Browser bench (bundled by bench/run.mjs with esbuild): m4kit, tfjs-backend-webgpu and onnxruntime-web
// (WebGPU EP, loaded at run time from /ort/) in the same Chromium. One implementation per page load.
import * as kernels from '../packages/kernels/dist/index.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { benchM4kit } from './lib/m4kit.mjs';
import { estSeconds, measure, na, randomMatrix, spotCheck } from './lib/measure.mjs';
import { matmulModel } from './lib/onnx-matmul.mjs';

const log = (s) => console.log('[bench] ' + s);

async function adapterInfo() {
  try {
    const a = await navigator.gpu?.requestAdapter();
    if (!a) return null;
    const i = a.info ?? {};
    return {
      vendor: i.vendor,
      architecture: i.architecture,
      device: i.device,
      description: i.description,
      features: [...a.features],
    };
  } catch (e) {
    return { error: String(e) };
  }
}

async function eachShape(opts, impl, variant, body) {
  const out = [];
  let rate = 0; // GFLOP/s on the previous shape: skip a shape whose single call would exceed maxCallSeconds
  for (const [M, K, N] of opts.shapes) {
    const rec = { impl, variant, shape: [M, K, N] };
    const est = estSeconds(2 * M * K * N, rate);
    if (opts.maxCallSeconds && est > opts.maxCallSeconds) {
      out.push({
        ...rec,
        ...na(
          `skipped: ~${est.toFixed(0)} s per call at the rate measured on a smaller shape (cap ${opts.maxCallSeconds} s)`,
        ),
      });
      log(`${impl} ${M}x${K}x${N}: skipped (est ${est.toFixed(0)} s/call)`);
      continue;
    }
    try {
      const r = await body(M, K, N);
      if (r.status === 'ok') rate = r.gflops;
      out.push({ ...rec, ...r });
      log(`${impl} ${M}x${K}x${N}: ${r.status === 'ok' ? r.gflops.toFixed(2) + ' GFLOP/s' : r.reason}`);
    } catch (e) {
      out.push({ ...rec, ...na(e?.message ?? e) });
      log(`${impl} ${M}x${K}x${N}: n/a ${e?.message ?? e}`);
    }
  }
  return out;
}

async function benchTfjs(opts) {
  const ok = await tf.setBackend('webgpu');
  await tf.ready();
  if (!ok || tf.getBackend() !== 'webgpu')
    throw new Error(`tfjs webgpu backend unavailable (backend: ${tf.getBackend()})`);
  const measurements = await eachShape(opts, 'tfjs-webgpu', 'tf.matMul', async (M, K, N) => {
    const a = randomMatrix(M * K, 1);
    const b = randomMatrix(K * N, 2);
    const A = tf.tensor2d(a, [M, K]);
    const B = tf.tensor2d(b, [K, N]);
    try {
      return await measure(
        { run: () => tf.matMul(A, B), read: (C) => C.data(), dispose: (C) => C.dispose() },
        { flops: 2 * M * K * N, ...opts.timing, check: (c) => spotCheck(a, b, c, M, K, N) },
      );
    } finally {
      A.dispose();
      B.dispose();
    }
  });
  return { version: tf.version_core, measurements };
}

async function benchOrt(opts) {
  const ort = await import(/* @vite-ignore */ '/ort/ort.webgpu.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1; // no cross-origin isolation here, so no wasm threads anyway
  const measurements = await eachShape(opts, 'onnxruntime-web', 'webgpu EP', async (M, K, N) => {
    const session = await ort.InferenceSession.create(matmulModel(M, K, N), {
      executionProviders: ['webgpu'],
      preferredOutputLocation: 'gpu-buffer',
    });
    const a = randomMatrix(M * K, 1);
    const b = randomMatrix(K * N, 2);
    // inputs live on the GPU (IO binding), outputs stay there: only the last call of a batch is read back
    const device = ort.env.webgpu.device;
    const upload = (arr, dims) => {
      const buf = device.createBuffer({
        size: arr.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(buf, 0, arr);
      return { buf, t: ort.Tensor.fromGpuBuffer(buf, { dataType: 'float32', dims }) };
    };
    const A = upload(a, [M, K]);
    const B = upload(b, [K, N]);
    const feeds = { A: A.t, B: B.t };
    let chain = Promise.resolve();
    try {
      const r = await measure(
        {
          // session.run must not overlap: chain the calls (each resolves once its GPU work is queued)
          run: () => (chain = chain.then(() => session.run(feeds))),
          read: async (p) => (await p).C.getData(),
          dispose: (p) => p.then((o) => o.C.dispose()),
        },
        { flops: 2 * M * K * N, ...opts.timing, check: (c) => spotCheck(a, b, c, M, K, N) },
      );
      r.io = 'gpu-buffer';
      return r;
    } finally {
      await chain.catch(() => {});
      await session.release();
      A.buf.destroy();
      B.buf.destroy();
    }
  });
  return { version: ort.env.versions?.web ?? ort.env.versions?.common, measurements };
}

globalThis.__bench = async (what, opts) => {
  const adapter = await adapterInfo();
  const timing = { budgetMs: opts.budgetMs, maxReps: opts.maxReps, maxTrials: opts.maxTrials };
  try {
    if (what === 'm4kit') return { adapter, ...(await benchM4kit(kernels, { ...opts, log })) };
    if (what === 'tfjs') return { adapter, ...(await benchTfjs({ ...opts, timing })) };
    if (what === 'ort') return { adapter, ...(await benchOrt({ ...opts, timing })) };
    throw new Error(`unknown bench ${what}`);
  } catch (e) {
    return { adapter, error: String(e?.stack ?? e) };
  }
};
globalThis.__benchReady = true;
