// The table types every reader and writer shares, and the one duplicate-column check. No node:* imports.
import { DataError } from './errors.js';

/**
 * One table cell as the readers give it (strings, numbers, booleans, bigints, null / undefined, lists).
 */
export type Cell = string | number | boolean | bigint | null | undefined | Cell[];
/**
 * One table row: cells by column name.
 */
export type Row = Record<string, Cell>;
/**
 * The table formats the readers and writers know (the registry in `TABLE_FORMATS`).
 */
export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet' | 'arrow';

/**
 * Rows read from a table, with the column names and where the chunk starts in the file.
 */
export interface TableChunk {
  /** column names, in file order */
  columns: string[];
  rows: Row[];
  /** 0-based index of the first data row of this chunk */
  offset: number;
  /** file line of each row (text formats), for error messages */
  lines?: number[];
  /** columns whose values the reader could not give exactly (e.g. Parquet DECIMAL(20, 0)): name → stored type */
  inexact?: Record<string, string>;
}

/** A column to serialise. */
export interface ByteColumn {
  name: string;
  data: ArrayLike<string | number | boolean | null>;
  type: 'string' | 'double' | 'int' | 'bool';
}

/** refuse a header (text: line 1) or a schema (binary: no line) that names a column twice (the last would win) */
export function checkUniqueColumns(file: string, columns: string[], line?: number): string[] {
  const dup = [...new Set(columns.filter((c, i) => columns.indexOf(c) !== i))];
  if (dup.length)
    throw new DataError(
      `duplicate column names: ${dup.map((c) => JSON.stringify(c)).join(', ')} (each column needs its own name)`,
      { file, line },
    );
  return columns;
}
