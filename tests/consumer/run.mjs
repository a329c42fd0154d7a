#!/usr/bin/env node
// Consumer suite: m4kit as a stranger gets it. `npm pack` the three packages (after `turbo run build`), install
// the tarballs into a fresh folder under os.tmpdir() (outside the workspace; --prefer-offline: the tarballs'
// dependencies come from npm's cache or the registry), then:
//   (a) a Node ESM script: matmul, CLIP loss vs float64, balanceFile + parseTableBytes on a CSV (app/work.mjs)
//   (b) the same work bundled by esbuild (ESM, CJS), webpack 5 (ESM, CJS), Rollup, Vite SSR and Bun (bundlers.mjs;
//       nothing marked external; Dawn registered only through @m4kit/sdk/node's side-effect import): each bundle
//       must still find the WebGPU adapter and print the unbundled numbers
//   (c) tsc --noEmit on a strict consumer (skipLibCheck off) touching every entry: TypeScript 5.9 and 7 ×
//       moduleResolution bundler / node16 / nodenext × with / without @webgpu/types × with / without DuckDB
//   (d) the same work in Deno via npm: specifiers, no --unsafe-* flag
//   (e) a Vite app in Chromium (Playwright, SwiftShader): matmul + balance on WebGPU, no node:* import or native
//       package in its bundle; and the bundled browser build (dist/browser/m4kit.js) from a plain <script type=module>
//   (f) npx m4kit info / npx m4kit balance from the consumer folder (and a failing balance leaves nothing behind)
//   (g) every @example block of the published declarations, run with node (examples.mjs)
//   (h) README.md's code blocks: the Node ones run, the browser one type-checks, the Deno one runs, every
//       `m4kit` line of the shell blocks runs against the installed CLI, the CDN snippet runs in (e) (readme.mjs)
// plus publint / attw on the tarballs, and README.md's size and compatibility tables checked against this run
// (readme.mjs; `--write-readme` rewrites them)
// plus npm publish --dry-run and deno publish --dry-run for every package. Writes tests/.out/consumer.json
// ({ passed, failed, cases, sizes }) for scripts/test-all.mjs. `node tests/consumer/run.mjs [regex]` runs a subset.
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLERS } from './bundlers.mjs';
import { tsCells, writeTsconfig } from './typescript.mjs';
import { blockCheck, checkReadme, readmeBlocks, shellCommands, shellFixtures, shellRun, shellSkip } from './readme.mjs';
import { extractExamples } from './examples.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const outDir = join(root, 'tests/.out');
mkdirSync(outDir, { recursive: true });
const args = process.argv.slice(2);
const writeReadme = args.includes('--write-readme') || process.env.M4KIT_WRITE_README === '1';
const pattern = args.find((a) => !a.startsWith('--'));
const only = pattern ? new RegExp(pattern) : null;
const env = {
  ...process.env,
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
  CI: process.env.CI ?? 'true',
  NO_COLOR: '1',
};
const bin = (p) => join(root, 'node_modules', p);
const log = (m) => console.log(`[consumer] ${m}`);

const results = [];
async function check(name, fn) {
  if (only && !only.test(name)) return;
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
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
/** Run a command; returns { status, stdout, stderr } (never throws). */
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000, ...opts });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
/** The same, without blocking: independent slow steps (tsc, deno publish) run side by side on the CI's 2 cores. */
function shAsync(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, ...opts });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 300_000);
    p.on('error', (e) => (stderr += String(e)));
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
const tail = (s, n = 1500) => (s.length > n ? '…' + s.slice(-n) : s);
function ok(r, what) {
  assert(r.status === 0, `${what} exited ${r.status}\n${tail(r.stderr || r.stdout)}`);
  return r;
}
function lastJson(stdout) {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  assert(line, `no JSON result line in:\n${tail(stdout)}`);
  return JSON.parse(line);
}
function duBytes(p) {
  let n = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) n += statSync(f).size;
    }
  };
  if (existsSync(p)) walk(p);
  return n;
}
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

