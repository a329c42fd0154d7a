// End-to-end test of the Debias tab (apps/demo/debias.html) in Debian's Chromium (SwiftShader WebGPU): loads the
// bundled example (data/debias-emoji), cancels a run, trains the BA module in the page's worker on WebGPU, and
// compares the page's numbers with `m4kit debias --method ba` on the same files, options and seed (Dawn in Node);
// then early stopping on the CPU backend (page vs `--backend cpu`), a refused set of own files, and no WebGPU.
// Training is kept short (2 epochs of 3 steps): every step is dozens of small GPU submits, and SwiftShader is slow.
// Tolerances (both sides float32 on a GPU, different adapters: SwiftShader in the page, lavapipe in Node; the
// embeddings are float16 files read by the same parser):
//   per-epoch training losses        |page − CLI| ≤ 1e-5·(1 + |CLI|)   (measured 9e-9)
//   validation MaxSkew@k, top-1, ABLE |page − CLI| ≤ 1e-3 (measured ≤ 3e-17: the same rankings; a swap of two
//                                     near-tied images in a top-k would move a share by 1/k; the message names it)
//   the "after" column (evaluation set) vs the CLI's module applied with --module and measured by `m4kit eval`:
//                                     ≤ 1e-3 (measured 1e-16)
//   the downloaded module vs the CLI's, on the evaluation images: |page − CLI| ≤ 1e-5 per value (measured 2e-7)
//   original / biased-prompts MaxSkew, NDKL, top-1 vs `m4kit eval`: ≤ 1e-3 (measured 1e-16);
//   CLIP-clip's kept dimensions and the biased-prompts rank: equal
// Writes tests/.out/e2e-debias.json (with the measured differences) and screenshots under tests/e2e/screenshots/
// (latest/ always; the committed PNG with M4KIT_UPDATE_SCREENSHOTS=1).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, buildDemo, cli, hideWebGpu, root, runE2e, serveDist, shot } from './harness.mjs';

const example = join(root, 'data/debias-emoji');
buildDemo('e2e-debias', 'debias.html', ['data/debias-emoji']);
const server = await serveDist();
const url = `${server.url}debias.html`;

const measured = {};

// the short run the page and the CLI both make
const RUN = { epochs: 2, batchSize: 400, queueSize: 400, lr: 0.001, hidden1: 32, hidden2: 64, seed: 3, k: 24 };
const RUN_FIELDS = { epochs: 'db-epochs', batchSize: 'db-batchSize', queueSize: 'db-queueSize', lr: 'db-lr' };
Object.assign(RUN_FIELDS, { hidden1: 'db-hidden1', hidden2: 'db-hidden2', seed: 'db-seed', k: 'db-k' });

/** `m4kit debias --method ba` on the bundled example with the page's settings (run in data/debias-emoji) */
function cliArgs(o, extra) {
  const f = (flag, v) => [flag, String(v)];
  return [
    cli,
    ...['debias', '--method', 'ba', '--json', '--no-progress', '--eval-every', '1'],
    ...f('--images', 'train-images.npy'),
    ...f('--texts', 'train-captions.npy'),
    ...f('--counterfactual', 'train-counterfactuals.npy'),
    ...f('--validation', 'val-images.npy'),
    ...f('--validation-labels', 'val.csv'),
    ...f('--attribute', 'gender'),
    ...f('--bias-prompts', 'bias-prompts.npy'),
    ...f('--zeroshot-images', 'val-images.npy'),
    ...f('--zeroshot-labels', 'val.csv'),
    ...f('--class-column', 'concept'),
    ...f('--zeroshot-prompts', 'zeroshot-prompts.npy'),
    ...f('--zeroshot-prompt-meta', 'zeroshot-prompts.csv'),
    ...f('--skew-k', o.k),
    ...f('--epochs', o.epochs),
    ...f('--batch-size', o.batchSize),
    ...f('--queue-size', o.queueSize),
    ...f('--lr', o.lr),
    ...f('--hidden1', o.hidden1),
    ...f('--hidden2', o.hidden2),
    ...f('--seed', o.seed),
    ...extra,
  ];
}

