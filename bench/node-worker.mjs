// Node worker: `node bench/node-worker.mjs m4kit|ort|tfjs '<json opts>'`; prints progress, then one line "RESULT <json>".
import { benchM4kit } from './lib/m4kit.mjs';
import { estSeconds, measure, na, randomMatrix, spotCheck } from './lib/measure.mjs';
import { matmulModel } from './lib/onnx-matmul.mjs';

const [what, json] = process.argv.slice(2);
const opts = JSON.parse(json);
const log = (s) => console.log(s);
let result;
if (what === 'm4kit') {
  const kernels = await import('@m4kit/kernels/node');
  result = await benchM4kit(kernels, { ...opts, log });
} else if (what === 'ort') {
  const measurements = [];
  let info = {};
  let ort;
  try {
    ort = (await import('onnxruntime-node')).default;
    info = { version: ort.env?.versions?.node ?? ort.env?.versions?.common, executionProvider: 'cpu' };
  } catch (e) {
    result = {
      info,
      measurements: opts.shapes.map((shape) => ({
        impl: 'onnxruntime-node',
        variant: 'cpu',
        shape,
        ...na(`cannot load onnxruntime-node: ${e?.message ?? e}`),
      })),
    };
  }
  if (ort) {
    for (const [M, K, N] of opts.shapes) {
      const rec = { impl: 'onnxruntime-node', variant: 'cpu', shape: [M, K, N] };
      try {
        const session = await ort.InferenceSession.create(matmulModel(M, K, N), {
          executionProviders: ['cpu'],
          graphOptimizationLevel: 'all',
        });
        const a = randomMatrix(M * K, 1);
        const b = randomMatrix(K * N, 2);
        const feeds = { A: new ort.Tensor('float32', a, [M, K]), B: new ort.Tensor('float32', b, [K, N]) };
        // session.run returns host memory: every call ends in its own "readback"
        const r = await measure(
          { run: () => session.run(feeds), read: async (p) => (await p).C.data },
          {
            flops: 2 * M * K * N,
            budgetMs: opts.budgetMs,
            maxReps: opts.maxReps,
            maxTrials: opts.maxTrials,
            check: (c) => spotCheck(a, b, c, M, K, N),
          },
        );
        measurements.push({ ...rec, ...r });
        log(`  onnxruntime-node ${M}x${K}x${N}: ${r.gflops.toFixed(2)} GFLOP/s`);
        await session.release?.();
      } catch (e) {
        measurements.push({ ...rec, ...na(e?.message ?? e) });
      }
    }
    result = { info, measurements };
  }
} else if (what === 'tfjs') {
  // @tensorflow/tfjs-backend-webgpu on the same Dawn adapter as m4kit (lavapipe here): the same-adapter WebGPU peer
  const measurements = [];
  let info = {};
  try {
    const { nodeGPU } = await import('@m4kit/kernels/node'); // Dawn, with the WebGPU globals installed
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu: nodeGPU(), userAgent: 'node' },
      configurable: true,
    });
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu')
      throw new Error(`tfjs webgpu backend unavailable (backend: ${tf.getBackend()})`);
    await tf.ready();
    info = { version: tf.version_core, backend: 'webgpu (Dawn)' };
    let rate = 0;
    for (const [M, K, N] of opts.shapes) {
      const rec = { impl: 'tfjs-webgpu', variant: 'tf.matMul', shape: [M, K, N] };
      const est = estSeconds(2 * M * K * N, rate);
      if (opts.maxCallSeconds && est > opts.maxCallSeconds) {
        measurements.push({
          ...rec,
          ...na(
            `skipped: ~${est.toFixed(0)} s per call at the rate measured on a smaller shape (cap ${opts.maxCallSeconds} s)`,
          ),
        });
        log(`  tfjs-webgpu ${M}x${K}x${N}: skipped (est ${est.toFixed(0)} s/call)`);
        continue;
      }
      const a = randomMatrix(M * K, 1);
      const b = randomMatrix(K * N, 2);
      const A = tf.tensor2d(a, [M, K]);
      const B = tf.tensor2d(b, [K, N]);
      try {
        const r = await measure(
          { run: () => tf.matMul(A, B), read: (C) => C.data(), dispose: (C) => C.dispose() },
          {
            flops: 2 * M * K * N,
            budgetMs: opts.budgetMs,
            maxReps: opts.maxReps,
            maxTrials: opts.maxTrials,
            check: (c) => spotCheck(a, b, c, M, K, N),
          },
        );
        rate = r.gflops;
        measurements.push({ ...rec, ...r });
        log(`  tfjs-webgpu ${M}x${K}x${N}: ${r.gflops.toFixed(2)} GFLOP/s`);
      } catch (e) {
        measurements.push({ ...rec, ...na(e?.message ?? e) });
      } finally {
        A.dispose();
        B.dispose();
      }
    }
  } catch (e) {
    for (const shape of opts.shapes)
      if (!measurements.some((m) => m.shape === shape))
        measurements.push({
          impl: 'tfjs-webgpu',
          variant: 'tf.matMul',
          shape,
          ...na(`tfjs-webgpu in Node: ${e?.message ?? e}`),
        });
  }
  result = { info, measurements };
}
console.log('RESULT ' + JSON.stringify(result));
process.exit(0);
