// Node wrapper: stream a table file through the encoder, balance, write q/keep and the JSON report atomically.
import { writeFile } from 'node:fs/promises';
import { TableEncoder, type ColumnSpec, type EncodedTable } from '../io/encode.js';
import { readTable, type ReadOptions } from '../io/read.js';
import { atomicWrite, writeTable, type OutColumn } from '../io/write.js';
import { checkFeasible, writesOutput } from '../balance/infeasible.js';
import { columnSpecWarnings, resolveBalanceOptions } from '../balance/options.js';
import { createFileEngine } from './file-engine.js';
import { balanceEncoded, type BalanceOptions, type BalanceResult } from './balance.js';

/**
 * Read a table file in chunks and encode its attribute and label columns into patterns (`TableEncoder`).
 *
 * @param path - a .csv / .tsv / .jsonl / .parquet / .arrow file (gzip allowed for text)
 * @param spec - the attribute and label columns (and id, utility, counts, missing-value policy)
 * @param read - chunking / encoding options and an `onRows` progress callback
 * @returns the encoded table, the input of `balanceEncoded`
 * @throws DataError naming the file, row and column of a value that cannot be read
 */
export async function encodeFile(
  path: string,
  spec: ColumnSpec,
  read: ReadOptions & { onRows?: (rows: number) => void } = {},
): Promise<EncodedTable> {
  const enc = new TableEncoder(spec, path);
  for await (const chunk of readTable(path, read)) {
    enc.push(chunk);
    read.onRows?.(chunk.offset + chunk.rows.length);
  }
  return enc.finish();
}

export interface BalanceFileOptions extends BalanceOptions {
  /** output table (.csv/.tsv/.jsonl/.parquet/.arrow) with id (or row), q, keep */
  out?: string;
  /** JSON report path */
  reportPath?: string;
  read?: ReadOptions & { onRows?: (rows: number) => void };
  /** per-row path only: re-read the file in chunks on every solver pass instead of holding rows in memory */
  lowMemory?: boolean;
}

/**
 * Balance a table file: encode it (`encodeFile`), balance it (`balanceEncoded`), write the output table (id or row,
 * q, keep) and the JSON report, each atomically (temp file + rename).
 *
 * @param path - the table file
 * @param spec - the attribute and label columns
 * @param opts - balance options plus `out` (output table), `reportPath`, `read` and `lowMemory`
 * @returns the encoded table and the balance result
 * @throws InfeasibleError when no q meets the hard constraints at η — after writing the report (which says so), never
 *   the output table (unless `onInfeasible: 'return'`); NotConvergedError when the solver stopped at `maxIter`
 *   before meeting its tolerance — likewise after the report, without the output table (unless
 *   `onNotConverged: 'return'`, which writes it); DataError / OptionError for bad input
 *
 * @example
 * ```js
 * import { writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { balanceFile, InfeasibleError } from '@m4kit/sdk/node';
 * const file = join(tmpdir(), 'jobs.csv');
 * writeFileSync(file, 'sex,job\nman,doctor\nman,doctor\nman,nurse\nwoman,nurse\nwoman,doctor\nwoman,nurse\n');
 * const spec = { attributes: ['sex'], labels: ['job'] };
 * const { result } = await balanceFile(file, spec, { eta: 0.5, out: join(tmpdir(), 'jobs.q.csv') });
 * const s = result.report.bias.summary;
 * console.log(`AB ${s.abBefore.toFixed(3)} → ${s.abBalanced.toFixed(3)}, kept ${result.report.kept} rows`);
 * try {
 *   await balanceFile(file, spec, { eta: 0.99, epsRep: 0, epsAssoc: 0 });
 * } catch (e) {
 *   if (!(e instanceof InfeasibleError)) throw e;
 *   console.log(`largest feasible η ${e.maxFeasibleEta.toFixed(3)}`);
 * }
 * ```
 */
export async function balanceFile(
  path: string,
  spec: ColumnSpec,
  opts: BalanceFileOptions = {},
): Promise<{ encoded: EncodedTable; result: BalanceResult }> {
  const resolved = resolveBalanceOptions(opts);
  if (opts.combine !== undefined && spec.combine === undefined) spec = { ...spec, combine: opts.combine };
  const encoded = await encodeFile(path, spec, opts.read);
  const result = await balanceEncoded(encoded, {
    ...opts,
    onInfeasible: 'return',
    onNotConverged: 'return',
    rowsEngine: opts.lowMemory
      ? (pi, kernels) =>
          createFileEngine(path, spec, encoded, pi, {
            kernels,
            chunkRows: opts.read?.chunkRows,
            encoding: opts.read?.encoding,
          })
      : opts.rowsEngine,
  });
  // the column spec's, then the encoder's (groups that differ only invisibly, a group "null")
  const warnings = [...columnSpecWarnings(spec), ...(encoded.warnings ?? [])];
  if (warnings.length) result.report.warnings = warnings;
  if (opts.out && writesOutput(result.report.solver.status, resolved))
    await writeBalanceOutput(opts.out, encoded, result, spec);
  if (opts.reportPath)
    await atomicWrite(opts.reportPath, (tmp) =>
      writeFile(tmp, JSON.stringify({ file: path, ...result.report }, null, 2)),
    );
  checkFeasible(result.report, resolved);
  return { encoded, result };
}

/**
 * Write the balance output table (id or 1-based row, q, keep) in the format `out` names, atomically.
 * @param out - the output path.
 * @param enc - the encoded table (ids).
 * @param result - q and keep per row.
 * @param spec - the column spec (the id column's name).
 */
export async function writeBalanceOutput(
  out: string,
  enc: EncodedTable,
  result: BalanceResult,
  spec: ColumnSpec,
): Promise<void> {
  const cols: OutColumn[] = [];
  if (enc.ids)
    cols.push({
      name: spec.id ?? 'id',
      data: enc.ids as (string | number)[],
      type: typeof enc.ids[0] === 'number' ? 'double' : 'string',
    });
  else cols.push({ name: 'row', data: Int32Array.from({ length: enc.rows }, (_, i) => i + 1), type: 'int' });
  cols.push({ name: 'q', data: result.q, type: 'double' });
  cols.push({ name: 'keep', data: Array.from(result.keep, (k) => k === 1), type: 'bool' });
  await writeTable(out, cols);
}
