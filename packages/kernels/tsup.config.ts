import { defineConfig } from 'tsup';
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', advanced: 'src/advanced.ts' },
  // ESM for import, CommonJS for require (a CJS app, a TypeScript `module: node16` CommonJS consumer); the two
  // builds share the GPU provider through a globalThis symbol (runtime/gpu.ts)
  format: ['esm', 'cjs'],
  // the CJS build's `import.meta.url` (node.ts: where to resolve `webgpu` from) becomes the file's own URL
  shims: true,
  // the declarations use GPU* interfaces: types/webgpu-shim.d.ts declares them empty, to merge with TypeScript 7's
  // lib.dom or @webgpu/types where the consumer has either (never both forced: duplicate identifiers); the package's
  // build script copies it into dist/ after tsup (whose declaration step cleans dist/)
  // `@internal` declarations are left out of the published .d.ts (TypeDoc leaves them out of docs/api too)
  dts: { banner: '/// <reference path="./webgpu-shim.d.ts" />', compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['webgpu'],
});