const pkgs = [
  { name: '@m4kit/kernels', dir: 'packages/kernels' },
  { name: '@m4kit/sdk', dir: 'packages/sdk' },
  { name: '@m4kit/cli', dir: 'packages/cli' },
];
const tmp = mkdtempSync(join(tmpdir(), 'm4kit-consumer-'));
const app = join(tmp, 'app');
const noDuck = join(tmp, 'ts-no-duckdb');
const sizes = {};
/** byte counts for the README's size table (readme.mjs) */
const bytes = {};
const tarballs = {};
let installed = false;

// ---------------------------------------------------------------- pack + install
await check('npm pack the three packages and install the tarballs outside the workspace', async () => {
  for (const p of pkgs)
    assert(existsSync(join(root, p.dir, 'dist')), `${p.dir}/dist missing: run turbo run build first`);
  const packed = JSON.parse(
    ok(
      sh('npm', ['pack', '--json', '--pack-destination', tmp, ...pkgs.flatMap((p) => ['-w', p.name])], { cwd: root }),
      'npm pack',
    ).stdout,
  );
  const files = Object.fromEntries(packed.map((p) => [p.name, p]));
  for (const p of pkgs) {
    const f = files[p.name];
    assert(f, `npm pack produced no tarball for ${p.name}`);
    const paths = f.files.map((x) => x.path);
    for (const must of ['README.md', 'LICENSE', 'package.json'])
      assert(paths.includes(must), `${p.name} tarball lacks ${must}`);
    assert(!paths.some((x) => x.startsWith('src/') || x.startsWith('test/')), `${p.name} tarball ships sources/tests`);
    sizes[`${p.name} tarball`] = mb(f.size);
  }
  assert(
    files['@m4kit/cli'].files.some((x) => x.path === 'data/kernlab-income.csv'),
    'the CLI tarball lacks data/kernlab-income.csv',
  );
  assert(
    files['@m4kit/sdk'].files.some((x) => x.path === 'dist/browser/m4kit.js'),
    'the SDK tarball lacks dist/browser/m4kit.js',
  );
  for (const p of pkgs) tarballs[p.name] = join(tmp, files[p.name].filename);
  const typesNode = JSON.parse(readFileSync(bin('@types/node/package.json'), 'utf8')).version;
  const webgpuTypes = JSON.parse(readFileSync(bin('@webgpu/types/package.json'), 'utf8')).version;
  const dep = (n) => `file:../${files[n].filename}`;
  // browser-style install first (no webgpu): its size is what a browser / Deno user pays
  mkdirSync(join(tmp, 'web-only'));
  writeFileSync(
    join(tmp, 'web-only/package.json'),
    JSON.stringify(
      {
        name: 'web-only',
        private: true,
        type: 'module',
        dependencies: { '@m4kit/kernels': dep('@m4kit/kernels'), '@m4kit/sdk': dep('@m4kit/sdk') },
      },
      null,
      2,
    ),
  );
  const npmi = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  ok(sh('npm', npmi, { cwd: join(tmp, 'web-only') }), 'npm install (kernels + sdk)');
  assert(
    !existsSync(join(tmp, 'web-only/node_modules/webgpu')),
    'installing @m4kit/kernels + @m4kit/sdk pulled in the native webgpu package',
  );
  bytes.web = duBytes(join(tmp, 'web-only/node_modules'));
  sizes['@m4kit/kernels + @m4kit/sdk (browser, Deno, bundlers)'] = mb(bytes.web);
  // the CLI as `npm i @m4kit/cli` installs it (optional DuckDB included), measured on its own
  const cliOnly = join(tmp, 'cli-only');
  mkdirSync(cliOnly);
  writeFileSync(
    join(cliOnly, 'package.json'),
    JSON.stringify({
      name: 'cli-only',
      private: true,
      dependencies: {
        '@m4kit/kernels': dep('@m4kit/kernels'),
        '@m4kit/sdk': dep('@m4kit/sdk'),
        '@m4kit/cli': dep('@m4kit/cli'),
      },
    }),
  );
  ok(sh('npm', npmi, { cwd: cliOnly }), 'npm install (CLI only)');
  bytes.cli = duBytes(join(cliOnly, 'node_modules'));
  bytes.cliWebgpu = duBytes(join(cliOnly, 'node_modules/webgpu'));
  bytes.duckdb = duBytes(join(cliOnly, 'node_modules/@duckdb'));
  assert(bytes.duckdb > 0, 'the CLI install has no DuckDB (optional dependency)');
  rmSync(cliOnly, { recursive: true, force: true });
  // a TypeScript consumer without the optional DuckDB package (the app below gets it through the CLI)
  mkdirSync(noDuck);
  cpSync(join(here, 'app/types.ts'), join(noDuck, 'types.ts'));
  cpSync(join(here, 'app/types-cjs.cts'), join(noDuck, 'types-cjs.cts'));
  const nd = {
    name: 'ts-no-duckdb',
    private: true,
    type: 'module',
    dependencies: { '@m4kit/kernels': dep('@m4kit/kernels'), '@m4kit/sdk': dep('@m4kit/sdk') },
    devDependencies: { '@types/node': typesNode, '@webgpu/types': webgpuTypes },
  };
  writeFileSync(join(noDuck, 'package.json'), JSON.stringify(nd, null, 2));
  ok(sh('npm', npmi, { cwd: noDuck }), 'npm install (TypeScript consumer without DuckDB)');
  assert(!existsSync(join(noDuck, 'node_modules/@duckdb/node-api')), 'the no-DuckDB consumer has DuckDB');

  cpSync(join(here, 'app'), app, { recursive: true });
  const pj = {
    name: 'm4kit-consumer',
    private: true,
    type: 'module',
    dependencies: {
      '@m4kit/kernels': dep('@m4kit/kernels'),
      '@m4kit/sdk': dep('@m4kit/sdk'),
      '@m4kit/cli': dep('@m4kit/cli'),
      webgpu: '0.6.2',
    },
    devDependencies: { '@types/node': typesNode, '@webgpu/types': webgpuTypes },
  };
  writeFileSync(join(app, 'package.json'), JSON.stringify(pj, null, 2));
  writeFileSync(join(app, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }, null, 2));
  ok(sh('npm', npmi, { cwd: app }), 'npm install (consumer)');
  for (const p of pkgs)
    assert(existsSync(join(app, 'node_modules', p.name, 'package.json')), `${p.name} not installed`);
  bytes.webgpu = duBytes(join(app, 'node_modules/webgpu'));
  sizes['+ webgpu (Dawn, Node)'] = mb(bytes.webgpu);
  const browserFile = join(app, 'node_modules/@m4kit/sdk/dist/browser/m4kit.js');
  bytes.browserJs = statSync(browserFile).size;
  bytes.browserGzip = gzipSync(readFileSync(browserFile), { level: 9 }).length;
  bytes.browserMap = statSync(`${browserFile}.map`).size;
  sizes['consumer node_modules (3 packages + webgpu + @types/node)'] = mb(duBytes(join(app, 'node_modules')));
  log(`install sizes: ${JSON.stringify(sizes)}`);
  installed = true;
});

