import { build } from 'esbuild';
import { defineConfig } from 'tsup';
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    options: 'src/options-entry.ts',
    advanced: 'src/advanced.ts',
  },
  // ESM for import, CommonJS for require (see packages/kernels/tsup.config.ts)
  format: ['esm', 'cjs'],
  shims: true,
  // declarations for every entry, `browser` included (the one-file build's types); the GPU* interfaces come from
  // the shim (merging with TypeScript 7's lib.dom or @webgpu/types, never forcing either)
  dts: {
    entry: {
      index: 'src/index.ts',
      node: 'src/node.ts',
      options: 'src/options-entry.ts',
      advanced: 'src/advanced.ts',
      browser: 'src/browser.ts',
    },
    banner: '/// <reference path="./webgpu-shim.d.ts" />',
    // `@internal` declarations are left out of the published .d.ts (and of docs/api)
    compilerOptions: { stripInternal: true },
  },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['@m4kit/kernels', 'webgpu', /^node:/, /^#/],
  // dist/browser/m4kit.js: the runtime-neutral entry (+ the kernels as `kernels`) with every dependency inside, one
  // ES module for a plain <script type="module"> or a CDN URL (no bundler); the browser builds of csv-parse etc.
  onSuccess: async () => {
    await build({
      entryPoints: ['src/browser.ts'],
      outfile: 'dist/browser/m4kit.js',
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      sourcemap: true,
      legalComments: 'eof',
      logLevel: 'warning',
    });
  },
});
