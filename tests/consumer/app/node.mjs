// (a) Node ESM consumer: the packages from node_modules; (b) the same file bundled by esbuild.
import * as K from '@m4kit/kernels/node';
import * as A from '@m4kit/kernels/advanced';
import * as S from '@m4kit/sdk/node';
import { work } from './work.mjs';
await work(K, A, S, process.argv[2] ?? 'node');
