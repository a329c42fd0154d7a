// `--engine auto` (the default): which table engine runs `m4kit balance`.
//   duckdb — when `@duckdb/node-api` is installed (the CLI brings it as an optional dependency), the run is on the
//            pattern path (no --utility / --path rows / --solver stream / --low-memory / --counts / --emit-sql,
//            UTF-8 text) and the input is a glob, or a CSV / TSV / Parquet file of at least
//            AUTO_DUCKDB_MIN_BYTES (below that the built-in readers finish before DuckDB has loaded);
//   js     — otherwise.
// Both engines write the same q and keep bytes (packages/cli/test/engine.test.ts); the report's options.backend
// names the one used. `--engine js` / `--engine duckdb` choose explicitly.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';

export const TABLE_ENGINES = ['auto', 'js', 'duckdb'] as const;
export type TableEngine = (typeof TABLE_ENGINES)[number];

/** auto picks DuckDB for files at least this large (M4KIT_AUTO_DUCKDB_MIN_BYTES overrides it, for tests) */
export const AUTO_DUCKDB_MIN_BYTES = 16 * 2 ** 20;

const DUCKDB_FORMATS = /\.(csv|tsv|tab|parquet)$/i;
const isGlob = (p: string) => /[*?[]/.test(p);

let duckdbInstalled: boolean | undefined;
/** whether `@duckdb/node-api` resolves from the CLI (resolved, not loaded: loading costs ~0.3 s) */
export function hasDuckdb(): boolean {
  if (duckdbInstalled === undefined) {
    try {
      createRequire(import.meta.url).resolve('@duckdb/node-api');
      duckdbInstalled = true;
    } catch {
      duckdbInstalled = false;
    }
  }
  return duckdbInstalled;
}

export interface EngineChoice {
  engine: 'js' | 'duckdb';
  /** why auto chose it (absent for an explicit --engine) */
  why?: string;
}

/** The table engine for one run: explicit, or auto's choice (see the top of this file). */
export function pickEngine(
  input: string,
  o: {
    engine?: TableEngine;
    emitSql?: string;
    counts?: string;
    utility?: string;
    lowMemory?: boolean;
    encoding?: string;
    memoryLimit?: string;
  },
  resolved: { solver: string; path: string },
): EngineChoice {
  if (o.engine === 'js' || o.engine === 'duckdb') return { engine: o.engine };
  const js = (why: string): EngineChoice => ({ engine: 'js', why });
  if (o.emitSql) return js('--emit-sql');
  if (!hasDuckdb()) return js('@duckdb/node-api is not installed');
  if (o.counts || o.utility || o.lowMemory || resolved.solver === 'stream' || resolved.path === 'rows')
    return js('not the pattern path');
  if (o.encoding && o.encoding !== 'utf-8') return js(`--encoding ${o.encoding}`);
  if (isGlob(input)) return { engine: 'duckdb', why: 'a glob' };
  if (!DUCKDB_FORMATS.test(input)) return js('a format DuckDB does not read here');
  if (o.memoryLimit) return { engine: 'duckdb', why: '--memory-limit' };
  const env = Number(process.env.M4KIT_AUTO_DUCKDB_MIN_BYTES);
  const min =
    process.env.M4KIT_AUTO_DUCKDB_MIN_BYTES !== undefined && Number.isFinite(env) ? env : AUTO_DUCKDB_MIN_BYTES;
  let size = -1;
  try {
    size = statSync(input).size;
  } catch {
    return js('not a file DuckDB can scan'); // the built-in readers name the problem
  }
  return size >= min ? { engine: 'duckdb', why: `${size} bytes ≥ ${min}` } : js(`${size} bytes < ${min}`);
}
