import { defineConfig } from 'tsup';
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', advanced: 'src/advanced.ts' },
  format: ['esm'],
  // the declarations use the GPU* globals: reference @webgpu/types (a dependency) as TypeGPU does, so a strict
  // consumer with skipLibCheck off type-checks without adding it to its own tsconfig
  dts: { banner: '/// <reference types="@webgpu/types" />' },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['webgpu'],
});
