// Node worker: `node bench/node-worker.mjs m4kit|ort '<json opts>'`; prints progress, then one line "RESULT <json>".
import { benchM4kit } from './lib/m4kit.mjs';
import { measure, na, randomMatrix, spotCheck } from './lib/measure.mjs';
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
    result = { info, measurements: opts.shapes.map((shape) => ({ impl: 'onnxruntime-node', variant: 'cpu', shape, ...na(`cannot load onnxruntime-node: ${e?.message ?? e}`) })) };
  }
  if (ort) {
    for (const [M, K, N] of opts.shapes) {
      const rec = { impl: 'onnxruntime-node', variant: 'cpu', shape: [M, K, N] };
      try {
        const session = await ort.InferenceSession.create(matmulModel(M, K, N), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
        const a = randomMatrix(M * K, 1);
        const b = randomMatrix(K * N, 2);
        const feeds = { A: new ort.Tensor('float32', a, [M, K]), B: new ort.Tensor('float32', b, [K, N]) };
        // session.run returns host memory: every call ends in its own "readback"
        const r = await measure(
          { run: () => session.run(feeds), read: async (p) => (await p).C.data },
          { flops: 2 * M * K * N, budgetMs: opts.budgetMs, maxReps: opts.maxReps, maxTrials: opts.maxTrials, check: (c) => spotCheck(a, b, c, M, K, N) },
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
}
console.log('RESULT ' + JSON.stringify(result));
process.exit(0);
