// `--engine auto` (the default): which table engine runs `m4kit balance`.
//   duckdb — when `@duckdb/node-api` is installed (the CLI brings it as an optional dependency), the run is on the
//            pattern path (no --utility / --path rows / --solver stream / --low-memory / --counts / --emit-sql,
//            UTF-8 text) and the input is a glob, or a file of at least AUTO_DUCKDB_MIN_BYTES (below that the
//            built-in readers finish before DuckDB has loaded) in a format the table-format registry marks
//            `duckdb.auto` (CSV / TSV, gzip too, and Parquet: packages/sdk/src/io/formats.ts);
//   js     — otherwise.
// Both engines write the same q and keep bytes (packages/cli/test/engine.test.ts); the report's options.backend
// names the one used. `--engine js` / `--engine duckdb` choose explicitly.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tableFile, type TableFile } from '@m4kit/sdk';
import { UsageError } from './guard.js';

export const TABLE_ENGINES = ['auto', 'js', 'duckdb'] as const;
export type TableEngine = (typeof TABLE_ENGINES)[number];

/** auto picks DuckDB for files at least this large (M4KIT_AUTO_DUCKDB_MIN_BYTES overrides it, for tests) */
export const AUTO_DUCKDB_MIN_BYTES = 16 * 2 ** 20;

const MIN_BYTES_ENV = 'M4KIT_AUTO_DUCKDB_MIN_BYTES';

/** auto's size threshold: M4KIT_AUTO_DUCKDB_MIN_BYTES (an integer ≥ 0; anything else is refused) or the default */
export function autoDuckdbMinBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MIN_BYTES_ENV];
  if (raw === undefined) return AUTO_DUCKDB_MIN_BYTES;
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw)))
    throw new UsageError(
      `${MIN_BYTES_ENV} must be a byte count (an integer ≥ 0, e.g. 0 = DuckDB for every file), got ` +
        `${JSON.stringify(raw)}: fix or unset it`,
    );
  return Number(raw);
}

/** the registry's entry for a file name, or null when it names no table format (the readers then say so) */
function formatOf(input: string): TableFile | null {
  try {
    return tableFile(input);
  } catch {
    return null;
  }
}

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
  const min = autoDuckdbMinBytes(); // a garbage value is refused whichever engine runs
  if (o.engine === 'js' || o.engine === 'duckdb') return { engine: o.engine };
  const js = (why: string): EngineChoice => ({ engine: 'js', why });
  if (o.emitSql) return js('--emit-sql');
  if (!hasDuckdb()) return js('@duckdb/node-api is not installed');
  if (o.counts || o.utility || o.lowMemory || resolved.solver === 'stream' || resolved.path === 'rows')
    return js('not the pattern path');
  if (o.encoding && o.encoding !== 'utf-8') return js(`--encoding ${o.encoding}`);
  if (isGlob(input)) return { engine: 'duckdb', why: 'a glob' };
  const f = formatOf(input);
  if (!f?.spec.duckdb?.auto || f.zstd) return js(`${f ? f.format : 'a format'} files stay with the built-in readers`);
  if (o.memoryLimit) return { engine: 'duckdb', why: '--memory-limit' };
  let size = -1;
  try {
    size = statSync(input).size;
  } catch {
    return js('not a file DuckDB can scan'); // the built-in readers name the problem
  }
  return size >= min ? { engine: 'duckdb', why: `${size} bytes ≥ ${min}` } : js(`${size} bytes < ${min}`);
}
