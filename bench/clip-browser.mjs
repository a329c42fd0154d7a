// Chromium side of bench/clip.mjs (bundled with esbuild): the m4kit towers on the page's WebGPU adapter and
// onnxruntime-web (WebGPU EP, loaded at run time from /ort/) on the same ONNX exports, one per page load; each
// tower within its budget (lib/clip-model.mjs timeBatches). Weights are read through the SDK's openSafetensors
// (openClipWeights) over HTTP ranges of the bench's server (/w/bytes?a=&b=); the ONNX models from /visual.onnx and
// /textual.onnx.
// (the package entries, bundled by esbuild with the browser conditions: one copy of the kernels for all of them)
import * as kernels from '@m4kit/kernels';
import { gpuContextOf } from '@m4kit/kernels/advanced';
import { resolveClipConfig } from '@m4kit/sdk';
import { createGpuTowers, openClipWeights } from '@m4kit/sdk/advanced';
import { randomPixels, randomTokens, timeBatches } from './lib/clip-model.mjs';

const log = (s) => console.log('[bench] ' + s);

async function adapterInfo() {
  const a = await navigator.gpu?.requestAdapter();
  if (!a) return null;
  const i = a.info ?? {};
  return { vendor: i.vendor, architecture: i.architecture, description: i.description, features: [...a.features] };
}

const httpReader = (size) => ({
  size,
  read: async (a, n) => new Uint8Array(await (await fetch(`/w/bytes?a=${a}&b=${a + n}`)).arrayBuffer()),
});

async function benchM4kit(o) {
  const idx = await (await fetch('/w/index.json')).json();
  const cfg = resolveClipConfig(idx.config);
  const k = await kernels.init({ backend: 'webgpu' });
  const t0 = performance.now();
  const weights = await openClipWeights(httpReader(idx.size), cfg, 'open_clip_model.safetensors');
  const towers = await createGpuTowers(k, cfg, weights, { precision: o.precision });
  await weights.close();
  await k.sync();
  // the load's uploads (and f16 casts) finish here, not inside the first timed call
  await gpuContextOf(k).device.queue.onSubmittedWorkDone();
  const loadS = (performance.now() - t0) / 1000;
  const weightsBytes = gpuContextOf(k).pool.liveBytes;
  log(
    `m4kit ${o.precision}: both towers on the device in ${loadS.toFixed(1)} s (${(weightsBytes / 2 ** 20).toFixed(0)} MiB)`,
  );
  const part = (globalThis.__clipPartial = { loadS, weightsBytes, results: [], text: [] });
  const meter = () => gpuContextOf(k).pool.meter();
  const S = cfg.vision.imageSize;
  const { contextLength: L, vocabSize: V } = cfg.text;
  await timeBatches(
    (x, n) => towers.encodeImage(x, n),
    (n, seed) => randomPixels(n, S, seed),
    { ...o, budgetS: o.budgets.image, meter, out: part.results, onLog: (s) => log(`m4kit image ${s}`) },
  );
  await timeBatches(
    (x, n) => towers.encodeText(x, n),
    (n, seed) => randomTokens(n, L, V, seed),
    {
      ...o,
      batches: o.textBatches,
      budgetS: o.budgets.text,
      meter,
      out: part.text,
      onLog: (s) => log(`m4kit text ${s}`),
    },
  );
  towers.dispose();
  k.destroy();
  return part;
}

async function benchOrt(o) {
  const ort = await import(/* @vite-ignore */ '/ort/ort.webgpu.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const idx = await (await fetch('/w/index.json')).json();
  const S = idx.config.model_cfg.vision_cfg.image_size;
  const { context_length: L, vocab_size: V } = idx.config.model_cfg.text_cfg;
  const part = (globalThis.__clipPartial = { results: [], text: [] });
  let t0 = performance.now();
  let session = await ort.InferenceSession.create('/visual.onnx', { executionProviders: ['webgpu'] });
  part.loadS = (performance.now() - t0) / 1000;
  log(`onnxruntime-web: image session in ${part.loadS.toFixed(1)} s`);
  await timeBatches(
    async (x, n) => (await session.run({ pixels: new ort.Tensor('float32', x, [n, 3, S, S]) })).features.data,
    (n, seed) => randomPixels(n, S, seed),
    { ...o, budgetS: o.budgets.image, out: part.results, onLog: (s) => log(`onnxruntime-web image ${s}`) },
  );
  await session.release();
  t0 = performance.now();
  session = await ort.InferenceSession.create('/textual.onnx', { executionProviders: ['webgpu'] });
  part.textLoadS = (performance.now() - t0) / 1000;
  log(`onnxruntime-web: text session in ${part.textLoadS.toFixed(1)} s`);
  await timeBatches(
    async (x, n) =>
      (await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.from(x, BigInt), [n, L]) })).features.data,
    (n, seed) => randomTokens(n, L, V, seed),
    {
      ...o,
      batches: o.textBatches,
      budgetS: o.budgets.text,
      out: part.text,
      onLog: (s) => log(`onnxruntime-web text ${s}`),
    },
  );
  await session.release();
  return { version: ort.env.versions?.web ?? ort.env.versions?.common, ...part };
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
