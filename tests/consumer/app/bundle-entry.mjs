// (b) bundled by esbuild: the kernels from the runtime-neutral entry, Dawn registered only by @m4kit/sdk/node's
// side-effect import of @m4kit/kernels/node (what a bundler dropped while the package said "sideEffects": false).
import * as K from '@m4kit/kernels';
import * as S from '@m4kit/sdk/node';
import { work } from './work.mjs';
await work(K, S, process.argv[2] ?? 'node-bundle');
