// Runs the bundled suites in Debian's Chromium (SwiftShader WebGPU) through playwright-core.
// Prints one line per case and a summary; writes tests/.out/chromium.json.
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../.out');
const bundle = await readFile(join(out, 'browser.js'));
const server = createServer((req, res) => {
  if (req.url === '/browser.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(bundle);
  } else {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      '<!doctype html><meta charset="utf-8"><title>m4kit tests</title><script type="module" src="/browser.js"></script>',
    );
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
let results = [];
let fatal = null;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    const t = m.text();
    if (t.startsWith('[case]') || process.env.VERBOSE) console.log(t);
  });
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => typeof globalThis.__runSuites === 'function', null, { timeout: 60000 });
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  results = await page.evaluate(
    async ([filter, ci]) => {
      globalThis.__CI__ = ci;
      return globalThis.__runSuites(filter || undefined);
    },
    [process.argv[2] ?? '', ci],
  );
} catch (e) {
  fatal = String(e?.stack ?? e);
  console.error('[chromium] fatal:', fatal);
} finally {
  await browser.close();
  server.close();
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed + (fatal ? 1 : 0);
for (const r of results.filter((r) => !r.ok)) console.log(`\n✗ ${r.name}\n  ${r.error}`);
await writeFile(join(out, 'chromium.json'), JSON.stringify({ passed, failed, fatal, results }, null, 2));
console.log(`chromium: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
