import { defineConfig } from 'tsup';
export default defineConfig({
  entry: { bin: 'src/bin.ts' },
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
  external: ['@m4kit/kernels', '@m4kit/sdk', 'commander', 'webgpu'],
});
