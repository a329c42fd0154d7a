// Bundles the shared suites for Deno and Chromium (Node runs them from source through vitest).
// The Deno bundle takes packages' 'browser' export condition: their runtime-neutral builds (e.g. hyparquet-writer
// imports bare 'hyparquet', whose default condition is its node:fs build).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: 'inline',
  logLevel: 'warning',
  external: ['webgpu', 'node:*'],
};
await build({
  ...common,
  entryPoints: [join(here, 'suites.ts')],
  outfile: join(here, '.out/suites.js'),
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['browser'],
});
await build({
  ...common,
  entryPoints: [join(here, 'browser/entry.ts')],
  outfile: join(here, '.out/browser.js'),
  platform: 'browser',
});
