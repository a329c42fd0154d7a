#!/usr/bin/env node
// Diagnostic for bench/balance.mjs: where the fused moments pass spends its time on this adapter, and a
// prototype of a column-owner reduce (proposal only; packages/kernels is unchanged).
//   node bench/balance-kernel-proto.mjs [n=1000000] [c=10]
// Times, per dispatch: the shipped rows kernel, the shipped reduce kernel (one invocation per output, each
// re-reading z, s and y for every row), and the prototype reduce (one invocation per label column r owning all
// m+1 sums of that column, rows split over the workgroup's spare lanes), and checks the prototype's sums.
import '@m4kit/kernels/node';
import { createGpuEngine } from '@m4kit/sdk';
import { init, momentsPass, foldMomentsPartials, momentsOutputs, uniforms, ceilDiv } from '@m4kit/kernels';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const n = Number(process.argv[2] ?? 1e6);
const c = Number(process.argv[3] ?? 10);
const m = 2;
const WG = 64;

// the shipped kernels, copied from packages/kernels/src/ops/moments/moments.ts (to time each dispatch alone)
const src = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/kernels/src/ops/moments/moments.ts'), 'utf8');
const grab = (name) => src.split(`const ${name} = \``)[1].split('`;')[0].replaceAll('${WG}', String(WG));
const rowSource = grab('rowSource');
const reduceSource = grab('reduceSource');

// prototype: x = label column r in [0, c] (+ one extra column for Σw, Σo), lanes = rows interleaved within the block
const JW = Math.min(64, 2 ** Math.ceil(Math.log2(c + 2)));
const LANES = WG / JW;
const protoSource = `
struct Params { n: u32, m: u32, c: u32, flags: u32, rowsPerBlock: u32, R: u32, sBase: u32, yBase: u32, wBase: u32, p0: u32, p1: u32, p2: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read> Z: array<f32>;
@group(0) @binding(5) var<storage, read_write> Part: array<f32>;
const M = ${m}u;
var<workgroup> red: array<f32, ${WG * (m + 1)}>;
@compute @workgroup_size(${JW}, ${LANES})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = wg.x * ${JW}u + l.x;          // column: 0 = first order, 1..c = label r-1, c+1 = (Σw, Σo)
  let c1 = p.c + 1u;
  let i0 = wg.y * p.rowsPerBlock;
  let i1 = min(i0 + p.rowsPerBlock, p.n);
  var s: array<f32, ${m + 1}>; var e: array<f32, ${m + 1}>;   // Kahan sums: P[k][r] (k < M), g[r] (k = M)
  if (r <= p.c) {
    for (var i = i0 + l.y; i < i1; i += ${LANES}u) {
      var z = Z[i];
      if (r > 0u) { z *= Y[p.yBase + i * p.c + r - 1u]; }
      for (var k = 0u; k <= M; k++) {
        var x = z;
        if (k < M) { x *= S[p.sBase + i * M + k]; }
        let yk = x - e[k]; let tk = s[k] + yk; e[k] = (tk - s[k]) - yk; s[k] = tk;
      }
    }
  } else if (r == c1) {
    for (var i = i0 + l.y; i < i1; i += ${LANES}u) {
      let x0 = select(1.0, Wt[p.wBase + i], (p.flags & 2u) != 0u);
      let x1 = Z[p.n + i];
      var yk = x0 - e[0]; var tk = s[0] + yk; e[0] = (tk - s[0]) - yk; s[0] = tk;
      yk = x1 - e[1]; tk = s[1] + yk; e[1] = (tk - s[1]) - yk; s[1] = tk;
    }
  }
  let li = l.y * ${JW}u + l.x;
  for (var k = 0u; k <= M; k++) { red[li * ${m + 1}u + k] = s[k]; }
  workgroupBarrier();
  if (l.y != 0u || r > c1) { return; }
  var t: array<f32, ${m + 1}>;
  for (var ln = 0u; ln < ${LANES}u; ln++) {
    for (var k = 0u; k <= M; k++) { t[k] += red[(ln * ${JW}u + l.x) * ${m + 1}u + k]; }
  }
  let base = wg.y * p.R;
  if (r <= p.c) {
    for (var k = 0u; k < M; k++) { Part[base + k * c1 + r] = t[k]; }
    Part[base + M * c1 + r] = t[M];
  } else {
    Part[base + (M + 1u) * c1] = t[0];
    Part[base + (M + 1u) * c1 + 1u] = t[1];
  }
}
`;

