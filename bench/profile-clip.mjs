#!/usr/bin/env node
// Where a CLIP tower's time goes (#23): per-op times of one ViT-B/32 residual block on Node+Dawn and in Chromium
// (scripts/chromium.mjs), random weights, each op waited for alone.
//   node bench/profile-clip.mjs [--n=1,16] [--reps=2] [--unfused] [--where=node,chromium]
import '@m4kit/kernels/node';
import { init } from '@m4kit/kernels';
import { gpuContextOf } from '@m4kit/kernels/advanced';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';
import { formatProfile, profileBlock } from './lib/profile-block.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const ns = opt('n', '1,16').split(',').map(Number);
const reps = Number(opt('reps', 2));
const fused = !argv.includes('--unfused');
const where = new Set(opt('where', 'node,chromium').split(','));

if (where.has('node')) {
  const k = await init({ backend: 'webgpu' });
  for (const n of ns)
    console.log(
      formatProfile(await profileBlock(k, gpuContextOf(k).device, { n, reps, fused }), k.adapter.description),
    );
  k.destroy();
}
if (where.has('chromium')) {
  const { build } = await import('esbuild');
  const src = `import * as kernels from '@m4kit/kernels';
import { gpuContextOf } from '@m4kit/kernels/advanced';
import { profileBlock, formatProfile } from './lib/profile-block.mjs';
globalThis.__profile = async (o) => {
  const k = await kernels.init({ backend: 'webgpu' });
  const out = [];
  for (const n of o.ns) out.push(formatProfile(await profileBlock(k, gpuContextOf(k).device, { ...o, n }), k.adapter.description));
  k.destroy();
  return out.join('\\n');
};`;
  const bundle = (
    await build({
      stdin: { contents: src, resolveDir: here, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'error',
    })
  ).outputFiles[0].contents;
  const server = createServer((req, res) => {
    if (req.url === '/p.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(bundle);
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><script type="module" src="/p.js"></script>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => typeof globalThis.__profile === 'function');
    console.log(`Chromium ${browser.version()}:`);
    console.log(await page.evaluate((o) => globalThis.__profile(o), { ns, reps, fused }));
  } finally {
    await browser.close();
    server.close();
  }
}
process.exit(0);
