// End-to-end test of the Embed tab (apps/demo/embed.html) in Debian's Chromium (SwiftShader WebGPU) with the
// shipped tiny model (data/clip-tiny/gelu, random weights): drops six PNGs (RGB, grey, RGBA, palette, 16-bit, EXIF
// rotated) and a table (file, caption, gender), embeds them in the page's worker, and compares with the CLI on the
// same files: `m4kit embed --backend cpu` (images, captions) and `m4kit eval --task retrieval`. Then cancel, a
// broken image named in the error, the explorer hand-off, and the WebGPU backend (the WGSL towers on SwiftShader).
// Tolerances: page (float64 CPU towers, f32 out) vs CLI on the CPU backend: |Δ| ≤ 1e-6 per value (same code, same
// decoders for PNG: measured 0); retrieval R@K: equal (|Δ| ≤ 1e-12); WebGPU page vs CPU CLI: ≤ 1e-3 per value of
// unit rows (f32 or f16 storage; measured 1.9e-7 in f32 on SwiftShader). Writes tests/.out/e2e-embed.json and tests/e2e/screenshots/latest/embed-results.png
// (the committed PNG with M4KIT_UPDATE_SCREENSHOTS=1).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, buildDemo, cli, latest, root, runE2e, serveDist, shots } from './harness.mjs';

const model = join(root, 'data/clip-tiny/gelu');
const fixtures = join(root, 'packages/sdk/test/clip/fixtures');
buildDemo('e2e-embed', 'embed.html', ['data/clip-tiny']);

// the data: six PNGs in a folder and a table whose row order is not the name order
const work = mkdtempSync(join(tmpdir(), 'm4kit-e2e-embed-'));
const imgDir = join(work, 'images');
mkdirSync(imgDir);
const SRC = ['rgb8.png', 'grey8.png', 'rgba8.png', 'palette4.png', 'rgb16.png', 'orient6.png'];
const ROWS = SRC.map((f, i) => ({
  file: `img${i}.png`,
  src: f,
  caption: `a photo number ${i} of a ${f.replace('.png', '')}`,
  gender: i % 2 ? 'woman' : 'man',
})).reverse();
for (const r of ROWS) copyFileSync(join(fixtures, r.src), join(imgDir, r.file));
writeFileSync(
  join(work, 'table.csv'),
  'file,caption,gender\n' + ROWS.map((r) => `${r.file},${r.caption},${r.gender}`).join('\n') + '\n',
);
writeFileSync(join(work, 'list.txt'), ROWS.map((r) => `images/${r.file}`).join('\n') + '\n');
writeFileSync(join(work, 'captions-meta.csv'), 'image\n' + ROWS.map((_, i) => i).join('\n') + '\n');
writeFileSync(join(work, 'captions.txt'), ROWS.map((r) => r.caption).join('\n') + '\n');
const m4 = (...args) => execFileSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8' });
m4('embed', '--model', model, '--images', 'list.txt', '--out', 'img.npy', '--backend', 'cpu');
m4('embed', '--model', model, '--texts', 'captions.txt', '--out', 'cap.npy', '--backend', 'cpu');
const evalRep = JSON.parse(
  m4(
    'eval',
    '--images',
    'img.npy',
    '--texts',
    'cap.npy',
    '--text-meta',
    'captions-meta.csv',
    '--task',
    'retrieval',
    '--backend',
    'cpu',
    '--json',
  ),
);
function npy(p) {
  const b = readFileSync(p);
  const hl = b.readUInt16LE(8);
  return Array.from(new Float32Array(b.buffer.slice(b.byteOffset + 10 + hl, b.byteOffset + b.length)));
}
const cliImages = npy(join(work, 'img.npy'));
const cliCaptions = npy(join(work, 'cap.npy'));

const server = await serveDist();
const url = `${server.url}embed.html`;

const measured = {};
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), a.length === b.length ? 0 : Infinity);

async function embed(page, backend, batch = 4) {
  await page.selectOption('#em-backend', backend);
  await page.fill('#em-batch', String(batch));
  await page.evaluate(() => (document.getElementById('em-status').textContent = ''));
  await page.click('#em-run');
  await page.waitForFunction(
    () => !document.getElementById('em-error').hidden || /^done/.test(document.getElementById('em-status').textContent),
    null,
    { timeout: 240000 },
  );
  const err = await page.evaluate(() =>
    document.getElementById('em-error').hidden ? null : document.getElementById('em-error').textContent,
  );
  if (err) return { err };
  return page.evaluate(() => {
    const l = globalThis.__embed.last();
    return { images: Array.from(l.result.images), captions: Array.from(l.result.captions), r: l.result };
  });
}

