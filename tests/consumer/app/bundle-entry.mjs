// Bundled by every bundler the consumer suite tries (esbuild ESM and CJS, webpack ESM and CJS, Rollup, Vite SSR,
// Bun): the kernels from the runtime-neutral entry, Dawn registered only by @m4kit/sdk/node's side-effect import of
// @m4kit/kernels/node (what a bundler dropped while the package said "sideEffects": false). No top-level await, so
// the same file makes a CommonJS bundle.
import * as K from '@m4kit/kernels';
import * as A from '@m4kit/kernels/advanced';
import * as S from '@m4kit/sdk/node';
import { work } from './work.mjs';
work(K, A, S, process.argv[2] ?? 'node-bundle').catch((e) => {
  console.error(e);
  process.exit(1);
});
