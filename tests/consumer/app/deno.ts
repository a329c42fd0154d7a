// (d) Deno consumer through npm: specifiers (deno.json: nodeModulesDir "manual" = this folder's node_modules).
// @ts-types not needed: --no-check keeps this run about running, tsc checks the types in (c)
import * as K from 'npm:@m4kit/kernels';
import * as S from 'npm:@m4kit/sdk/node';
import { work } from './work.mjs';
await work(K, S, 'deno');
