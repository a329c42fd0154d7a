// Deno worker: `deno run --unstable-webgpu -A bench/deno-worker.mjs '<json opts>'`; prints "RESULT <json>".
import * as kernels from '../packages/kernels/dist/index.js';
import { benchM4kit } from './lib/m4kit.mjs';

const opts = JSON.parse(Deno.args[0]);
const result = await benchM4kit(kernels, { ...opts, log: (s) => console.log(s) });
result.denoVersion = Deno.version;
console.log('RESULT ' + JSON.stringify(result));
Deno.exit(0);
