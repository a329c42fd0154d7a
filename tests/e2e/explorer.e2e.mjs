// End-to-end test of the embedding explorer (apps/demo/explorer.html) in Debian's Chromium (SwiftShader WebGPU):
// loads the synthetic example (BA module trained in the page), checks the 3-D view draws points in the group
// colours, rotates it (the picture changes), hovers a point (its row is shown), toggles before/after (the
// picture changes, the labelled queries stay), and checks the no-WebGPU fallback (2-D Observable Plot scatter,
// with a message saying so). Writes tests/.out/e2e-explorer.json and screenshots under tests/e2e/screenshots/
// (latest/ always; the committed PNGs with M4KIT_UPDATE_SCREENSHOTS=1).
// Headless Chromium on SwiftShader loses its WebGPU instance on the first submit to a WebGPU canvas context (a
// minimal clear-to-red page fails the same way; compute and offscreen rendering work), so the WebGPU case opens
// explorer.html?present=readback: the same render pipeline draws into an offscreen texture that is read back
// and shown on a 2-D canvas. The canvas-context path is the default for real browsers and is not covered here.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, buildDemo, hideWebGpu, root, runE2e, serveDist, shot } from './harness.mjs';

buildDemo('e2e-explorer', 'explorer.html');
const server = await serveDist();
const url = `${server.url}explorer.html`;
const drawn = (page) => page.evaluate(() => globalThis.__explorer.drawn());

/** Pixel census of a PNG, decoded in the page: non-white pixels and pixels near each palette colour. */
async function census(page, png) {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const pal = [
      [0, 114, 178],
      [213, 94, 0],
    ];
    const near = [0, 0];
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) ink++;
      pal.forEach((p, k) => {
        // hue check: the colour blended over white keeps its channel order
        const [r, gg, b] = [d[i], d[i + 1], d[i + 2]];
        if (k === 0 && b > r + 40 && b > gg + 20) near[k]++;
        if (k === 1 && r > b + 40 && r > gg + 20) near[k]++;
      });
    }
    return { ink, near, total: d.length / 4 };
  }, png.toString('base64'));
}
const same = (a, b) => a.length === b.length && a.equals(b);

