// Binary tables on bytes: Parquet (hyparquet, every codec through hyparquet-compressors; hyparquet-writer) and Arrow
// IPC (apache-arrow: file and stream). The streaming Node reader (read.ts) shares `parquetColumns` and `arrowRow`.
// No node:* imports (browser).
import { DataError } from './errors.js';
import { checkUniqueColumns, type ByteColumn, type Cell, type Row, type TableChunk } from './table.js';

/** hyparquet's decompressors for every Parquet codec (ZSTD, GZIP, Brotli, LZ4, Snappy) */
export async function parquetCompressors(): Promise<Record<string, unknown>> {
  return (await import('hyparquet-compressors')).compressors as Record<string, unknown>;
}

interface SchemaNode {
  element: { name: string; converted_type?: string; precision?: number; scale?: number };
}

/**
 * Top-level column names, and the columns whose values hyparquet cannot give exactly (DECIMAL with more than 15
 * significant digits becomes a rounded double): a category or id read from them is refused (values.ts).
 */
export function parquetColumns(
  file: string,
  schema: { children: SchemaNode[] },
): { columns: string[]; inexact: Record<string, string> } {
  const columns = checkUniqueColumns(
    file,
    schema.children.map((c) => c.element.name),
  );
  const inexact: Record<string, string> = {};
  for (const { element: e } of schema.children)
    if (e.converted_type === 'DECIMAL' && (e.precision ?? 0) > 15)
      inexact[e.name] = `DECIMAL(${e.precision}, ${e.scale ?? 0})`;
  return { columns, inexact };
}

export async function parseParquetBytes(u8: Uint8Array, file: string): Promise<TableChunk> {
  const { parquetMetadata, parquetReadObjects, parquetSchema } = await import('hyparquet');
  const ab = u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength) as ArrayBuffer;
  let metadata;
  try {
    metadata = parquetMetadata(ab);
  } catch (e) {
    throw new DataError(`not a readable Parquet file: ${(e as Error).message}`, { file });
  }
  const { columns, inexact } = parquetColumns(file, parquetSchema(metadata) as never);
  let rows: Row[] = [];
  if (Number(metadata.num_rows))
    try {
      rows = (await parquetReadObjects({
        file: ab,
        metadata,
        compressors: (await parquetCompressors()) as never,
      })) as Row[];
    } catch (e) {
      throw new DataError(`corrupt Parquet data (${(e as Error).message})`, { file });
    }
  return { columns, rows, offset: 0, ...(Object.keys(inexact).length ? { inexact } : {}) };
}

/** one Arrow row as a plain row (vectors → arrays) */
export function arrowRow(get: (name: string) => unknown, columns: string[]): Row {
  const row: Row = {};
  for (const name of columns) {
    const v = get(name);
    const cell =
      v && typeof v === 'object' && typeof (v as { toArray?: unknown }).toArray === 'function'
        ? Array.from((v as { toArray(): ArrayLike<Cell> }).toArray())
        : (v as Cell);
    if (name === '__proto__')
      Object.defineProperty(row, name, { value: cell, enumerable: true, writable: true, configurable: true });
    else row[name] = cell;
  }
  return row;
}

export async function parseArrowBytes(u8: Uint8Array, file: string): Promise<TableChunk> {
  const arrow = await import('apache-arrow');
  let table;
  try {
    table = arrow.tableFromIPC(u8);
  } catch (e) {
    throw new DataError(`not a readable Arrow IPC file: ${(e as Error).message}`, { file });
  }
  const columns = checkUniqueColumns(
    file,
    table.schema.fields.map((f) => f.name),
  );
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) rows.push(arrowRow((n) => table.getChild(n)?.get(i), columns));
  return { columns, rows, offset: 0 };
}

export async function parquetBytes(columns: ByteColumn[]): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const typeOf = { string: 'STRING', double: 'DOUBLE', int: 'INT32', bool: 'BOOLEAN' } as const;
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: columns.map((c) => ({ name: c.name, data: Array.from(c.data) as never[], type: typeOf[c.type] })),
    }),
  );
}

export async function arrowBytes(columns: ByteColumn[]): Promise<Uint8Array> {
  const arrow = await import('apache-arrow');
  const cols: Record<string, unknown> = Object.fromEntries(
    columns.map((c) => [
      c.name,
      c.type === 'double' ? Float64Array.from(c.data as ArrayLike<number>) : Array.from(c.data),
    ]),
  );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return arrow.tableToIPC(arrow.tableFromArrays(cols as any), 'file');
}