const k = await init({ backend: 'webgpu' });
const ctx = k.gpu;
const S = new Float32Array(n * m);
const Y = new Float32Array(n * c);
const u = new Float32Array(n);
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
for (let i = 0; i < n; i++) {
  S[i * m + (rnd() < 0.55 ? 0 : 1)] = 1;
  Y[i * c + Math.floor(rnd() * c)] = 1;
  if (c > 10 && rnd() < 0.5) Y[i * c + 10 + Math.floor(rnd() * (c - 10))] = 1;
  u[i] = (rnd() - 0.5) * 0.04;
}
const rows = Math.min(n, Math.floor((ctx.maxBindingSize / 4 - 64) / c), 65535 * 64);
if (rows < n) console.log(`(timing one chunk of ${rows} rows; the engine would use ${Math.ceil(n / rows)} chunks)`);
const ch = { S: ctx.tensor(S.subarray(0, rows * m), [rows, m]), Y: ctx.tensor(Y.subarray(0, rows * c), [rows, c]), u: ctx.tensor(u.subarray(0, rows), [rows]) };
const R = momentsOutputs(m, c);
const W = Float64Array.from({ length: m * (c + 1) }, () => (rnd() - 0.5) * 0.1);
const pi = [0.5, 0.5];
const dual = new Float32Array(m * (c + 1) + m);
dual.set(W);
dual.set(pi, m * (c + 1));
const dualT = ctx.tensor(dual, [dual.length]);
const z = ctx.empty([2 * rows]);
const scratch = ctx.empty([1]);
let rowsPerBlock = Math.max(256, ceilDiv(rows * R, 1 << 18));
rowsPerBlock = Math.max(rowsPerBlock, ceilDiv(rows, 65535));
const blocks = ceilDiv(rows, rowsPerBlock);
const part = ctx.empty([blocks, R]);
const part2 = ctx.empty([blocks, R]);
const u1 = () => ctx.uniform(uniforms([{ u: rows }, { u: m }, { u: c }, { u: 1 }, { f: 0.02 }, { f: 0.8 }, { f: 0 }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }]));
const u2 = () => ctx.uniform(uniforms([{ u: rows }, { u: m }, { u: c }, { u: 1 }, { u: rowsPerBlock }, { u: R }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }]));
const pRows = ctx.pipeline('proto:rows', () => rowSource);
const pRed = ctx.pipeline('proto:reduce', () => reduceSource);
const pProto = ctx.pipeline(`proto:reduce2:${m}:${JW}`, () => protoSource);
const B = (t) => ({ buffer: t.buffer });
const runs = {
  rows: () => {
    const ub = u1();
    ctx.submit('rows', [{ op: 'rows', pipeline: pRows, bindings: [{ buffer: ub }, B(ch.S), B(ch.Y), B(ch.u), B(ch.S), B(dualT), B(z), B(scratch)], workgroups: [ceilDiv(rows, WG)] }], [ub]);
    return scratch;
  },
  reduce: () => {
    const ub = u2();
    ctx.submit('reduce', [{ op: 'reduce', pipeline: pRed, bindings: [{ buffer: ub }, B(ch.S), B(ch.Y), B(ch.S), B(z), B(part)], workgroups: [ceilDiv(R, WG), blocks] }], [ub]);
    return part;
  },
  proto: () => {
    const ub = u2();
    ctx.submit('proto', [{ op: 'proto', pipeline: pProto, bindings: [{ buffer: ub }, B(ch.S), B(ch.Y), B(ch.S), B(z), B(part2)], workgroups: [ceilDiv(c + 2, JW), blocks] }], [ub]);
    return part2;
  },
  shipped: () => momentsPass(ctx, ch, { W, pi, mu: 0.02, eta: 0.8 }),
};
const engine = createGpuEngine(ctx, { n: rows, m, c, S: S.subarray(0, rows * m), Y: Y.subarray(0, rows * c), u: u.subarray(0, rows) }, pi);
const once = async (name) => {
  const t0 = performance.now();
  if (name === 'engine') {
    await engine.pass(W, 0.02, 0.8);
    return performance.now() - t0;
  }
  const out = runs[name]();
  await scratch.read(); // waits for the queue (paced read)
  if (name === 'shipped') out.dispose();
  return performance.now() - t0;
};
const names = ['engine', 'shipped', 'rows', 'reduce', 'proto'];
const label = { engine: 'engine.pass (shipped, incl. read + fold)', shipped: 'momentsPass (rows + reduce)', rows: 'rows kernel alone', reduce: 'reduce kernel alone', proto: 'prototype reduce alone' };
const ts = Object.fromEntries(names.map((x) => [x, []]));
console.log(`n=${rows} c=${c} m=${m}: R=${R} outputs, ${blocks} blocks × ${rowsPerBlock} rows; prototype workgroup ${JW}×${LANES}`);
for (const x of names) await once(x); // warm-up
const reps = Number(process.env.REPS ?? 7);
for (let r = 0; r < reps; r++) for (const x of names) ts[x].push(await once(x)); // interleaved rounds
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const x of names) console.log(`  ${label[x].padEnd(42)} median ${med(ts[x]).toFixed(1)} ms  (min ${Math.min(...ts[x]).toFixed(1)})`);
const ratio = names.includes('proto') ? ts.reduce.map((v, i) => v / ts.proto[i]) : [];
console.log(`  reduce ÷ prototype, median over rounds: ${med(ratio).toFixed(2)}×`);
runs.rows();
runs.reduce();
runs.proto();
const a = foldMomentsPartials(await part.read(), m, c);
const b = foldMomentsPartials(await part2.read(), m, c);
let d = 0;
for (let j = 0; j < R; j++) d = Math.max(d, Math.abs(a[j] - b[j]) / rows);
console.log(`  prototype vs shipped reduce: max |Δ|/n = ${d.toExponential(2)}`);
engine.dispose();
k.destroy();