// publint (package.json vs the files) and arethetypeswrong (types per resolution mode) on the tarballs; @m4kit/sdk's
// /browser is the one-file ES module for <script type=module>, checked with attw's esm-only profile
await check('publint --strict and attw on the packed tarballs: zero problems', async () => {
  assert(Object.keys(tarballs).length === pkgs.length, 'no tarballs (npm pack failed)');
  const runs = [];
  for (const p of pkgs) {
    runs.push([`publint ${p.name}`, bin('publint/src/cli.js'), ['--strict', tarballs[p.name]]]);
    const attw = bin('@arethetypeswrong/cli/dist/index.js');
    if (p.name === '@m4kit/sdk') {
      runs.push([`attw ${p.name}`, attw, [tarballs[p.name], '--exclude-entrypoints', 'browser', '--format', 'ascii']]);
      runs.push([
        `attw ${p.name}/browser`,
        attw,
        [tarballs[p.name], '--entrypoints', 'browser', '--profile', 'esm-only'],
      ]);
    } else if (p.name !== '@m4kit/cli') runs.push([`attw ${p.name}`, attw, [tarballs[p.name], '--format', 'ascii']]);
  }
  const done = await Promise.all(runs.map(([, js, args]) => shAsync(process.execPath, [js, ...args], { cwd: tmp })));
  const bad = runs.filter((_, i) => done[i].status !== 0 || /\b[1-9]\d* (?:errors?|warnings?)\b/.test(done[i].stdout));
  assert(!bad.length, bad.map(([what], i) => `${what}:\n${tail(done[runs.indexOf(bad[i])].stdout, 800)}`).join('\n'));
});

