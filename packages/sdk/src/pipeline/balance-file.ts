// Node wrapper: stream a table file through the encoder, balance, write q/keep and the JSON report atomically.
import { writeFile } from 'node:fs/promises';
import { TableEncoder, type ColumnSpec, type EncodedTable } from '../io/encode.js';
import { readTable, type ReadOptions } from '../io/read.js';
import { atomicWrite, writeTable, type OutColumn } from '../io/write.js';
import { checkFeasible } from '../balance/infeasible.js';
import { columnSpecWarnings, resolveBalanceOptions } from '../balance/options.js';
import { createFileEngine } from './file-engine.js';
import { balanceEncoded, type BalanceOptions, type BalanceResult } from './balance.js';

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

export async function balanceFile(
  path: string,
  spec: ColumnSpec,
  opts: BalanceFileOptions = {},
): Promise<{ encoded: EncodedTable; result: BalanceResult }> {
  const { onInfeasible } = resolveBalanceOptions(opts);
  if (opts.combine !== undefined && spec.combine === undefined) spec = { ...spec, combine: opts.combine };
  const encoded = await encodeFile(path, spec, opts.read);
  const result = await balanceEncoded(encoded, {
    ...opts,
    onInfeasible: 'return',
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
  if (opts.out && result.report.solver.status !== 'infeasible')
    await writeBalanceOutput(opts.out, encoded, result, spec);
  if (opts.reportPath)
    await atomicWrite(opts.reportPath, (tmp) =>
      writeFile(tmp, JSON.stringify({ file: path, ...result.report }, null, 2)),
    );
  checkFeasible(result.report, onInfeasible);
  return { encoded, result };
}

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
