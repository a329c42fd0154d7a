import { build } from 'esbuild';
import { defineConfig } from 'tsup';
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', options: 'src/options-entry.ts' },
  format: ['esm'],
  dts: { banner: '/// <reference types="@webgpu/types" />' },
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
