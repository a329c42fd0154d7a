// (d) Deno consumer through npm: specifiers, no --unsafe-* flag (deno.json nodeModulesDir "manual": the packages
// come from this folder's node_modules, installed from the packed tarballs).
import * as K from 'npm:@m4kit/kernels';
import * as A from 'npm:@m4kit/kernels/advanced';
import * as S from 'npm:@m4kit/sdk/node';
import { work } from './work.mjs';
await work(K, A, S, 'deno');
