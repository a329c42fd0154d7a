// One option audit for `m4kit balance` (issue #25 §2): a flag that does nothing in the chosen mode is an error
// (exit 2) naming the flag and the mode, never ignored. Values are the SDK resolver's (resolveBalanceOptions: a
// blank --pi, --seed 1.5 or ≥ 2^32 refused there, one rule for the SDK and the CLI), also before any work.
import { UsageError } from './guard.js';

export interface AuditedBalanceFlags {
  solver?: string;
  method?: string;
  polish?: string;
  engine?: string;
  emitSql?: string;
  out?: string;
  memoryLimit?: string;
  table?: string;
  rowId?: string;
  lowMemory?: boolean;
  path?: string;
}

/** `--memory-limit` when `--engine auto` chose the built-in readers: it would do nothing */
export function auditEngineChoice(o: { memoryLimit?: string }, engine: 'js' | 'duckdb', why?: string): void {
  if (o.memoryLimit !== undefined && engine === 'js')
    throw new UsageError(`--memory-limit does nothing: the run uses the built-in readers (${why ?? 'js'}): drop it`);
}

/** the flags of `o` that do nothing in the mode `o` chooses, or carry a value that would be coerced: UsageError */
export function auditBalanceFlags(o: AuditedBalanceFlags): void {
  const no = (flag: string, why: string) => {
    throw new UsageError(`${flag} does nothing ${why}: drop it`);
  };
  const stream = o.solver === 'stream';
  if (o.method !== undefined && stream) no('--method', 'with --solver stream (it picks the batch solver’s method)');
  if (o.polish !== undefined && !stream) no('--polish', 'with the batch solver (it polishes --solver stream)');
  if (o.emitSql !== undefined && o.out !== undefined)
    no('-o/--out', 'with --emit-sql (the SQL goes to stdout; the warehouse writes the result)');
  if (o.memoryLimit !== undefined && o.engine === 'js') no('--memory-limit', 'with --engine js (it limits DuckDB)');
  if (o.table !== undefined && o.emitSql === undefined) no('--table', 'without --emit-sql');
  if (o.rowId !== undefined && o.emitSql === undefined) no('--row-id', 'without --emit-sql');
  if (o.lowMemory && o.path === 'patterns') no('--low-memory', 'with --path patterns (it streams the per-row path)');
}
