// The TypeScript matrix of the consumer suite: a strict consumer (skipLibCheck off; app/types.ts + app/types-cjs.cts)
// under TypeScript 5.9 and 7 × moduleResolution bundler / node16 / nodenext × with and without WebGPU types ×
// with and without the optional @duckdb/node-api installed. One tsconfig per cell, written next to the sources.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TS_VERSIONS = [
  { name: 'TypeScript 5.9', tsc: 'typescript/bin/tsc' },
  { name: 'TypeScript 7', tsc: 'typescript7/bin/tsc' },
];
export const RESOLUTIONS = ['bundler', 'node16', 'nodenext'];

/**
 * The WebGPU declarations a consumer may have: TypeScript 5.9 — @webgpu/types (with DOM) or none; TypeScript 7 —
 * its own lib.dom (which declares WebGPU) or none (a Node app without DOM). @webgpu/types cannot be used with
 * TypeScript 7's lib.dom (182 duplicate-identifier errors on a file that does not import m4kit), so that cell is
 * not a consumer's choice.
 */
export function gpuTypes(ts, withWebgpu) {
  const ts7 = ts.name.endsWith('7');
  if (!withWebgpu) return { types: ['node'], lib: ts7 ? ['ES2022'] : ['ES2022', 'DOM'], what: 'no WebGPU types' };
  return ts7
    ? { types: ['node'], lib: ['ES2022', 'DOM'], what: "lib.dom's WebGPU" }
    : { types: ['node', '@webgpu/types'], lib: ['ES2022', 'DOM'], what: '@webgpu/types' };
}

/** Every cell: { ts, res, webgpuTypes, duckdb, label }. */
export function tsCells() {
  const cells = [];
  for (const ts of TS_VERSIONS)
    for (const res of RESOLUTIONS)
      for (const webgpuTypes of [true, false])
        for (const duckdb of [true, false]) {
          // TypeScript 5.9 is the slow one (~1 min a cell on 2 busy cores): without DuckDB it is checked once per
          // resolution, without WebGPU types (the strictest case); TypeScript 7 runs every cell
          if (!duckdb && webgpuTypes && !ts.name.endsWith('7')) continue;
          cells.push({
            ts,
            res,
            webgpuTypes,
            duckdb,
            label:
              `${ts.name}, moduleResolution ${res}, ${gpuTypes(ts, webgpuTypes).what}, ` +
              `${duckdb ? 'with' : 'without'} @duckdb/node-api`,
          });
        }
  return cells;
}

/** Writes the cell's tsconfig into `dir` and returns its file name. */
export function writeTsconfig(dir, cell) {
  const { types, lib } = gpuTypes(cell.ts, cell.webgpuTypes);
  const bundler = cell.res === 'bundler';
  const name = `tsconfig.${cell.ts.name.replace(/\D+/g, '')}.${cell.res}.${cell.webgpuTypes ? 'gpu' : 'nogpu'}.json`;
  const compilerOptions = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: 'ES2022',
    module: bundler ? 'ESNext' : cell.res === 'node16' ? 'Node16' : 'NodeNext',
    moduleResolution: cell.res,
    lib,
    types,
  };
  // the CommonJS file (require condition, .d.cts) where the resolution knows CommonJS
  const files = bundler ? ['types.ts'] : ['types.ts', 'types-cjs.cts'];
  writeFileSync(join(dir, name), JSON.stringify({ compilerOptions, files }, null, 2));
  return name;
}
