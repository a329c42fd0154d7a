#!/usr/bin/env node
// Peak host memory while CLIP weights load (#23: "peak host memory ≤ 1.3× the file"), ViT-B/32 (bench/clip.mjs's
// random weights) as F32 and as an F16 copy (made here once, bench/.cache/clip-vit-b-32-f16/). Each case runs in a
// fresh child process, sampling process.memoryUsage() every 10 ms: the JS-side host memory (heapUsed +
// arrayBuffers, above the process's baseline) is the measure — on lavapipe the "device" is host memory inside the
// process too, so RSS would count the GPU copy as well (reported beside it, not used for the ratio).
//   node bench/clip-memory.mjs            cases: cpu (the CPU backend's float64 towers), webgpu (createGpuTowers)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const F32 = path.join(here, '.cache', 'clip-vit-b-32');
const F16 = path.join(here, '.cache', 'clip-vit-b-32-f16');

async function child(dir, backend) {
  await import('@m4kit/kernels/node');
  const { init } = await import('@m4kit/kernels');
  const { resolveClipConfig } = await import('@m4kit/sdk');
  const { buildReferenceTowers, createGpuTowers, openClipWeights } = await import('@m4kit/sdk/advanced');
  const { fileReader } = await import('@m4kit/sdk/node');
  const file = path.join(dir, 'open_clip_model.safetensors');
  const cfg = resolveClipConfig(JSON.parse(fs.readFileSync(path.join(dir, 'open_clip_config.json'), 'utf8')));
  const k = backend === 'webgpu' ? await init({ backend: 'webgpu' }) : null;
  globalThis.gc?.();
  const m0 = process.memoryUsage();
  const js = (m) => m.heapUsed + m.arrayBuffers;
  let peakJs = 0;
  let peakRss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakJs = Math.max(peakJs, js(m) - js(m0));
    peakRss = Math.max(peakRss, m.rss - m0.rss);
  };
  const timer = setInterval(sample, 10);
  const weights = await openClipWeights(await fileReader(file), cfg, file);
  const towers = k
    ? await createGpuTowers(k, cfg, weights, { precision: 'f32' })
    : await buildReferenceTowers(cfg, weights);
  await weights.close();
  if (k) await k.sync();
  sample();
  clearInterval(timer);
  globalThis.gc?.();
  const held = js(process.memoryUsage()) - js(m0);
  const fileBytes = fs.statSync(file).size;
  console.log(JSON.stringify({ fileBytes, peakJs, peakRss, held, weightBytes: towers.weightBytes ?? null }));
  towers.dispose();
  k?.destroy();
}

/** the F32 file re-encoded as F16, streamed one tensor at a time (header first, offsets computed up front) */
async function makeF16() {
  if (fs.existsSync(path.join(F16, 'open_clip_model.safetensors'))) return;
  const { f32ToF16Bits } = await import('@m4kit/kernels');
  const { openSafetensorsFile } = await import('@m4kit/sdk/node');
  const st = await openSafetensorsFile(path.join(F32, 'open_clip_model.safetensors'));
  const header = {};
  let off = 0;
  for (const [name, e] of st.entries) {
    const n = 2 * e.shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F16', shape: e.shape, data_offsets: [off, off + n] };
    off += n;
  }
  let h = Buffer.from(JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  fs.mkdirSync(F16, { recursive: true });
  const fd = fs.openSync(path.join(F16, 'open_clip_model.safetensors'), 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeSync(fd, len);
  fs.writeSync(fd, h);
  for (const name of st.entries.keys()) {
    const x = await st.f32(name);
    const u = new Uint16Array(x.length);
    for (let i = 0; i < x.length; i++) u[i] = f32ToF16Bits(x[i]);
    fs.writeSync(fd, new Uint8Array(u.buffer));
  }
  fs.closeSync(fd);
  await st.close();
  fs.copyFileSync(path.join(F32, 'open_clip_config.json'), path.join(F16, 'open_clip_config.json'));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
  process.exit(0);
} else {
  if (!fs.existsSync(path.join(F32, 'open_clip_model.safetensors')))
    throw new Error('run bench/clip.mjs first (it generates the ViT-B/32 weights)');
  await makeF16();
  const out = { kind: 'clip-memory', date: new Date().toISOString(), loadavg: os.loadavg(), cases: [] };
  console.log('weights   backend   file MiB   peak JS-side MiB (ratio)   held MiB   peak RSS MiB');
  for (const [label, dir] of [
    ['F32', F32],
    ['F16', F16],
  ])
    for (const backend of ['cpu', 'webgpu']) {
      const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', dir, backend], {
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      });
      if (r.status !== 0) throw new Error(`${label} ${backend}: ${r.stderr}`);
      const j = JSON.parse(r.stdout.trim().split('\n').pop());
      const c = { weights: label, backend, ...j, peakOverFile: j.peakJs / j.fileBytes };
      out.cases.push(c);
      const mib = (b) => (b / 2 ** 20).toFixed(0);
      console.log(
        `${label.padEnd(9)} ${backend.padEnd(9)} ${mib(j.fileBytes).padStart(8)}   ` +
          `${`${mib(j.peakJs)} (${c.peakOverFile.toFixed(2)}×)`.padStart(24)}   ${mib(j.held).padStart(8)}   ${mib(j.peakRss).padStart(12)}`,
      );
    }
  const file = path.join(here, 'results', `clip-memory-${out.date.replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`wrote ${file}`);
}
