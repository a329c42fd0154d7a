// Chromium side of bench/clip.mjs (bundled with esbuild): the m4kit image tower on the page's WebGPU adapter and
// onnxruntime-web (WebGPU EP, loaded at run time from /ort/) on the same ONNX export, one per page load.
// Weights come from the bench's server one tensor at a time (/w/index.json, /w/bytes?a=&b=), the model from /model.onnx.
import { createGpuTowers, kernels } from '../packages/sdk/dist/browser/m4kit.js';
import { resolveConfig, timeBatches, weightSource } from './lib/clip-model.mjs';

const log = (s) => console.log('[bench] ' + s);

async function adapterInfo() {
  const a = await navigator.gpu?.requestAdapter();
  if (!a) return null;
  const i = a.info ?? {};
  return { vendor: i.vendor, architecture: i.architecture, description: i.description, features: [...a.features] };
}

async function benchM4kit(o) {
  const idx = await (await fetch('/w/index.json')).json();
  const cfg = resolveConfig(idx.config);
  const src = weightSource(
    idx.header,
    idx.dataStart,
    async (a, b) => new Uint8Array(await (await fetch(`/w/bytes?a=${a}&b=${b}`)).arrayBuffer()),
  );
  const k = await kernels.init({ backend: 'webgpu' });
  const t0 = performance.now();
  const towers = await createGpuTowers(k, cfg, src, { precision: o.precision, towers: { text: false } });
  await k.sync();
  // the load's uploads (and f16 casts) finish here, not inside the first timed call
  await kernels.gpuContextOf(k).device.queue.onSubmittedWorkDone();
  const loadS = (performance.now() - t0) / 1000;
  const weightsBytes = kernels.gpuContextOf(k).pool.liveBytes;
  log(
    `m4kit ${o.precision}: weights on the device in ${loadS.toFixed(1)} s (${(weightsBytes / 2 ** 20).toFixed(0)} MiB)`,
  );
  const results = await timeBatches((x, n) => towers.encodeImage(x, n), {
    ...o,
    out: (globalThis.__clipPartial = { loadS, weightsBytes, results: [] }).results,
    S: cfg.vision.imageSize,
    meter: () => kernels.gpuContextOf(k).pool.meter(),
    onLog: (s) => log(`m4kit ${s}`),
  });
  towers.dispose();
  k.destroy();
  return { loadS, weightsBytes, results };
}

async function benchOrt(o) {
  const ort = await import(/* @vite-ignore */ '/ort/ort.webgpu.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create('/model.onnx', { executionProviders: ['webgpu'] });
  const loadS = (performance.now() - t0) / 1000;
  log(`onnxruntime-web: session in ${loadS.toFixed(1)} s`);
  const results = await timeBatches(
    async (x, n) => {
      const r = await session.run({ pixels: new ort.Tensor('float32', x, [n, 3, o.S, o.S]) });
      return r.features.data;
    },
    {
      ...o,
      onLog: (s) => log(`onnxruntime-web ${s}`),
      out: (globalThis.__clipPartial = { loadS, results: [] }).results,
    },
  );
  return { version: ort.env.versions?.web ?? ort.env.versions?.common, loadS, results };
}

globalThis.__clipBench = async (what, o) => {
  try {
    const adapter = await adapterInfo();
    if (what === 'm4kit') return { adapter, ...(await benchM4kit(o)) };
    return { adapter, ...(await benchOrt(o)) };
  } catch (e) {
    return { error: String(e?.stack ?? e) };
  }
};
globalThis.__benchReady = true;
