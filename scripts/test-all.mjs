#!/usr/bin/env node
// Runs every suite: vitest (Node + Dawn, plus SDK/CLI unit tests), `deno test`, Chromium (Playwright), the demo e2e
// test and the consumer suite (the packed packages installed outside the repo).
// Prints a per-suite table and ends with the line "N passed, N failed" summed over all suites.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'tests/.out');
mkdirSync(out, { recursive: true });
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', TURBO_TELEMETRY_DISABLED: '1' };
const only = process.argv.slice(2); // e.g. `node scripts/test-all.mjs node deno`

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    let text = '';
    const p = spawn(cmd, args, { cwd: root, env, ...opts });
    p.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(d);
    });
    p.stderr.on('data', (d) => {
      const s = String(d);
      text += s;
      // Dawn prints limit notices on every device; keep the log readable
      process.stderr.write(
        s
          .split('\n')
          .filter((l) => !/artificially reduced/.test(l))
          .join('\n'),
      );
    });
    p.on('close', (code, signal) => resolve({ code, signal, text }));
  });
}

const suites = [];
const want = (n) => only.length === 0 || only.includes(n);

if (want('lint')) {
  // style is part of the suite: ESLint (typescript-eslint, eslint.config.js), Prettier (.prettierrc.json) and the
  // structure check (scripts/check-structure.mjs)
  for (const [name, args] of [
    ['lint (eslint .)', [join(root, 'node_modules/eslint/bin/eslint.js'), '.']],
    ['format (prettier --check .)', [join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '.']],
    // no import cycle inside a package, no source file over 420 lines in packages/*/src and apps/demo/src
    ['structure (import cycles, file sizes)', [join(root, 'scripts/check-structure.mjs')]],
  ]) {
    const r = await run(process.execPath, args);
    suites.push({ name, passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1 });
  }
}

