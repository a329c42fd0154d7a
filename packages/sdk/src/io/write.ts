// Table writers (Node). Always write to a temporary file in the target directory, then rename, so a failed
// run never leaves a half-written output.
import { createWriteStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { chmod, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { M4kitError } from '@m4kit/kernels';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'csv-stringify';
import { DataError, OutputError } from './errors.js';
import { tableFile, type ByteColumn, type TableFormat } from './formats.js';

/** A column to write (the registry's ByteColumn). */
export type OutColumn = ByteColumn;

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

/** temp files being written now: removed by `removeTempFiles()` when the process is interrupted */
const pending = new Set<string>();

/**
 * Remove the temp files of writes still in progress (synchronous: for SIGINT/SIGTERM handlers). A process killed
 * with SIGKILL cannot run it and may leave one `.<name>.<pid>.<time>.tmp` file beside the output.
 * @returns the temp files removed.
 */
export function removeTempFiles(): string[] {
  const removed = [...pending];
  for (const tmp of removed) rmSync(tmp, { force: true });
  pending.clear();
  return removed;
}

/** a file-system failure (errno code, or DuckDB's "IO Error") as an OutputError naming `path`; others unchanged */
function asOutputError(path: string, e: unknown): unknown {
  if (e instanceof M4kitError) return e;
  const err = e as { code?: unknown; message?: string };
  if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) return new OutputError(path, e);
  const msg = String(err?.message ?? '');
  if (/No space left on device/i.test(msg))
    return new OutputError(path, Object.assign(new Error(msg), { code: 'ENOSPC' }));
  if (/^IO Error/i.test(msg)) return new OutputError(path, e);
  return e;
}

/** the mode a new file gets (0666 less the umask; 0644 where the umask cannot be read, e.g. in a worker) */
function newFileMode(): number {
  try {
    return 0o666 & ~process.umask();
  } catch {
    return 0o644;
  }
}

/**
 * Write `path` atomically: the callback writes the temp file (created private, 0600), which then gets the mode of
 * the file it replaces (or a new file's mode) and is renamed into place. Any failure — disk full, size limit,
 * permissions — removes the temp file, leaves a previous file untouched and throws `OutputError` naming `path`.
 * @param path - the final path.
 * @param write - writes the content to the temp path it is given.
 */
export async function atomicWrite(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new DataError(`output directory ${dir} does not exist`, { file: path });
  const prev = await stat(path).catch(() => null);
  const tmp = tempPath(path);
  pending.add(tmp);
  try {
    await (await open(tmp, 'wx', 0o600)).close();
    await write(tmp);
    await chmod(tmp, prev ? prev.mode & 0o7777 : newFileMode());
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw asOutputError(path, e);
  } finally {
    pending.delete(tmp);
  }
}

/**
 * Write columns to `path` in the format its extension names (formats.ts), atomically; text formats may end in .gz.
 * @param path - the output path (its extension picks the format; text formats may end in .gz).
 * @param columns - equal-length columns.
 * @param format - a format that overrides the extension.
 * @throws DataError for an unknown format, zstd, or columns of different lengths; OutputError when the file cannot
 *   be written.
 */
export async function writeTable(path: string, columns: OutColumn[], format?: TableFormat): Promise<void> {
  const { spec, gzip, zstd } = tableFile(path, format);
  if (zstd) throw new DataError('zstd output is written by --engine duckdb only', { file: path });
  const n = columns.length ? columns[0].data.length : 0;
  for (const c of columns)
    if (c.data.length !== n) throw new DataError(`column "${c.name}" has ${c.data.length} rows, expected ${n}`);
  await atomicWrite(path, async (tmp) => {
    if (spec.toBytes) return writeFile(tmp, await spec.toBytes(columns));
    const rows = function* () {
      for (let i = 0; i < n; i++) yield columns.map((c) => c.data[i]);
    };
    const body: NodeJS.ReadWriteStream[] | Readable[] =
      spec.format === 'jsonl' || spec.format === 'json'
        ? [jsonLines(columns, n)]
        : [
            Readable.from(rows()),
            stringify({
              header: true,
              columns: columns.map((c) => c.name),
              delimiter: spec.format === 'tsv' ? '\t' : ',',
              cast: { boolean: (v) => (v ? 'true' : 'false') },
            }),
          ];
    await pipeline([...body, ...(gzip ? [createGzip()] : []), createWriteStream(tmp)] as never);
  });
}

/** rows as JSON Lines (one object per row, keys in column order) */
function jsonLines(columns: OutColumn[], n: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < n; i++) {
        const o: Record<string, unknown> = {};
        for (const c of columns) o[c.name] = c.data[i];
        yield JSON.stringify(o) + '\n';
      }
    })(),
  );
}