await check(
  'without webgpu: require() works, /node throws MissingDependencyError, auto fallback is announced',
  async () => {
    const dir = join(tmp, 'web-only');
    assert(existsSync(join(dir, 'node_modules/@m4kit/kernels')), 'the kernels + sdk install is missing');
    const req =
      "const k = require('@m4kit/kernels'); const s = require('@m4kit/sdk'); " +
      'console.log(typeof k.init, typeof s.balanceEncoded)';
    const r = ok(sh(process.execPath, ['-e', req], { cwd: dir }), 'require()');
    assert(r.stdout.trim() === 'function function', `require() gave ${r.stdout}`);
    const miss =
      "import('@m4kit/kernels/node').then((m) => m.init())" +
      ".then(() => console.log('no error'), (e) => console.log(e.name, e.code, e.message))";
    const m = ok(sh(process.execPath, ['-e', miss], { cwd: dir }), 'import /node').stdout;
    assert(/^MissingDependencyError E_MISSING_DEPENDENCY .*npm install webgpu/.test(m), `missing webgpu: ${m}`);
    const auto =
      "import('@m4kit/kernels').then(async (m) => { const k = await m.init(); " +
      'console.log(JSON.stringify([k.backend, k.fallbackReason])); })';
    const a = sh(process.execPath, ['-e', auto], { cwd: dir, env: { ...env, CI: '' } });
    ok(a, 'auto fallback');
    const [backend, reason] = JSON.parse(a.stdout.trim());
    assert(backend === 'cpu' && /navigator\.gpu is missing/.test(reason), `fallback: ${a.stdout}`);
    assert(
      /\[m4kit\] no WebGPU adapter, using the float64 CPU backend/.test(a.stderr),
      `fallback not on stderr: ${a.stderr}`,
    );
    const ci = sh(process.execPath, ['-e', auto], { cwd: dir, env: { ...env, CI: 'true' } });
    assert(ci.status !== 0 && /NoAdapterError/.test(ci.stderr), 'under CI=true a missing adapter must be an error');
  },
);
rmSync(join(tmp, 'web-only'), { recursive: true, force: true });

