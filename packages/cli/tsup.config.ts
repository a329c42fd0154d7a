import { copyFileSync, mkdirSync } from 'node:fs';
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
  // the bundled survey ships in the package (data/, next to dist/) so `npx m4kit balance` works outside the repo
  onSuccess: async () => {
    mkdirSync('data', { recursive: true });
    for (const f of ['kernlab-income.csv', 'README.md']) copyFileSync(`../../data/${f}`, `data/${f}`);
  },
});
