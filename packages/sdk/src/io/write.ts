// Table writers (Node). Always write to a temporary file in the target directory, then rename, so a failed
// run never leaves a half-written output.
import { createWriteStream, rmSync } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'csv-stringify';
import { DataError } from './errors.js';
import { detectFormat, type TableFormat } from './read.js';

export interface OutColumn {
  name: string;
  data: ArrayLike<string | number | boolean | null>;
  type: 'string' | 'double' | 'int' | 'bool';
}

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

/** temp files being written now: removed by `removeTempFiles()` when the process is interrupted */
const pending = new Set<string>();

/**
 * Remove the temp files of writes still in progress (synchronous: for SIGINT/SIGTERM handlers). A process killed
 * with SIGKILL cannot run it and may leave one `.<name>.<pid>.<time>.tmp` file beside the output.
 */
export function removeTempFiles(): string[] {
  const removed = [...pending];
  for (const tmp of removed) rmSync(tmp, { force: true });
  pending.clear();
  return removed;
}

/** Write `path` atomically: the callback writes the temp file; on success it is renamed into place. */
export async function atomicWrite(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new DataError(`output directory ${dir} does not exist`, { file: path });
  const tmp = tempPath(path);
  pending.add(tmp);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    pending.delete(tmp);
  }
}

export async function writeTable(
  path: string,
  columns: OutColumn[],
  format: TableFormat = detectFormat(path),
): Promise<void> {
  const n = columns.length ? columns[0].data.length : 0;
  for (const c of columns)
    if (c.data.length !== n) throw new DataError(`column "${c.name}" has ${c.data.length} rows, expected ${n}`);
  await atomicWrite(path, async (tmp) => {
    if (format === 'parquet') {
      const { parquetWriteBuffer } = await import('hyparquet-writer');
      const typeOf = { string: 'STRING', double: 'DOUBLE', int: 'INT32', bool: 'BOOLEAN' } as const;
      const buf = parquetWriteBuffer({
        columnData: columns.map((c) => ({ name: c.name, data: Array.from(c.data) as never[], type: typeOf[c.type] })),
      });
      await writeFile(tmp, new Uint8Array(buf));
      return;
    }
    if (format === 'arrow') {
      const arrow = await import('apache-arrow');
      const cols: Record<string, unknown> = Object.fromEntries(
        columns.map((c) => [
          c.name,
          c.type === 'double' ? Float64Array.from(c.data as ArrayLike<number>) : Array.from(c.data),
        ]),
      );
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const table = arrow.tableFromArrays(cols as any);
      await writeFile(tmp, arrow.tableToIPC(table, 'file'));
      return;
    }
    const out = createWriteStream(tmp);
    const done = new Promise<void>((resolve, reject) => {
      out.on('finish', () => resolve());
      out.on('error', reject);
    });
    if (format === 'jsonl') {
      for (let i = 0; i < n; i++) {
        const o: Record<string, unknown> = {};
        for (const c of columns) o[c.name] = c.data[i];
        if (!out.write(JSON.stringify(o) + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      out.end();
      await done;
      return;
    }
    const s = stringify({
      header: true,
      columns: columns.map((c) => c.name),
      delimiter: format === 'tsv' ? '\t' : ',',
      cast: { boolean: (v) => (v ? 'true' : 'false') },
    });
    s.pipe(out);
    for (let i = 0; i < n; i++) {
      if (!s.write(columns.map((c) => c.data[i]))) await new Promise<void>((r) => s.once('drain', () => r()));
    }
    s.end();
    await done;
  });
}