if (installed) {
  // ---------------------------------------------------------------- (a) Node ESM
  let nodeResult;
  await check(
    '(a) Node ESM consumer: matmul, CLIP loss vs float64, balanceFile + parseTableBytes on WebGPU',
    async () => {
      nodeResult = lastJson(ok(sh(process.execPath, ['node.mjs'], { cwd: app }), 'node node.mjs').stdout);
      assert(nodeResult.adapter, 'no adapter reported');
    },
  );

  // ---------------------------------------------------------------- (h) the README's code blocks
  await check('(h) README code blocks: the Node ones run, the browser one type-checks, the Deno one runs', async () => {
    const dir = join(app, 'readme-blocks');
    mkdirSync(dir, { recursive: true });
    // the blocks read data.csv with gender and occupation columns (an association to remove at η 0.8)
    const occ = ['doctor', 'nurse', 'clerk'];
    const rows = ['gender,occupation'];
    for (let i = 0; i < 600; i++) rows.push(`${i % 2 ? 'F' : 'M'},${i % 2 && i % 7 === 0 ? 'nurse' : occ[i % 3]}`);
    writeFileSync(join(dir, 'data.csv'), rows.join('\n') + '\n');
    // and the tiny CLIP models the CLIP blocks load (data/clip-tiny/…)
    if (existsSync(join(root, 'data/clip-tiny')))
      cpSync(join(root, 'data/clip-tiny'), join(dir, 'data/clip-tiny'), { recursive: true });
    const failures = [];
    let ran = 0;
    for (const b of readmeBlocks(join(root, 'README.md'))) {
      const how = blockCheck(b);
      if (!how.how) continue;
      const name = `block-${b.line}`;
      let r;
      if (how.how === 'node') {
        writeFileSync(join(dir, `${name}.mjs`), b.code + '\n');
        r = sh(process.execPath, [`${name}.mjs`], { cwd: dir });
      } else if (how.how === 'deno') {
        writeFileSync(join(dir, `${name}.ts`), b.code + '\n');
        const flags = [
          '--unstable-webgpu',
          '--allow-read',
          '--allow-write',
          '--allow-env',
          '--allow-sys',
          '--allow-ffi',
        ];
        r = sh(bin('.bin/deno'), ['run', ...flags, `${name}.ts`], { cwd: dir });
      } else {
        writeFileSync(join(dir, `${name}.ts`), `${how.prelude}${b.code}\nexport {};\n`);
        const compilerOptions = {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'bundler',
          lib: ['ES2022', 'DOM'],
          types: ['@webgpu/types'],
        };
        writeFileSync(join(dir, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: [`${name}.ts`] }));
        r = sh(process.execPath, [bin('typescript/bin/tsc'), '-p', `tsconfig.${name}.json`], { cwd: dir });
      }
      ran++;
      if (r.status !== 0)
        failures.push(`README.md line ${b.line} (${how.how}) exited ${r.status}: ${tail(r.stderr || r.stdout, 600)}`);
    }
    assert(ran >= 5, `only ${ran} README blocks were checked`);
    assert(!failures.length, failures.join('\n'));
  });

  // ---------------------------------------------------------------- (h) the README's shell blocks
  // every `m4kit …` line of every ```sh block runs, as written, against the installed CLI, each block in its own
  // folder holding the inputs its lines name (readme.mjs shellFixtures); the lines not run and the lines run with
  // smaller settings are printed with the reason (readme.mjs SHELL_SKIPS, SHELL_REDUCED)
  await check('(h) README shell blocks: every m4kit line runs against the installed CLI', async () => {
    const sdk = await import('@m4kit/sdk');
    const { encode } = await import('fast-png');
    const io = { sdk, png: encode, cpSync, mkdirSync, writeFileSync, join };
    const path = `${join(app, 'node_modules/.bin')}:${env.PATH ?? process.env.PATH}`;
    const failures = [];
    let ran = 0;
    for (const b of readmeBlocks(join(root, 'README.md')).filter((x) => x.lang === 'sh')) {
      const dir = join(app, 'readme-shell', `block-${b.line}`);
      mkdirSync(dir, { recursive: true });
      cpSync(join(app, 'readme-blocks/data.csv'), join(dir, 'data.csv'));
      if (/data\/clip-tiny/.test(b.code))
        cpSync(join(root, 'data/clip-tiny'), join(dir, 'data/clip-tiny'), { recursive: true });
      const before = await shellFixtures(dir, b.code, io);
      for (const line of [...before, ...shellCommands(b.code)]) {
        const why = shellSkip(line);
        if (why) {
          log(`README.md line ${b.line}: not run: ${line} (${why})`);
          continue;
        }
        const { cmd, reduced } = shellRun(line);
        if (reduced) log(`README.md line ${b.line}: run with ${reduced} appended: ${line}`);
        const r = sh('sh', ['-c', cmd], { cwd: dir, env: { ...env, PATH: path } });
        ran++;
        if (r.status !== 0)
          failures.push(`README.md line ${b.line}: ${line} exited ${r.status}: ${tail(r.stderr || r.stdout, 600)}`);
      }
    }
    assert(ran >= 20, `only ${ran} README shell lines ran`);
    assert(!failures.length, failures.join('\n'));
    log(`${ran} README shell lines ran`);
  });

  // ---------------------------------------------------------------- (g) the @example blocks of the declarations
  // the entry-point functions whose declarations must carry a runnable example (examples.mjs runs every one found)
  const EXAMPLE_FUNCTIONS = [
    '@m4kit/kernels init',
    '@m4kit/kernels getGPU',
    '@m4kit/sdk balanceEncoded',
    '@m4kit/sdk balanceFile',
    '@m4kit/sdk biasReport',
    '@m4kit/sdk solveBatch',
    '@m4kit/sdk resolveBalanceOptions',
    '@m4kit/sdk evaluateFiles',
    '@m4kit/sdk zeroShot',
    '@m4kit/sdk loadClip',
    '@m4kit/sdk loadClipTokenizer',
    '@m4kit/sdk debias',
    '@m4kit/sdk train',
  ];
  await check('(g) every @example in the published declarations runs (entry-point functions have one)', async () => {
    const examples = extractExamples(join(app, 'node_modules'), ['@m4kit/kernels', '@m4kit/sdk']);
    // the CLIP examples load the repository's tiny random-weight model folder, data/clip-tiny/<model>
    if (existsSync(join(root, 'data/clip-tiny')))
      cpSync(join(root, 'data/clip-tiny'), join(app, 'data/clip-tiny'), { recursive: true });
    for (const fn of EXAMPLE_FUNCTIONS)
      assert(
        examples.some((e) => e.where === fn),
        `no @example for ${fn} (found: ${examples.map((e) => e.where).join(', ')})`,
      );
    mkdirSync(join(app, 'examples'), { recursive: true });
    const failures = [];
    for (const [i, ex] of examples.entries()) {
      const file = join('examples', `example-${i}.mjs`);
      writeFileSync(join(app, file), ex.code + '\n');
      const r = sh(process.execPath, [file], { cwd: app });
      if (r.status !== 0) failures.push(`${ex.where} (${file}) exited ${r.status}: ${tail(r.stderr || r.stdout, 600)}`);
    }
    assert(!failures.length, failures.join('\n'));
    log(`${examples.length} @example blocks ran`);
  });

  // ---------------------------------------------------------------- (b) every bundler
  for (const bundler of BUNDLERS) {
    await check(`(b) bundled by ${bundler.name} (nothing external, Dawn via sdk/node) keeps the adapter`, async () => {
      const out = await bundler.build(root, app);
      const code = readFileSync(join(app, out), 'utf8');
      assert(!/from\s*["']webgpu["']|require\(\s*["']webgpu["']\s*\)/.test(code), 'the bundle loads webgpu statically');
      const r = lastJson(ok(sh(process.execPath, [out, bundler.name], { cwd: app }), `node ${out}`).stdout);
      assert(
        r.adapter && r.adapter.description === nodeResult?.adapter?.description,
        `bundle adapter ${JSON.stringify(r.adapter)}`,
      );
      assert(
        JSON.stringify(r.summary) === JSON.stringify(nodeResult?.summary),
        'bundle and Node report different balance numbers',
      );
    });
  }

  // ---------------------------------------------------------------- (c) TypeScript matrix
  {
    const cells = tsCells().filter((c) => !only || only.test(`(c) tsc: ${c.label}`));
    const run = (c) => {
      const dir = c.duckdb ? app : noDuck;
      const cfg = writeTsconfig(dir, c);
      return shAsync(process.execPath, [bin(c.ts.tsc), '-p', cfg], { cwd: dir });
    };
    // three at a time (TypeScript 5.9 is single-threaded; the CI has 2 cores)
    const pending = new Map();
    let next = 0;
    const start = () => {
      if (next < cells.length) pending.set(cells[next], run(cells[next++]));
    };
    for (let i = 0; i < 3; i++) start();
    for (const c of cells) {
      await check(`(c) tsc: ${c.label}`, async () => {
        const r = await pending.get(c);
        start();
        ok(r, 'tsc --noEmit (strict, skipLibCheck off)');
      });
    }
  }

  // ---------------------------------------------------------------- (d) Deno
  await check('(d) Deno via npm: specifiers (no --unsafe-* flag): the same work on WebGPU', async () => {
    const r = ok(
      sh(
        bin('.bin/deno'),
        [
          'run',
          '--unstable-webgpu',
          '--allow-read',
          '--allow-write',
          '--allow-env',
          '--allow-sys',
          '--allow-ffi',
          'deno.ts',
        ],
        { cwd: app },
      ),
      'deno run',
    );
    const d = lastJson(r.stdout);
    assert(d.adapter, 'Deno found no adapter');
    assert(d.matmul.join() === '4,5,10,11', `deno matmul ${d.matmul}`);
  });

  // ---------------------------------------------------------------- (e) Vite app + plain script in Chromium
  await check(
    '(e) Vite app in Chromium: matmul + balance on WebGPU; no node:* import or native package in the bundle; ' +
      "plain <script type=module> with dist/browser/m4kit.js; README's CDN snippet",
    async () => {
      const web = join(app, 'web');
      const { build } = await import(join(root, 'node_modules/vite/dist/node/index.js'));
      await build({
        root: web,
        logLevel: 'error',
        configFile: false,
        build: { outDir: 'dist', target: 'es2022', emptyOutDir: true },
      });
      const assets = readdirSync(join(web, 'dist/assets')).filter((f) => f.endsWith('.js'));
      assert(assets.length, 'vite produced no JavaScript');
      for (const f of assets) {
        const code = readFileSync(join(web, 'dist/assets', f), 'utf8');
        const bad =
          /["']node:[a-z_/]+["']/.exec(code) ??
          /__vite-browser-external/.exec(code) ??
          /(?:from|import\(?|require\()\s*["'](?:webgpu|onnxruntime-node|@duckdb\/[^"']+|[^"']+\.node)["']/.exec(code);
        assert(!bad, `${f} contains ${bad?.[0]}`);
      }
      const browserJs = readFileSync(join(app, 'node_modules/@m4kit/sdk/dist/browser/m4kit.js'), 'utf8');
      // self-contained: no bare or node:* import (from "x" / import("x")) left in the one file
      // (statement position only: minified strings may hold `from"` followed by anything)
      const badB =
        /(?:^|[;}\n])\s*(?:import|export)\s*[\w*{][^;"']*?\bfrom\s*["'](?![./])[^"']+["']/.exec(browserJs) ??
        /(?:^|[^\w$.])import\(\s*["'](?![./])[^"']+["']\s*\)/.exec(browserJs);
      assert(!badB, `dist/browser/m4kit.js imports ${badB?.[0]}`);
      // README's CDN snippet: its URL names the packed file's path, and the snippet runs as written against it
      const cdn = readmeBlocks(join(root, 'README.md')).find((b) => b.lang === 'html' && /cdn\.jsdelivr/.test(b.code));
      assert(cdn, 'README.md has no CDN <script> block');
      const cdnUrl = /https:\/\/cdn\.jsdelivr\.net\/npm\/@m4kit\/sdk\/([^'"]+)/.exec(cdn.code);
      assert(cdnUrl, `README.md line ${cdn.line}: no @m4kit/sdk CDN URL in the <script> block`);
      assert(
        existsSync(join(app, 'node_modules/@m4kit/sdk', cdnUrl[1])),
        `README.md line ${cdn.line}: the CDN URL names ${cdnUrl[1]}, which the packed @m4kit/sdk does not hold`,
      );
      writeFileSync(join(web, 'cdn.html'), cdn.code.replace(cdnUrl[0], '/plain/m4kit.js'));
      const files = {
        '/cdn/': join(web, 'cdn.html'),
        '/plain/m4kit.js': join(app, 'node_modules/@m4kit/sdk/dist/browser/m4kit.js'),
        '/plain/work.js': join(web, 'work.js'),
        '/plain/': join(web, 'plain.html'),
      };
      const types = { '.html': 'text/html', '.js': 'text/javascript' };
      const server = createServer((req, res) => {
        const p = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
        const file = files[p] ?? join(web, 'dist', p === '/' ? 'index.html' : p);
        if (!file.startsWith(app) || !existsSync(file)) return res.writeHead(404).end('not found');
        res
          .writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' })
          .end(readFileSync(file));
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${server.address().port}`;
      const { chromium } = await import(join(root, 'node_modules/playwright-core/index.mjs'));
      const { CHROMIUM_PATH, CHROMIUM_ARGS } = await import(join(root, 'scripts/chromium.mjs'));
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
      try {
        for (const path of ['/', '/plain/']) {
          const page = await browser.newPage();
          const errors = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(url + path);
          await page.waitForFunction(() => window.__m4kit !== undefined, null, { timeout: 60_000 });
          const r = await page.evaluate(() => window.__m4kit);
          assert(!r.error, `${path}: ${r.error}`);
          assert(r.backend === 'webgpu' && r.adapter, `${path}: backend ${r.backend}`);
          assert(r.matmul.join() === '4,5,10,11', `${path}: matmul ${r.matmul}`);
          assert(r.balanceBackend.startsWith('webgpu'), `${path}: balance ran on ${r.balanceBackend}`);
          assert(
            Math.abs(r.summary.abBefore - 0.125) < 1e-12 && r.summary.abAfter <= 0.01 + 1e-4,
            `${path}: AB ${r.summary.abBefore} → ${r.summary.abAfter}`,
          );
          assert(Math.abs(r.summary.keepRate - 0.45) < 1e-3, `${path}: keep rate ${r.summary.keepRate}`);
          assert(!errors.length, `${path}: page errors ${errors.join('; ')}`);
          await page.close();
        }
        // the CDN snippet logs the adapter and the product [1, 2; 3, 4]·I
        const page = await browser.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const logged = new Promise((resolve) =>
          page.on('console', async (msg) => {
            const args = msg.args();
            if (args.length === 2) resolve(await args[1].evaluate((x) => Array.from(x)));
          }),
        );
        await page.goto(url + '/cdn/');
        const product = await Promise.race([logged, new Promise((r) => setTimeout(() => r(null), 60_000))]);
        assert(!errors.length, `README CDN snippet: page errors ${errors.join('; ')}`);
        assert(product?.join() === '1,2,3,4', `README CDN snippet logged ${product}`);
        await page.close();
      } finally {
        await browser.close();
        server.close();
      }
    },
  );

  // ---------------------------------------------------------------- (f) CLI
  await check('(f) npx m4kit info and npx m4kit balance (bundled survey) from the consumer folder', async () => {
    const npx = (args, cwd = app) => sh('npx', ['--no-install', 'm4kit', ...args], { cwd });
    const info = JSON.parse(ok(npx(['info', '--json']), 'm4kit info').stdout);
    assert(
      JSON.stringify(info).includes('llvmpipe') || JSON.stringify(info).toLowerCase().includes('adapter'),
      'info shows no adapter',
    );
    rmSync(join(app, 'out'), { recursive: true, force: true });
    ok(npx(['balance', '--no-progress']), 'm4kit balance');
    const report = JSON.parse(readFileSync(join(app, 'out/kernlab-income.report.json'), 'utf8'));
    assert(report.bias.summary.abAfter < report.bias.summary.abBefore, 'balance did not reduce association bias');
    assert(
      readFileSync(join(app, 'out/kernlab-income.balanced.csv'), 'utf8').startsWith('row,q,keep'),
      'balanced CSV header',
    );
    const empty = mkdtempSync(join(app, 'fail-')); // inside the consumer, so npx finds its m4kit
    const bad = npx(['balance', '--no-progress', '-a', 'NO_SUCH_COLUMN'], empty);
    assert(
      bad.status === 2 && /NO_SUCH_COLUMN/.test(bad.stderr),
      `a bad column exits 2 naming it (got ${bad.status}: ${tail(bad.stderr, 300)})`,
    );
    assert(readdirSync(empty).length === 0, `a failed balance left ${readdirSync(empty).join(', ')} behind`);
  });
}

// ---------------------------------------------------------------- publish dry runs
// (--unstable-sloppy-imports: the sources import './x.js' for ./x.ts, as tsc wants; JSR rewrites them on publish)
const denoPub = Object.fromEntries(
  pkgs
    .filter((p) => !only || only.test(`deno publish --dry-run ${p.name}`))
    .map((p) => [
      p.name,
      shAsync(bin('.bin/deno'), ['publish', '--dry-run', '--allow-dirty', '--unstable-sloppy-imports'], {
        cwd: join(root, p.dir),
      }),
    ]),
);
for (const p of pkgs) {
  await check(`npm publish --dry-run ${p.name}`, async () => {
    ok(
      sh('npm', ['publish', '--dry-run', '--access', 'public', '--loglevel=error', '-w', p.name], { cwd: root }),
      'npm publish --dry-run',
    );
  });
  await check(`deno publish --dry-run ${p.name}`, async () => {
    const r = ok(await denoPub[p.name], 'deno publish --dry-run');
    assert(/Success Dry run complete/.test(r.stdout + r.stderr), 'deno publish did not report success');
  });
}

// README.md's size and compatibility tables state what this run measured (readme.mjs); a filtered run skips it
if (!only && installed) {
  await check('README.md: the size and compatibility tables are the measured ones', async () => {
    const diffs = checkReadme(join(root, 'README.md'), bytes, results, writeReadme);
    if (writeReadme) log('rewrote the README.md tables');
    assert(!diffs.length, `${diffs.join('\n')}\n(node tests/consumer/run.mjs --write-readme rewrites them)`);
  });
}

if (!process.env.M4KIT_KEEP_CONSUMER) rmSync(tmp, { recursive: true, force: true });
else log(`kept ${tmp}`);
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
writeFileSync(join(outDir, 'consumer.json'), JSON.stringify({ passed, failed, sizes, bytes, cases: results }, null, 2));
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
