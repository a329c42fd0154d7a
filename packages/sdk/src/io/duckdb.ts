// DuckDB as the Node table engine (optional peer dependency @duckdb/node-api, loaded on first use): scans of
// CSV/TSV (gz too), Parquet, JSON/JSONL and globs of them, out-of-core (spills to a temp directory), with a stable
// 0-based row id per input row (file order; for globs: files in name order, then rows in file order).
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { M4kitError } from '@m4kit/kernels';
import { DataError } from './errors.js';
import { checkUniqueColumns, tableFile, type TableFile, type TableFormatSpec } from './formats.js';
import { duplicateKeyMessage } from './json-keys.js';
import { unknownColumnMessage } from './values.js';

type DuckApi = typeof import('@duckdb/node-api');
type DuckConnection = import('@duckdb/node-api').DuckDBConnection;

/** An optional package the requested feature needs is not installed. */
export class MissingDependencyError extends M4kitError {
  constructor(pkg: string, feature: string, cause?: unknown) {
    super('E_DEPENDENCY', `${feature} needs the optional package ${pkg}: install it with \`npm install ${pkg}\``, {
      cause,
    });
  }
}

let api: Promise<DuckApi> | undefined;
/**
 * Load @duckdb/node-api (dynamic import, so the browser/Deno builds never see it). `pkg` exists for tests.
 * @param feature - what needs DuckDB, for the error message.
 * @param pkg - the package to import (tests point it elsewhere).
 * @returns the `@duckdb/node-api` module (loaded once).
 * @throws MissingDependencyError (E_DEPENDENCY) when the optional package is not installed.
 */
export function loadDuckDB(feature = 'the duckdb engine', pkg = '@duckdb/node-api'): Promise<DuckApi> {
  const load = () =>
    (import(/* @vite-ignore */ /* webpackIgnore: true */ pkg) as Promise<DuckApi>).catch((e) => {
      throw new MissingDependencyError(pkg, feature, e);
    });
  if (pkg !== '@duckdb/node-api') return load();
  api ??= load().catch((e) => {
    api = undefined;
    throw e;
  });
  return api;
}

/**
 * An open DuckDB connection with helpers: run a statement, read rows, close (removing the spill directory).
 */
