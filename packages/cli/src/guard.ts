// One exit-code table for every command, the usage-error type, output-path checks and interrupt handling.
import { closeSync, existsSync, lstatSync, openSync, readlinkSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Exit codes of every m4kit command (README "Exit codes", docs/reliability.md). */
export const EXIT = { ok: 0, internal: 1, usage: 2, infeasible: 3, maxIter: 4, interrupted: 130 } as const;

/**
 * The exit code of a finished balance: 3 infeasible, 4 when the solver stopped at --max-iter with constraints still
 * violated (the output is written but not balanced to the tolerances), else 0. The message says which.
 */
export function balanceExit(solver: { status: string; iterations: number; maxViolation: number }): number {
  if (solver.status === 'infeasible') return EXIT.infeasible;
  if (solver.status === 'max-iter') {
    console.error(
      `m4kit: the solver stopped at the iteration limit (${solver.iterations} iterations) with constraints ` +
        `violated by up to ${solver.maxViolation.toExponential(2)}: the output is not balanced to the tolerances; ` +
        'raise --max-iter or loosen --tol (exit 4)',
    );
    return EXIT.maxIter;
  }
  return EXIT.ok;
}

/** Bad command-line usage (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = EXIT.usage;
}

/**
 * The exit code for an error: its own numeric `exitCode` (commander errors, UsageError), 3 for `InfeasibleError`
 * (code E_INFEASIBLE), 4 for `NotConvergedError` (E_NOT_CONVERGED), 2 for bad input
 * (M4kitError codes `E_*`, any error named `…OptionError` / `…UsageError` / `…ConfigError` / `DataError`), else 1.
 */
export function exitCodeOf(e: unknown): number {
  const err = e as { name?: string; code?: string; exitCode?: unknown };
  if (typeof err?.exitCode === 'number') return err.exitCode;
  if (err?.code === 'E_INFEASIBLE') return EXIT.infeasible;
  if (err?.code === 'E_NOT_CONVERGED') return EXIT.maxIter;
  if (typeof err?.code === 'string' && err.code.startsWith('E_')) return EXIT.usage;
  if (typeof err?.name === 'string' && /(OptionError|UsageError|ConfigError|ArgumentError|DataError)$/.test(err.name))
    return EXIT.usage;
  return EXIT.internal;
}

/** The name in `names` closest to `typed` by edit distance, if it is close enough to be a typo (else undefined). */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const a = typed.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    let prev = Array.from({ length: name.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= name.length; j++)
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === name[j - 1] ? 0 : 1));
      prev = cur;
    }
    const d = prev[name.length];
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(a.length / 2)) ? best.name : undefined;
}

/** `img.safetensors:NAME` / `t.parquet:COL` → the file part; a real path for files that exist. */
function fileOf(spec: string): string {
  const m = /^(.*\.(?:safetensors|parquet|pq|npy|json|jsonl|arrow))(?::[^/\\]+)$/i.exec(spec);
  const p = resolve(m ? m[1] : spec);
  if (existsSync(p)) return realpathSync(p);
  const d = dirname(p);
  return existsSync(d) ? join(realpathSync(d), basename(p)) : p;
}

/** what a non-regular file is, in words */
function kindOf(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/**
 * One output path, checked before any work: not empty, not a directory, not a symbolic link / FIFO / device (an
 * atomic write would replace it by a regular file), its directory exists and a file can be created there.
 */
export function checkOutputTarget(flag: string, p: string): void {
  if (p.trim() === '') throw new UsageError(`${flag} is an empty path (an unset variable?): give a file to write`);
  const abs = resolve(p);
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (st?.isDirectory())
    throw new UsageError(`${flag} ${p} is a directory: give a file path (e.g. ${join(p, 'out' + '.csv')})`);
  if (st?.isSymbolicLink())
    throw new UsageError(
      `${flag} ${p} is a symbolic link (to ${readlinkSync(abs)}): outputs are replaced atomically, which would ` +
        `replace the link by a regular file; give the path it points to`,
    );
  if (st && !st.isFile())
    throw new UsageError(
      `${flag} ${p} is a ${kindOf(st)}: m4kit writes regular files (a temp file renamed into place); ` +
        `write to a file and copy it`,
    );
  const dir = dirname(abs);
  const ds = statSync(dir, { throwIfNoEntry: false });
  if (!ds) throw new UsageError(`${flag} ${p}: output directory ${dirname(p)} does not exist`);
  if (!ds.isDirectory()) throw new UsageError(`${flag} ${p}: ${dirname(p)} is not a directory`);
  // the temp file of the atomic write is created beside the output: try it now, not after the work
  const probe = join(dir, `.${basename(abs)}.${process.pid}.probe`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    const code = (e as { code?: string }).code ?? (e as Error).message;
    throw new UsageError(`${flag} ${p}: cannot create a file in the output directory ${dirname(p)} (${code})`);
  }
}

/**
 * Check every output path before any work (`checkOutputTarget`) and refuse an output path equal to an input or to
 * another output (the later write would replace the earlier file). `inputs` / `outputs` map the option name to its
 * path; undefined entries are ignored, empty ones refused. Every command with outputs calls it first.
 */
export function checkOutputPaths(
  inputs: Record<string, string | undefined>,
  outputs: Record<string, string | undefined>,
): void {
  const seen = new Map<string, string>();
  for (const [flag, p] of Object.entries(inputs)) {
    if (p === undefined) continue;
    if (p.trim() === '') throw new UsageError(`${flag} is an empty path (an unset variable?): give a file to read`);
    seen.set(fileOf(p), `input ${flag}`);
  }
  for (const [flag, p] of Object.entries(outputs)) {
    if (p === undefined) continue;
    checkOutputTarget(flag, p);
    const f = fileOf(p);
    const other = seen.get(f);
    if (other)
      throw new UsageError(
        `${flag} ${p} is also the ${other}: writing it would replace that file; choose another path`,
      );
    seen.set(f, `output ${flag}`);
  }
}
