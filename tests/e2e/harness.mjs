// What every demo e2e script (demo, explorer, debias, embed .e2e.mjs) shares: the paths, rebuilding apps/demo when
// its inputs are newer than the built page, a static server over apps/demo/dist, headless Chromium with WebGPU on
// SwiftShader (or without WebGPU), named checks, screenshots, and the run's summary in tests/.out/<name>.json
// (read by scripts/test-all.mjs). The assertions stay in the scripts.
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH, COMMON_ARGS, WEBGPU_ARGS } from '../../scripts/chromium.mjs';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '../..');
export const dist = join(root, 'apps/demo/dist');
export const cli = join(root, 'packages/cli/dist/bin.js');
export const shots = join(here, 'screenshots');
export const latest = join(shots, 'latest');
export const outDir = join(root, 'tests/.out');
mkdirSync(latest, { recursive: true });
mkdirSync(outDir, { recursive: true });

function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  return st.isDirectory() ? Math.max(0, ...readdirSync(p).map((f) => newest(join(p, f)))) : st.mtimeMs;
}

/** `vite build` of apps/demo when `page` (e.g. 'debias.html') is older than the sources, the SDK or `extra` paths. */
export function buildDemo(tag, page, extra = []) {
  const built = newest(join(dist, page));
  const inputs = [
    'apps/demo/src',
    `apps/demo/${page}`,
    'apps/demo/vite.config.ts',
    ...extra,
    'packages/sdk/dist/index.js',
    'packages/kernels/dist/index.js',
  ].map((p) => newest(join(root, p)));
  if (!built || inputs.some((t) => t > built)) {
    console.log(`[${tag}] building apps/demo`);
    execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build'], {
      cwd: join(root, 'apps/demo'),
      stdio: 'inherit',
    });
  }
}

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Serves apps/demo/dist on 127.0.0.1 (a free port); `url` ends with '/'. */
export async function serveDist() {
  const server = createServer(async (req, res) => {
    const p = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dist, p === '/' ? 'index.html' : p);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Saves a screenshot under screenshots/latest/ (and the committed copy with M4KIT_UPDATE_SCREENSHOTS=1). */
export async function shot(page, name, opts = {}, committed = true) {
  const buf = await page.screenshot(opts);
  writeFileSync(join(latest, name), buf);
  if (committed && process.env.M4KIT_UPDATE_SCREENSHOTS === '1') writeFileSync(join(shots, name), buf);
  return buf;
}

/** Headless Chromium: WebGPU on SwiftShader, or (webgpu: false) with WebGPU and Vulkan disabled. */
export function launch({ webgpu }) {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: webgpu
      ? [...WEBGPU_ARGS, ...COMMON_ARGS]
      : ['--disable-gpu', '--disable-features=WebGPU,Vulkan', ...COMMON_ARGS],
  });
}

/** Some Chromium builds still expose navigator.gpu with WebGPU disabled: make its absence certain on `page`. */
export function hideWebGpu(page) {
  return page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
}

/**
 * One e2e run: `check(name, fn)` records a named case (a thrown error fails it, the run goes on; with a pattern as
 * the script's first argument only the matching cases run); `body({ check, launch })` drives the pages — what it
 * throws is fatal. Browsers it launched and the server are closed, `tests/.out/<json>` written ({ passed, failed,
 * fatal, measured?, results }), and the process exits 1 on any failure.
 */
export async function runE2e({ tag, json, server, measured }, body) {
  const only = process.argv[2] ?? '';
  const results = [];
  async function check(name, fn) {
    if (only && !new RegExp(only).test(name)) return;
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0 });
      console.log(`[case] ✓ ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - t0, error: String(e?.stack ?? e) });
      console.log(`[case] ✗ ${name}: ${e?.message ?? e}`);
    }
  }
  const browsers = [];
  let fatal = null;
  try {
    await body({
      check,
      launch: async (opts) => {
        const b = await launch(opts);
        browsers.push(b);
        return b;
      },
    });
  } catch (e) {
    fatal = String(e?.stack ?? e);
    console.error(`[${tag}] fatal:`, fatal);
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    server.close();
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed + (fatal ? 1 : 0);
  for (const r of results.filter((r) => !r.ok)) console.log(`\n✗ ${r.name}\n  ${r.error}`);
  const summary = measured ? { passed, failed, fatal, measured, results } : { passed, failed, fatal, results };
  writeFileSync(join(outDir, json), JSON.stringify(summary, null, 2));
  console.log(`${tag}: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