if (want('node')) {
  const json = join(out, 'vitest.json');
  rmSync(json, { force: true });
  const r = await run(process.execPath, [
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${json}`,
  ]);
  let passed = 0;
  let failed = 0;
  if (existsSync(json)) {
    const j = JSON.parse(readFileSync(json, 'utf8'));
    passed = j.numPassedTests;
    failed = j.numFailedTests + (j.numFailedTestSuites ?? 0) + (j.numRuntimeErrorTestSuites ?? 0);
  }
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'node (vitest, Dawn)', passed, failed });
}

if (want('deno') || want('chromium')) {
  const b = await run(process.execPath, [join(root, 'tests/build-bundles.mjs')]);
  if (b.code !== 0) suites.push({ name: 'bundle suites', passed: 0, failed: 1 });
}

if (want('deno')) {
  const deno = join(root, 'node_modules/.bin/deno');
  const denoTest = () =>
    run(deno, ['test', '--allow-all', '--no-check', '--unstable-webgpu', 'deno/all.test.ts'], {
      cwd: join(root, 'tests'),
      env: { ...env, NO_COLOR: '1' },
    });
  const summary = (r) => /(\d+) passed \| (\d+) failed/.exec(r.text.replace(/\x1b\[[0-9;]*m/g, ''));
  let r = await denoTest();
  // Deno (wgpu on Mesa lavapipe) sometimes aborts in native teardown *after* its summary reports every test passed
  // ("corrupted size vs. prev_size in fastbins", SIGABRT; about 1 run in 3 here). That is a crash of the runtime at
  // exit, not a failing test: say so loudly and rerun the whole suite (at most twice); a test failure is never rerun.
  for (let retry = 0; retry < 2 && (r.signal || r.code >= 128) && summary(r) && Number(summary(r)[2]) === 0; retry++) {
    const how = r.signal ?? `exit ${r.code}`;
    console.error(
      `\n[test-all] deno test was killed by ${how} after reporting ${summary(r)[1]} passed, 0 failed ` +
        '(a crash in native teardown at exit); rerunning the Deno suite to tell a flake from a defect',
    );
    r = await denoTest();
  }
  const m = summary(r);
  const passed = m ? Number(m[1]) : 0;
  let failed = m ? Number(m[2]) : 1;
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'deno (deno test)', passed, failed });
}

if (want('chromium')) {
  const json = join(out, 'chromium.json');
  rmSync(json, { force: true });
  const r = await run(process.execPath, [join(root, 'tests/browser/run.mjs')]);
  let passed = 0;
  let failed = 1;
  if (existsSync(json)) ({ passed, failed } = JSON.parse(readFileSync(json, 'utf8')));
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'chromium (Playwright, SwiftShader)', passed, failed });
}

if (want('e2e')) {
  const json = join(out, 'e2e.json');
  rmSync(json, { force: true });
  const r = await run(process.execPath, [join(root, 'tests/e2e/demo.e2e.mjs')]);
  let passed = 0;
  let failed = 1;
  if (existsSync(json)) ({ passed, failed } = JSON.parse(readFileSync(json, 'utf8')));
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'demo e2e (Playwright, Chromium)', passed, failed });
}

if (want('e2e')) {
  const json = join(out, 'e2e-explorer.json');
  rmSync(json, { force: true });
  const r = await run(process.execPath, [join(root, 'tests/e2e/explorer.e2e.mjs')]);
  let passed = 0;
  let failed = 1;
  if (existsSync(json)) ({ passed, failed } = JSON.parse(readFileSync(json, 'utf8')));
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'explorer e2e (Playwright, Chromium)', passed, failed });
}

if (want('e2e')) {
  // the Debias tab: trains the BA module in Chromium and compares with m4kit debias
  const json = join(out, 'e2e-debias.json');
  rmSync(json, { force: true });
  const r = await run(process.execPath, [join(root, 'tests/e2e/debias.e2e.mjs')]);
  let passed = 0;
  let failed = 1;
  if (existsSync(json)) ({ passed, failed } = JSON.parse(readFileSync(json, 'utf8')));
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'debias e2e (Playwright, Chromium)', passed, failed });
}

if (want('e2e')) {
  // the Embed tab: the shipped tiny CLIP model on images + a table in Chromium, compared with m4kit embed / eval
  const json = join(out, 'e2e-embed.json');
  rmSync(json, { force: true });
  const r = await run(process.execPath, [join(root, 'tests/e2e/embed.e2e.mjs')]);
  let passed = 0;
  let failed = 1;
  if (existsSync(json)) ({ passed, failed } = JSON.parse(readFileSync(json, 'utf8')));
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'embed e2e (Playwright, Chromium)', passed, failed });
}

if (want('docs')) {
  // the API reference (TypeDoc → docs/api/, git-ignored) and the doc-comment coverage of every entry point against
  // its floor in docs/api-coverage.json (scripts/doc-coverage.mjs)
  const t = await run(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc')]);
  const c = t.code === 0 ? await run(process.execPath, [join(root, 'scripts/doc-coverage.mjs'), '--check']) : t;
  suites.push({ name: 'docs (typedoc, doc coverage)', passed: c.code === 0 ? 1 : 0, failed: c.code === 0 ? 0 : 1 });
}

if (want('consumer')) {
  // the packages as a stranger installs them: npm pack → a temp folder outside the workspace → Node, esbuild, tsc,
  // Deno, Vite + Chromium, the CLI, npm/deno publish --dry-run (tests/consumer/run.mjs)
  const json = join(out, 'consumer.json');
  rmSync(json, { force: true });
  const r = await run(process.execPath, [join(root, 'tests/consumer/run.mjs')]);
  let passed = 0;
  let failed = 1;
  if (existsSync(json)) ({ passed, failed } = JSON.parse(readFileSync(json, 'utf8')));
  if (r.code !== 0 && failed === 0) failed = 1;
  suites.push({ name: 'consumer (packed tarballs, outside)', passed, failed });
}

const P = suites.reduce((a, s) => a + s.passed, 0);
const F = suites.reduce((a, s) => a + s.failed, 0);
console.log('\nsuite                                   passed  failed');
for (const s of suites)
  console.log(`${s.name.padEnd(38)} ${String(s.passed).padStart(7)} ${String(s.failed).padStart(7)}`);
console.log(`${P} passed, ${F} failed`);
process.exit(F ? 1 : 0);