await runE2e({ tag: 'e2e-debias', json: 'e2e-debias.json', server, measured }, async ({ check, launch }) => {
  let browser = await launch({ webgpu: true });
  const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  page.on('console', (m) => process.env.VERBOSE && console.log('[console]', m.text()));
  await page.goto(url);
  await page.waitForFunction(() => globalThis.__debiasReady === true, null, { timeout: 60000 });

  await check('the bundled example loads: files, attribute and class columns', async () => {
    assert(/^WebGPU/.test(await page.textContent('#db-gpu')), `status: ${await page.textContent('#db-gpu')}`);
    assert(await page.isDisabled('#db-run'), 'Train is enabled before any data');
    await page.click('#db-example');
    await page.waitForSelector('#db-data-summary:not([hidden])', { timeout: 60000 });
    assert(await page.isHidden('#db-data-error'), `error: ${await page.textContent('#db-data-error')}`);
    const s = await page.textContent('#db-data-summary');
    assert(/1200 training images/.test(s) && /888 evaluation images/.test(s), `summary: ${s}`);
    const attrs = await page.$$eval('#db-attributes option:checked', (o) => o.map((x) => x.value));
    assert(attrs.join() === 'gender,tone', `attributes ${attrs}`);
    assert((await page.inputValue('#db-class')) === 'concept', 'class column');
    assert(await page.isEnabled('#db-run'), 'Train stays disabled');
  });

  for (const [k, id] of Object.entries(RUN_FIELDS)) await page.fill(`#${id}`, String(RUN[k]));

  await check('Cancel stops training; the page stays usable', async () => {
    await page.click('#db-run');
    await page.waitForFunction(
      () => /epoch|measuring|training/.test(document.getElementById('db-progress-text').textContent),
      null,
      {
        timeout: 120000,
      },
    );
    await page.click('#db-cancel');
    assert(/^cancelled/.test(await page.textContent('#db-progress-text')), 'no "cancelled" status');
    assert(await page.isHidden('#db-error'), 'cancel shown as an error');
    assert(await page.isHidden('#db-results'), 'a cancelled run showed results');
    assert(await page.isEnabled('#db-run'), 'Train stays disabled after cancel');
  });

  let page0;
  await check('the BA module trains in the page on WebGPU; before/after and baselines per attribute', async () => {
    const t0 = Date.now();
    await page.click('#db-run');
    await page.waitForFunction(
      () => !document.getElementById('db-results').hidden || !document.getElementById('db-error').hidden,
      null,
      { timeout: 480000 },
    );
    assert(await page.isHidden('#db-error'), `error: ${await page.textContent('#db-error')}`);
    page0 = await page.evaluate(() => globalThis.__debias);
    measured.pageSeconds = (Date.now() - t0) / 1000;
    assert(/^WebGPU/.test(page0.backend), `trained on ${page0.backend}`);
    assert(page0.methods.map((m) => m.id).join() === 'original,ba,clip-clip,biased-prompts', 'methods');
    for (const m of page0.methods) {
      assert(m.top1 > 0.3 && m.top1 <= 1, `${m.id}: top-1 ${m.top1}`);
      assert(m.perAttribute.map((a) => a.attribute).join() === 'gender,tone', `${m.id}: attributes`);
      for (const a of m.perAttribute)
        assert(a.maxSkew >= 0 && a.ndkl >= 0 && a.able > 0 && a.able < 1, JSON.stringify(a));
    }
    // the table shows what the result holds
    const v = Number(await page.getAttribute('[data-key="ba.gender.maxSkew"]', 'data-value'));
    assert(v === page0.methods[1].perAttribute[0].maxSkew, 'table cell differs from the result');
    assert(page0.training.evals.length === page0.training.epochsRun, 'one validation per epoch');
    assert((await page.$$('#db-evals tbody tr')).length === page0.training.epochsRun, 'validation rows');
    await page.locator('#db-results').scrollIntoViewIfNeeded();
    await shot(page, 'debias-results.png', { fullPage: true });
  });

  await check(
    'the page matches `m4kit debias` on the same inputs and seed (within the stated tolerances)',
    async () => {
      assert(page0, 'no page result');
      const tmp = mkdtempSync(join(tmpdir(), 'm4kit-debias-e2e-'));
      const args = cliArgs(RUN, ['--patience', '3', '--backend', 'webgpu', '-o', join(tmp, 'cli.safetensors')]);
      const t0 = Date.now();
      const out = execFileSync(process.execPath, args, {
        cwd: example,
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      });
      measured.cliSeconds = (Date.now() - t0) / 1000;
      const c = JSON.parse(out);
      const t = page0.training;
      assert(
        c.epochs === t.epochsRun && c.bestEpoch === t.bestEpoch,
        `epochs ${c.epochs}/${t.epochsRun}, best ${c.bestEpoch}/${t.bestEpoch}`,
      );
      let dLoss = 0;
      c.history.forEach((h, i) => {
        for (const f of ['loss', 'ba', 'cd']) {
          const d = Math.abs(t.history[i][f] - h[f]);
          dLoss = Math.max(dLoss, d / (1 + Math.abs(h[f])));
          assert(d <= 1e-5 * (1 + Math.abs(h[f])), `epoch ${i} ${f}: page ${t.history[i][f]}, CLI ${h[f]}`);
        }
      });
      let dEval = 0;
      c.evals.forEach((e, i) => {
        for (const f of ['maxSkew', 'top1', 'able']) {
          const d = Math.abs(t.evals[i][f] - e[f]);
          dEval = Math.max(dEval, d);
          assert(d <= 1e-3, `validation ${i} ${f}: page ${t.evals[i][f]}, CLI ${e[f]}`);
        }
      });
      // the downloaded module loads with the CLI loader and maps the eval images as the CLI's module does
      const names = [];
      for (const btn of ['#db-dl-weights', '#db-dl-config']) {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click(btn)]);
        names.push(dl.suggestedFilename());
        await dl.saveAs(join(tmp, dl.suggestedFilename()));
      }
      assert(names.join() === 'ba-debias-emoji.safetensors,ba-debias-emoji.json', `downloads ${names}`);
      const { loadDebiasModule, readEmbeddings } = await import(join(root, 'packages/sdk/dist/node.js'));
      const mp = await loadDebiasModule(join(tmp, 'ba-debias-emoji.safetensors'));
      const mc = await loadDebiasModule(join(tmp, 'cli.safetensors'));
      assert(mp.config.hidden1 === RUN.hidden1 && mp.config.seed === RUN.seed, 'config of the download');
      const e = await readEmbeddings(join(example, 'eval-images.npy'));
      const a = await mp.apply(e);
      const b = await mc.apply(e);
      let dMod = 0;
      for (let i = 0; i < a.data.length; i++) dMod = Math.max(dMod, Math.abs(a.data[i] - b.data[i]));
      assert(dMod <= 1e-5, `module outputs differ by ${dMod}`);
      // the page's "after" column = the CLI module applied by `m4kit debias --module`, measured by `m4kit eval`
      const m4 = (...x) =>
        JSON.parse(execFileSync(process.execPath, [cli, ...x, '--json'], { cwd: example, encoding: 'utf8' }));
      const applied = (input, modality) => {
        const outFile = join(tmp, `${modality}-${input}`);
        m4(
          'debias',
          '--method',
          'ba',
          '--module',
          join(tmp, 'cli.safetensors'),
          '--apply',
          input,
          '--modality',
          modality,
          '--out-embeddings',
          outFile,
        );
        return outFile;
      };
      const [ai, ap, az] = [
        applied('eval-images.npy', 'image'),
        applied('bias-prompts.npy', 'text'),
        applied('zeroshot-prompts.npy', 'text'),
      ];
      const ba = page0.methods.find((m) => m.id === 'ba');
      let dAfter = 0;
      for (const [i, attribute] of ['gender', 'tone'].entries()) {
        const r = m4(
          'eval',
          '--task',
          'bias',
          '--images',
          ai,
          '--texts',
          ap,
          '--labels',
          'eval.csv',
          '--attribute',
          attribute,
          '-k',
          String(RUN.k),
        ).bias;
        for (const f of ['maxSkew', 'ndkl']) {
          dAfter = Math.max(dAfter, Math.abs(ba.perAttribute[i][f] - r[f]));
          assert(
            Math.abs(ba.perAttribute[i][f] - r[f]) <= 1e-3,
            `after ${attribute} ${f}: page ${ba.perAttribute[i][f]}, CLI ${r[f]}`,
          );
        }
      }
      const z = m4(
        'eval',
        '--task',
        'zeroshot',
        '--images',
        ai,
        '--texts',
        az,
        '--text-meta',
        'zeroshot-prompts.csv',
        '--labels',
        'eval.csv',
        '--class-column',
        'concept',
      ).zeroshot;
      dAfter = Math.max(dAfter, Math.abs(ba.top1 - z.top1));
      assert(Math.abs(ba.top1 - z.top1) <= 1e-3, `after zero-shot top-1: page ${ba.top1}, CLI ${z.top1}`);
      // and the downloaded module applies with `m4kit debias --module` too
      m4(
        'debias',
        '--method',
        'ba',
        '--module',
        join(tmp, 'ba-debias-emoji.safetensors'),
        '--apply',
        'eval-images.npy',
        '--out-embeddings',
        join(tmp, 'after.npy'),
      );
      assert(readFileSync(join(tmp, 'after.npy')).length > 888 * 64 * 4, 'no output from m4kit debias --module');
      Object.assign(measured, {
        maxLossRelDiff: dLoss,
        maxValidationDiff: dEval,
        maxAfterDiff: dAfter,
        maxModuleOutputDiff: dMod,
      });
      console.log('[e2e-debias] measured', JSON.stringify(measured));
    },
  );

  await check(
    'the original and baseline columns match `m4kit eval` and `m4kit debias --method clip-clip / biased-prompts`',
    async () => {
      assert(page0, 'no page result');
      const tmp = mkdtempSync(join(tmpdir(), 'm4kit-debias-base-'));
      const m4 = (...a) =>
        JSON.parse(execFileSync(process.execPath, [cli, ...a, '--json'], { cwd: example, encoding: 'utf8' }));
      const byId = Object.fromEntries(page0.methods.map((m) => [m.id, m]));
      let d = 0;
      const near = (a, b, what) => {
        d = Math.max(d, Math.abs(a - b));
        // both sides rank on a GPU in float32 (SwiftShader vs lavapipe): a near-tie could swap; measured 0
        assert(Math.abs(a - b) <= 1e-3, `${what}: page ${a}, CLI ${b}`);
      };
      const biasOf = (texts, attribute) =>
        m4(
          'eval',
          '--task',
          'bias',
          '--images',
          'eval-images.npy',
          '--texts',
          texts,
          '--labels',
          'eval.csv',
          '--attribute',
          attribute,
          '-k',
          String(RUN.k),
        ).bias;
      for (const [i, attribute] of ['gender', 'tone'].entries()) {
        const b = biasOf('bias-prompts.npy', attribute);
        near(byId.original.perAttribute[i].maxSkew, b.maxSkew, `original ${attribute} MaxSkew`);
        near(byId.original.perAttribute[i].ndkl, b.ndkl, `original ${attribute} NDKL`);
      }
      const z = m4(
        'eval',
        '--task',
        'zeroshot',
        '--images',
        'eval-images.npy',
        '--texts',
        'zeroshot-prompts.npy',
        '--text-meta',
        'zeroshot-prompts.csv',
        '--labels',
        'eval.csv',
        '--class-column',
        'concept',
      ).zeroshot;
      near(byId.original.top1, z.top1, 'original zero-shot top-1');
      // CLIP-clip: the same kept dimensions (float64 mutual information on both sides: exact)
      const cc = m4(
        'debias',
        '--method',
        'clip-clip',
        '--images',
        'train-images.npy',
        '--labels',
        'train.csv',
        '--attribute',
        'gender',
        '--m',
        '48',
        '-o',
        join(tmp, 'keep.json'),
      );
      assert(
        cc.keep.join() === byId['clip-clip'].detail.keep.join(),
        `kept dimensions: CLI ${cc.keep}, page ${byId['clip-clip'].detail.keep}`,
      );
      // biased prompts: the CLI's debiased bias prompts give the page's numbers
      const manifest = JSON.parse(readFileSync(join(example, 'manifest.json'), 'utf8'));
      const bp = m4(
        'debias',
        '--method',
        'biased-prompts',
        '--spurious',
        'spurious-prompts.npy',
        '--candidates',
        'candidate-prompts.npy',
        '--pairs',
        manifest.eval.candidatePairs,
        '--texts',
        'bias-prompts.npy',
        '-o',
        join(tmp, 'bp.npy'),
      );
      assert(
        bp.removedRank === byId['biased-prompts'].detail.rank,
        `rank: CLI ${bp.removedRank}, page ${byId['biased-prompts'].detail.rank}`,
      );
      const b2 = biasOf(join(tmp, 'bp.npy'), 'gender');
      near(byId['biased-prompts'].perAttribute[0].maxSkew, b2.maxSkew, 'biased prompts gender MaxSkew');
      near(byId['biased-prompts'].perAttribute[0].ndkl, b2.ndkl, 'biased prompts gender NDKL');
      measured.maxBaselineDiff = d;
    },
  );

  await check(
    'early stopping on validation ABLE: the page (CPU backend) stops where `m4kit debias --backend cpu` does',
    async () => {
      // float64 on both sides, the same JS: identical numbers expected (|page − CLI| ≤ 1e-12)
      const ES = { ...RUN, epochs: 5, lr: 0.01 };
      for (const [k, id] of Object.entries(RUN_FIELDS)) await page.fill(`#${id}`, String(ES[k]));
      await page.fill('#db-patience', '1');
      await page.selectOption('#db-backend', 'cpu');
      await page.uncheck('#db-clipclip');
      await page.uncheck('#db-biased');
      await page.click('#db-run');
      await page.waitForFunction(
        () => /^done|^failed/.test(document.getElementById('db-progress-text').textContent),
        null,
        {
          timeout: 300000,
        },
      );
      assert(await page.isHidden('#db-error'), `error: ${await page.textContent('#db-error')}`);
      const r = await page.evaluate(() => globalThis.__debias);
      const t = r.training;
      assert(r.backend === 'float64 CPU backend', r.backend);
      assert(r.methods.map((m) => m.id).join() === 'original,ba', 'baselines ran while unchecked');
      assert(t.stoppedEarly && t.epochsRun < 5, `ran ${t.epochsRun} of 5 epochs`);
      assert(
        /stopped early/.test(await page.textContent('#db-progress-text')),
        'the page does not say it stopped early',
      );
      const tmp = mkdtempSync(join(tmpdir(), 'm4kit-debias-es-'));
      const out = execFileSync(
        process.execPath,
        cliArgs(ES, ['--patience', '1', '--backend', 'cpu', '-o', join(tmp, 'cli.safetensors')]),
        { cwd: example, encoding: 'utf8' },
      );
      const c = JSON.parse(out);
      assert(c.epochs === t.epochsRun && c.bestEpoch === t.bestEpoch, `CLI ran ${c.epochs}, best ${c.bestEpoch}`);
      let d = 0;
      c.history.forEach((h, i) => (d = Math.max(d, Math.abs(h.loss - t.history[i].loss))));
      c.evals.forEach(
        (e, i) => (d = Math.max(d, Math.abs(e.able - t.evals[i].able), Math.abs(e.maxSkew - t.evals[i].maxSkew))),
      );
      measured.cpuMaxDiff = d;
      assert(d <= 1e-12, `page and CLI differ by ${d} on the CPU backend`);
    },
  );

  await check('own files: row counts that differ are refused with both file names', async () => {
    await page.click('#db-own summary');
    const f = (n) => join(example, n);
    const set = {
      trainImages: f('train-images.npy'),
      trainCaptions: f('train-captions.npy'),
      trainCounterfactuals: f('eval-images.npy'), // 888 rows, not 1200
      evalImages: f('eval-images.npy'),
      evalMeta: f('eval.csv'),
      biasPrompts: f('bias-prompts.npy'),
      zeroshotPrompts: f('zeroshot-prompts.npy'),
      zeroshotPromptMeta: f('zeroshot-prompts.csv'),
    };
    for (const [role, file] of Object.entries(set)) await page.setInputFiles(`#db-f-${role}`, file);
    await page.click('#db-use-files');
    await page.waitForFunction(() => /Your files/.test(document.getElementById('db-data-summary').textContent));
    await page.selectOption('#db-class', 'concept');
    await page.click('#db-run');
    await page.waitForSelector('#db-error:not([hidden])', { timeout: 60000 });
    const msg = await page.textContent('#db-error');
    assert(/row counts differ/.test(msg) && /1200/.test(msg) && /888/.test(msg), `message: ${msg}`);
    assert(await page.isEnabled('#db-run'), 'Train stays disabled after an error');
  });
  await browser.close();

  browser = await launch({ webgpu: false });
  const p2 = await (await browser.newContext({ viewport: { width: 1200, height: 1000 } })).newPage();
  p2.on('pageerror', (e) => console.error('[pageerror]', e.message));
  await hideWebGpu(p2);
  await p2.goto(url);
  await check('no WebGPU: the page says so and selects the CPU backend', async () => {
    await p2.waitForFunction(() => globalThis.__debiasReady === true, null, { timeout: 60000 });
    assert(/No WebGPU in this browser/.test(await p2.textContent('#db-gpu')), await p2.textContent('#db-gpu'));
    assert((await p2.inputValue('#db-backend')) === 'cpu', 'the backend is not switched to the CPU');
  });
});
