import { defineConfig } from 'tsup';
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', options: 'src/options-entry.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['@m4kit/kernels', 'webgpu', /^node:/],
});
