// After tsup: (1) the GPU* interface shim the declarations reference (packages/kernels/types/webgpu-shim.d.ts);
// (2) the declarations' import of the optional peer @duckdb/node-api marked `@ts-ignore`, so a strict consumer
// (skipLibCheck off) without DuckDB installed type-checks every entry (#24: sdk/dist/node.d.ts failed with TS2307);
// with DuckDB installed the DuckDB types are used as they are.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

copyFileSync('../kernels/types/webgpu-shim.d.ts', 'dist/webgpu-shim.d.ts');
// (a type import in the chunk that declares the DuckDB types, a side-effect import in each entry that uses the chunk)
const DUCK = /^(import (?:.* from )?'@duckdb\/node-api';)$/gm;
let patched = 0;
for (const f of readdirSync('dist').filter((x) => /\.d\.c?ts$/.test(x))) {
  const text = readFileSync(join('dist', f), 'utf8');
  if (!text.match(DUCK)) continue;
  const note = '// @ts-ignore optional peer dependency: its types where installed, `any` where not\n';
  writeFileSync(
    join('dist', f),
    text.replace(DUCK, (line) => `${note}${line}`),
  );
  patched++;
}
if (!patched) throw new Error('post-build: no declaration imports @duckdb/node-api (update this script)');