await runE2e({ tag: 'e2e-embed', json: 'e2e-embed.json', server, measured }, async ({ check, launch }) => {
  const browser = await launch({ webgpu: true });
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 1100 } })).newPage();
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  await page.goto(url);
  await page.waitForFunction(() => globalThis.__embedReady === true, null, { timeout: 60000 });
  await page.click('#em-tiny');
  await page.waitForFunction(() => /shipped tiny model/.test(document.getElementById('em-model-name').textContent));
  await page.setInputFiles(
    '#em-images',
    ROWS.map((r) => join(imgDir, r.file)),
  );
  await page.setInputFiles('#em-table', join(work, 'table.csv'));
  await page.waitForFunction(() => document.getElementById('em-attr-col').value === 'gender');

  await check(
    'CPU backend: images and captions equal `m4kit embed --backend cpu` (table order); retrieval equals `m4kit eval`',
    async () => {
      const r = await embed(page, 'cpu');
      assert(!r.err, `page error: ${r.err}`);
      measured.cpuImages = maxDiff(r.images, cliImages);
      measured.cpuCaptions = maxDiff(r.captions, cliCaptions);
      assert(measured.cpuImages <= 1e-6, `images differ from the CLI by ${measured.cpuImages}`);
      assert(measured.cpuCaptions <= 1e-6, `captions differ from the CLI by ${measured.cpuCaptions}`);
      for (const dir of ['imageToText', 'textToImage'])
        for (const K of ['R@1', 'R@5', 'R@10']) {
          const got = Number(await page.getAttribute(`[data-key="retrieval.${dir}.${K}"]`, 'data-value'));
          assert(
            Math.abs(got - evalRep.retrieval[dir][K]) <= 1e-12,
            `${dir} ${K}: page ${got}, CLI ${evalRep.retrieval[dir][K]}`,
          );
        }
      const ms = Number(await page.getAttribute('[data-key="bias.maxSkew"]', 'data-value'));
      assert(Number.isFinite(ms) && ms >= 0, `MaxSkew ${ms}`);
      const buf = await page.screenshot({ fullPage: true });
      writeFileSync(join(latest, 'embed-results.png'), buf);
      if (process.env.M4KIT_UPDATE_SCREENSHOTS === '1') writeFileSync(join(shots, 'embed-results.png'), buf);
    },
  );

  await check('WebGPU backend (WGSL towers in the worker): the same rows as the CPU CLI within 1e-3', async () => {
    const r = await embed(page, 'webgpu');
    assert(!r.err, `page error: ${r.err}`);
    assert(r.r.backend === 'webgpu', `ran on ${r.r.backend}`);
    measured.webgpuPrecision = r.r.precision;
    measured.webgpuImages = maxDiff(r.images, cliImages);
    measured.webgpuCaptions = maxDiff(r.captions, cliCaptions);
    assert(measured.webgpuImages <= 1e-3, `WebGPU images differ from the CLI by ${measured.webgpuImages}`);
    assert(measured.webgpuCaptions <= 1e-3, `WebGPU captions differ from the CLI by ${measured.webgpuCaptions}`);
    const buf = await page.screenshot({ fullPage: true });
    writeFileSync(join(latest, 'embed-results.png'), buf);
    if (process.env.M4KIT_UPDATE_SCREENSHOTS === '1') writeFileSync(join(shots, 'embed-results.png'), buf);
  });

  await check('cancel stops the worker; a broken image is named', async () => {
    await page.selectOption('#em-backend', 'cpu');
    await page.fill('#em-batch', '1');
    await page.click('#em-run');
    await page.click('#em-cancel');
    await page.waitForFunction(() => /cancelled/.test(document.getElementById('em-status').textContent));
    assert(await page.isEnabled('#em-run'), 'Embed stays disabled after cancel');
    copyFileSync(join(fixtures, 'truncated.png'), join(imgDir, 'img0.png'));
    await page.setInputFiles(
      '#em-images',
      ROWS.map((r) => join(imgDir, r.file)),
    );
    const r = await embed(page, 'cpu');
    assert(r.err && /img0\.png: cannot decode this PNG/.test(r.err), `error: ${r.err}`);
    copyFileSync(join(fixtures, SRC[0]), join(imgDir, 'img0.png'));
    await page.setInputFiles(
      '#em-images',
      ROWS.map((r) => join(imgDir, r.file)),
    );
  });

  await check('the explorer opens on the embeddings the page made', async () => {
    const r = await embed(page, 'cpu');
    assert(!r.err, `page error: ${r.err}`);
    await page.click('#em-explore');
    await page.waitForURL(/explorer\.html\?from=embed/);
    await page.waitForFunction(() => (globalThis.__explorer?.count?.() ?? 0) > 0, null, { timeout: 120000 });
    const row = await page.evaluate(() => globalThis.__explorer.imageRow(1).before);
    const d = row.length;
    measured.explorer = maxDiff(row, cliImages.slice(d, 2 * d));
    assert(measured.explorer <= 1e-6, `explorer row 1 differs from the CLI by ${measured.explorer}`);
  });
});