await runE2e({ tag: 'e2e-explorer', json: 'e2e-explorer.json', server }, async ({ check, launch }) => {
  let browser = await launch({ webgpu: true });
  const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  page.on('console', (m) => process.env.VERBOSE && console.log('[console]', m.text()));
  await page.goto(`${url}?present=readback`);
  await page.waitForFunction(() => !document.getElementById('ex-status').textContent.startsWith('Checking'), null, {
    timeout: 60000,
  });

  await check('Cancel stops the training worker; the page stays usable', async () => {
    const st = await page.textContent('#ex-status');
    assert(/^WebGPU/.test(st) && /read back/.test(st), `status: ${st}`);
    await page.click('#ex-example');
    await page.waitForFunction(() => !document.getElementById('ex-cancel').disabled);
    await page.click('#ex-cancel');
    await page.waitForFunction(() => /^cancelled/.test(document.getElementById('ex-status').textContent), null, {
      timeout: 30000,
    });
    assert(await page.isHidden('#ex-error'), 'cancel shown as an error');
    assert(await page.isDisabled('#ex-cancel'), 'Cancel still enabled');
    assert(await page.isEnabled('#ex-example'), 'the example button stays disabled');
    assert(!(await page.evaluate(() => globalThis.__explorerReady === true)), 'a cancelled run showed data');
  });

  let before;
  await check('WebGPU: the synthetic example trains, projects and draws in 3-D', async () => {
    await page.click('#ex-example');
    await page.waitForFunction(
      () => globalThis.__explorerReady === true || !document.getElementById('ex-error').hidden,
      null,
      { timeout: 600000 },
    );
    assert(await page.isHidden('#ex-error'), `error: ${await page.textContent('#ex-error')}`);
    assert(/synthetic example/.test(await page.textContent('#ex-source')), 'the source is not labelled synthetic');
    assert((await page.evaluate(() => globalThis.__explorer.count())) === 600 + 600 + 4, 'instance count');
    await drawn(page);
    before = await page.locator('#ex-canvas').screenshot();
    // what the GPU rendered (offscreen, read back) and what the page shows (screenshot) both hold the points
    const g = await page.evaluate(() => globalThis.__explorer.census());
    assert(g.ink > 0.01 * g.total && g.blue > 200 && g.orange > 200, `rendered: ${JSON.stringify(g)}`);
    const c = await census(page, before);
    // 600 image discs and 600 caption rings: well over 1% of the canvas inked, both group colours present
    assert(c.ink > 0.01 * c.total, `only ${c.ink} of ${c.total} pixels drawn`);
    assert(c.near[0] > 200 && c.near[1] > 200, `group colours: blue ${c.near[0]}, vermillion ${c.near[1]} pixels`);
    const labels = await page.$$eval('.qlabel', (els) => els.map((e) => e.textContent));
    assert(labels.length === 4 && labels.includes('a photo of a nurse'), `query labels: ${labels}`);
    await page.locator('#ex-view').scrollIntoViewIfNeeded();
    await shot(page, 'explorer-before.png', { fullPage: false });
  });

  await check('rotate: drag and keys move the orbit camera and change the picture', async () => {
    const cam0 = await page.evaluate(() => ({ ...globalThis.__explorer.camera() }));
    const box = await page.locator('#ex-canvas').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 30, { steps: 6 });
    await page.mouse.up();
    await page.focus('#ex-canvas');
    await page.keyboard.press('ArrowRight');
    const cam1 = await page.evaluate(() => ({ ...globalThis.__explorer.camera() }));
    assert(Math.abs(cam1.yaw - cam0.yaw - 1.3) < 0.05, `yaw ${cam0.yaw} → ${cam1.yaw} (expected +1.2 drag +0.1 key)`);
    assert(cam1.pitch !== cam0.pitch, 'pitch unchanged');
    await drawn(page);
    const rotated = await page.locator('#ex-canvas').screenshot();
    assert(!same(rotated, before), 'the picture did not change after rotating');
    await shot(page, 'explorer-rotated.png');
  });

  await check('hover shows the row under the pointer; click pins it', async () => {
    const box = await page.locator('#ex-canvas').boundingBox();
    let found = null;
    for (let i = 0; i < 40 && !found; i++) {
      const [x, y] = await page.evaluate((r) => globalThis.__explorer.screenOfImage(r), i * 7);
      if (x < 5 || y < 5 || x > box.width - 5 || y > box.height - 5) continue;
      await page.mouse.move(box.x + x, box.y + y);
      const kind = await page.$eval('#ex-details', (e) => e.querySelector('[data-key="kind"]')?.textContent ?? null);
      if (kind) found = kind;
    }
    assert(found === 'image' || found === 'caption', `no row shown on hover (${found})`);
    const group = await page.$eval('#ex-details [data-key="group"]', (e) => e.textContent);
    assert(group === 'female' || group === 'male', `group ${group}`);
    const q = Number(await page.$eval('#ex-details [data-key="q"]', (e) => e.textContent));
    assert(q >= 0 && q <= 1, `q ${q}`);
    const occ = await page.$eval('#ex-details [data-key="occupation"]', (e) => e.textContent);
    assert(['doctor', 'nurse', 'engineer', 'teacher'].includes(occ), `occupation ${occ}`);
    await page.mouse.down();
    await page.mouse.up();
    assert(/Pinned/.test(await page.textContent('#ex-details caption')), 'click did not pin the row');
    await page.mouse.move(box.x + 3, box.y + 3);
    assert(/Pinned/.test(await page.textContent('#ex-details caption')), 'the pinned row was replaced on hover');
  });

  await check(
    'the trained BA module downloads and loads with the CLI loader; it reproduces the page\'s "after" rows',
    async () => {
      const { loadDebiasModule } = await import(join(root, 'packages/sdk/dist/node.js'));
      const dir = mkdtempSync(join(tmpdir(), 'm4kit-explorer-'));
      for (const [btn, name] of [
        ['#ex-dl-weights', 'ba-synthetic.safetensors'],
        ['#ex-dl-config', 'ba-synthetic.json'],
      ]) {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click(btn)]);
        assert(dl.suggestedFilename() === name, `download named ${dl.suggestedFilename()}`);
        await dl.saveAs(join(dir, name));
      }
      const mod = await loadDebiasModule(join(dir, 'ba-synthetic.safetensors'));
      assert(
        mod.dim === 32 && mod.config.hidden1 === 32 && mod.config.hidden2 === 64,
        `config ${JSON.stringify(mod.config).slice(0, 200)}`,
      );
      for (const i of [0, 1, 599]) {
        const { before, after } = await page.evaluate((r) => globalThis.__explorer.imageRow(r), i);
        const out = await mod.apply({ n: 1, d: 32, data: Float64Array.from(before) }, { modality: 'image' });
        // float32 weights in the file and float32 rows on the page: |x − y| ≤ 1e-4·(1 + |y|)
        for (let t = 0; t < 32; t++) {
          assert(
            Math.abs(out.data[t] - after[t]) <= 1e-4 * (1 + Math.abs(after[t])),
            `row ${i} col ${t}: CLI loader ${out.data[t]}, page ${after[t]}`,
          );
        }
      }
    },
  );

  await check('toggle before/after debiasing changes the picture and keeps the queries', async () => {
    const b = await page.locator('#ex-canvas').screenshot();
    await page.check('#ex-after');
    await page.waitForFunction(() => document.getElementById('ex-state').textContent === 'after debiasing');
    await drawn(page);
    const a = await page.locator('#ex-canvas').screenshot();
    assert(!same(a, b), 'the picture did not change after toggling to "after"');
    const c = await census(page, a);
    assert(c.ink > 0.01 * c.total, `after: only ${c.ink} pixels drawn`);
    assert((await page.$$eval('.qlabel', (els) => els.length)) === 4, 'query labels lost');
    await page.evaluate(() => globalThis.__explorer.rotate(-1.3, 0));
    await drawn(page);
    await shot(page, 'explorer-after.png');
    await page.check('#ex-before');
    await page.waitForFunction(() => document.getElementById('ex-state').textContent === 'before debiasing');
  });
  await browser.close();

  browser = await launch({ webgpu: false });
  const p2 = await (await browser.newContext({ viewport: { width: 1200, height: 1000 } })).newPage();
  p2.on('pageerror', (e) => console.error('[pageerror]', e.message));
  await hideWebGpu(p2);
  await p2.goto(url);
  await check('no WebGPU: says so and shows the 2-D Observable Plot scatter', async () => {
    await p2.waitForSelector('#ex-fallback:not([hidden])', { timeout: 30000 });
    assert(/No WebGPU in this browser/.test(await p2.textContent('#ex-fallback')), 'no fallback message');
    await p2.click('#ex-example');
    await p2.waitForFunction(
      () => globalThis.__explorerReady === true || !document.getElementById('ex-error').hidden,
      null,
      { timeout: 600000 },
    );
    assert(await p2.isHidden('#ex-error'), `error: ${await p2.textContent('#ex-error')}`);
    const dots = await p2.$$eval('#ex-plot svg circle', (els) => els.length);
    assert(dots >= 600, `${dots} dots in the 2-D scatter`);
    assert(await p2.isHidden('#ex-stage'), 'the WebGPU canvas is shown without WebGPU');
    await shot(p2, 'explorer-no-webgpu.png');
  });
});