export interface DuckSession {
  con: DuckConnection;
  /** run a statement */
  run(sql: string): Promise<void>;
  /** run a query and return its rows as plain JS objects */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Options of `openDuckDB`: memory limit, threads and where DuckDB spills.
 */
export interface DuckOptions {
  /** DuckDB memory limit, e.g. '2GB' (default: DuckDB's, 80% of RAM) */
  memoryLimit?: string;
  threads?: number;
  /** where DuckDB spills (default: a fresh directory under the OS temp dir, removed on close) */
  tempDirectory?: string;
}

/**
 * Open an in-memory DuckDB database (the optional `@duckdb/node-api` package) with its spill directory.
 * @param opts - memory limit, threads, temp directory.
 * @returns the session; `close()` it when done.
 * @throws MissingDependencyError when `@duckdb/node-api` is not installed.
 */
export async function openDuckDB(opts: DuckOptions = {}): Promise<DuckSession> {
  const duck = await loadDuckDB();
  const spill = opts.tempDirectory ?? (await mkdtemp(join(tmpdir(), 'm4kit-duckdb-')));
  const config: Record<string, string> = { temp_directory: spill, preserve_insertion_order: 'true' };
  if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
  if (opts.threads) config.threads = String(opts.threads);
  const db = await duck.DuckDBInstance.create(':memory:', config);
  const con = await db.connect();
  return {
    con,
    run: async (sql) => void (await con.run(sql)),
    rows: async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
    close: async () => {
      con.closeSync();
      db.closeSync();
      if (!opts.tempDirectory) await rm(spill, { recursive: true, force: true });
    },
  };
}

export const sqlString = (s: string) => `'${s.split("'").join("''")}'`;
export const sqlIdent = (s: string) => `"${s.split('"').join('""')}"`;

/** The registry entry of a path the duckdb engine reads or writes (extension; .gz / .zst; globs allowed). */
export function duckFormat(path: string): TableFile & { duckdb: NonNullable<TableFormatSpec['duckdb']> } {
  const f = tableFile(path);
  if (!f.spec.duckdb)
    throw new DataError(
      `the duckdb engine does not read or write ${f.format} files: use --engine js (the built-in readers) for them`,
      { file: path },
    );
  return { ...f, duckdb: f.spec.duckdb };
}

/** the top-level column names of the first Parquet file of `p` as stored (parquet_schema: depth-first, root first) */
async function parquetTopLevelNames(s: DuckSession, p: string): Promise<string[]> {
  const all = await s.rows(`SELECT file_name, name, num_children FROM parquet_schema(${p})`);
  const rows = all.filter((r) => r.file_name === all[0]?.file_name);
  const kids = (j: number) => Number(rows[j]?.num_children ?? 0) || 0;
  const skip = (j: number): number => {
    let k = j + 1;
    for (let n = kids(j); n > 0 && k < rows.length; n--) k = skip(k);
    return k;
  };
  const names: string[] = [];
  for (let i = 1, c = kids(0); c > 0 && i < rows.length; c--, i = skip(i)) names.push(String(rows[i].name));
  return names;
}

export interface SourceOptions {
  /** phase timings (pipeline/phases.ts) */
  phases?: { mark(name: string): void };
  /**
   * CSV/TSV only: load these columns as one 64-bit hash per row, `m4_h` (UBIGINT; `hash()` of the columns in this
   * order), instead of their text; the other `keep` columns stay as they are. For the pattern path
   * (pipeline/duckdb-hashed.ts), which reads the key values of each pattern from the file again.
   */
  hashKeys?: string[];
}

/** whether DuckDB reads `path` as a glob (a `*`, `?` or `[` in it) */
export const isGlob = (path: string): boolean => /[*?[]/.test(path);

/**
 * Whether registerSource can hash the key columns of `path`: CSV/TSV (every cell is text) in regular files or a glob
 * (the pattern path reads the file's first rows a second time: not a FIFO or a device).
 */
export const canHashKeys = (path: string): boolean =>
  ['csv', 'tsv'].includes(duckFormat(path).format) &&
  (isGlob(path) || (statSync(path, { throwIfNoEntry: false })?.isFile() ?? false));

/**
 * Register `path` as the view `name` with the input columns plus `m4_row` (BIGINT, 0-based row id).
 * Parquet is scanned in place (row id = file_row_number + rows of the files before it); text formats are
 * loaded into a DuckDB table once (insertion order = file order), since their scans carry no row number — only
 * the columns in `keep` when given (all must exist). CSV/TSV cells stay text, as in the default engine's reader.
 * Returns the input's column names.
 * @param s - an open DuckDB session.
 * @param path - a table file or a glob (CSV/TSV/JSON/Parquet).
 * @param name - the view to create (default 'm4_src').
 * @param keep - columns to keep (default: all).
 * @returns the input's column names.
 * @throws DataError naming the file for an unreadable input or an unknown column.
 */
export async function registerSource(
  s: DuckSession,
  path: string,
  name = 'm4_src',
  keep?: string[],
  opts: SourceOptions = {},
): Promise<string[]> {
  const { phases, hashKeys } = opts;
  const { format: fmt, duckdb } = duckFormat(path);
  const p = sqlString(path);
  let columns: string[];
  const types = new Map<string, string>();
  const describe = async (from: string) =>
    (await s.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${from})`)).map((r) => {
      types.set(String(r.column_name), String(r.column_type));
      return String(r.column_name);
    });
  // the kept columns as the strict readers want them (keptColumn); REPLACE list for the parquet view
  const kept = async (from: string) =>
    Promise.all([...new Set(keep ?? [])].map((c) => keptColumn(s, from, c, types.get(c) ?? '', path)));
  const check = () => {
    for (const c of keep ?? [])
      if (!columns.includes(c)) throw new DataError(unknownColumnMessage(c, columns), { file: path, column: c });
  };
  try {
    if (fmt === 'parquet') {
      columns = (await describe(`read_parquet(${p})`)).filter((c) => c !== 'm4_row');
      checkUniqueColumns(path, await parquetTopLevelNames(s, p));
      check();
      // rows before each file, in the reader's file order (the glob's), looked up by the virtual file_index
      const files = (await s.rows(`SELECT file FROM glob(${p})`)).map((r) => String(r.file));
      const sizes = new Map(
        (await s.rows(`SELECT file_name, num_rows FROM parquet_file_metadata(${p})`)).map((r) => [
          String(r.file_name),
          Number(r.num_rows),
        ]),
      );
      const off: number[] = [];
      files.reduce((a, f) => (off.push(a), a + (sizes.get(f) ?? 0)), 0);
      const rowId =
        off.length > 1
          ? `file_row_number + ([${off.join(', ')}]::BIGINT[])[CAST(file_index AS BIGINT) + 1]`
          : 'file_row_number';
      const repl = (await kept(`read_parquet(${p})`)).filter((x) => x.includes(' AS '));
      const replace = repl.length ? ` REPLACE (${repl.join(', ')})` : '';
      await s.run(`CREATE TEMP VIEW ${name} AS
        SELECT * EXCLUDE (file_row_number)${replace}, CAST(${rowId} AS BIGINT) AS m4_row
        FROM read_parquet(${p}, file_row_number = true)`);
    } else {
      const scan = duckdb.read(p);
      columns = await describe(scan);
      if (fmt === 'csv' || fmt === 'tsv') {
        // DuckDB renames a repeated header name ("a", "a_1"): read the header cells as they are and refuse
        const head = await s.rows(`SELECT * FROM ${scan.replace('header = true', 'header = false')} LIMIT 1`);
        checkUniqueColumns(path, Object.values(head[0] ?? {}).map(String), 1);
      }
      check();
      let sel = keep ? (await kept(scan)).join(', ') : '*';
      if (hashKeys && (fmt === 'csv' || fmt === 'tsv')) {
        // the key columns as one hash (CSV cells are text: keptColumn leaves them as they are)
        const rest = [...new Set(keep ?? [])].filter((c) => !hashKeys.includes(c)).map(sqlIdent);
        sel = [`hash(${hashKeys.map(sqlIdent).join(', ')}) AS m4_h`, ...rest].join(', ');
      }
      phases?.mark('sniff');
      await s.run(`CREATE TEMP TABLE m4_raw AS SELECT ${sel} FROM ${scan}`);
      phases?.mark('load');
      await s.run(`CREATE TEMP VIEW ${name} AS SELECT *, rowid AS m4_row FROM m4_raw`);
    }
  } catch (e) {
    if (e instanceof M4kitError) throw e;
    const msg = (e as Error).message;
    // DuckDB refuses a JSON object with a repeated key: the readers' message (json-keys.ts), file line and key
    const dupKey = /in line (\d+): Object .* has duplicate key "(.*)"/.exec(msg);
    if (dupKey)
      throw new DataError(duplicateKeyMessage({ key: dupKey[2], path: [] }), {
        file: path,
        line: Number(dupKey[1]),
        column: dupKey[2],
      });
    throw duckReadError(msg, path);
  }
  return columns;
}

/**
 * DuckDB's error reading a table, as one clear DataError naming the file (and the file line when DuckDB gives one:
 * "CSV Error on Line: N"), never DuckDB's raw text with its option dump and the SQL position ("LINE 1: …", which
 * is the query's line, not the file's).
 */
export function duckReadError(msg: string, path: string): DataError {
  // "Error when sniffing file": no dialect fits the sampled lines; DuckDB names no line
  if (/Error when sniffing file/i.test(msg))
    return new DataError(
      'DuckDB could not detect the CSV dialect (quoting, delimiter or column count differ between lines): read ' +
        'the file with --engine js, which names the first line it cannot parse',
      { file: path },
    );
  const at = /CSV Error on Line: (\d+)/.exec(msg);
  if (at) {
    const line = Number(at[1]);
    const cols = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(msg);
    const why = /Invalid unicode/i.test(msg)
      ? 'not valid UTF-8 (the duckdb engine reads UTF-8 only): read it with --engine js --encoding latin1'
      : cols
        ? `${cols[2]} fields where the header has ${cols[1]}`
        : /unterminated quote/i.test(msg)
          ? 'a quoted value is not closed'
          : (/\n([^\n]+)\n\s*\n?Possible (fix|Solution)/.exec(msg)?.[1] ?? 'not readable as CSV');
    return new DataError(why, { file: path, line });
  }
  if (/No files found/i.test(msg)) return new DataError('file not found', { file: path });
  // anything else: DuckDB's first line, without its error class and the query position
  const first = msg.split('\n')[0].replace(/^[A-Za-z ]*Error: /, '');
  return new DataError(`DuckDB could not read the table: ${first}`, { file: path });
}

/**
 * COPY a query to `out` in the format its extension names, through a temp file in the same folder + rename.
 * @param s - an open DuckDB session.
 * @param query - the SELECT whose rows are written.
 * @param out - the output path (its extension picks CSV/TSV/JSONL/Parquet, optional .gz / .zst).
 */
export async function copyAtomic(s: DuckSession, query: string, out: string): Promise<void> {
  const { atomicWrite } = await import('./write.js');
  const { duckdb, gzip, zstd } = duckFormat(out);
  const z = gzip ? ', COMPRESSION gzip' : zstd ? ', COMPRESSION zstd' : '';
  // USE_TMP_FILE false: atomicWrite already writes a temp file (DuckDB's own tmp_<name> would outlive a failure)
  await atomicWrite(out, (tmp) =>
    s.run(`COPY (${query}) TO ${sqlString(tmp)} (${duckdb.copy}${z}, USE_TMP_FILE false)`),
  );
}

/**
 * The select expression of a column the balance reads: a JSON-typed column (DuckDB's type for a JSON field mixing
 * value types) as its scalar values' text, never as JSON text ("\"F\""), with a JSON object / array refused naming
 * its row; a DECIMAL wider than 15 digits as its exact text (a JS number would round it).
 */
async function keptColumn(s: DuckSession, from: string, c: string, type: string, path: string): Promise<string> {
  const id = sqlIdent(c);
  if (type === 'JSON') {
    const bad = await s.rows(`SELECT n, CAST(${id} AS VARCHAR) AS v, json_type(${id}) AS t
      FROM (SELECT row_number() OVER () AS n, ${id} FROM ${from}) WHERE json_type(${id}) IN ('OBJECT', 'ARRAY') LIMIT 1`);
    if (bad.length)
      throw new DataError(
        `a JSON ${bad[0].t === 'ARRAY' ? 'array' : 'object'} ${String(bad[0].v)} is not a category (expected a ` +
          'string or a number)',
        { file: path, row: Number(bad[0].n), column: c },
      );
    return `json_extract_string(${id}, '$') AS ${id}`;
  }
  if (/^STRUCT|^MAP|^UNION/.test(type))
    throw new DataError(`the column holds ${type.split('(')[0]} values (JSON objects): not a category`, {
      file: path,
      column: c,
    });
  const dec = /^DECIMAL\((\d+),\s*\d+\)$/.exec(type);
  if (dec && Number(dec[1]) > 15) return `CAST(${id} AS VARCHAR) AS ${id}`;
  return id;
}
