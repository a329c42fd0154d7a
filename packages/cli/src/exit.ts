// How the m4kit process ends: the signal handlers (exit 130), a closed stdout pipe, and a failed command's error →
// one line on stderr + its exit code (guard.ts `exitCodeOf`, the one table).
import { CommanderError } from 'commander';
import { removeTempFiles } from '@m4kit/sdk/node';
import { EXIT, exitCodeOf } from './guard.js';

/** Install the process handlers once, before the command runs. */
export function installProcessHandlers(): void {
  // Ctrl-C / SIGTERM / SIGHUP / SIGQUIT: remove the temp files of writes in progress, exit 130. A command that handles
  // the signal itself (train: checkpoint, then stop) gets it first; a second signal stops at once. SIGXFSZ (ulimit -f
  // reached) is ignored so the write fails with EFBIG and ends as a clean OutputError instead of killing the process.
  process.on('SIGXFSZ', () => {});
  let interrupted = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    process.on(sig, () => {
      interrupted++;
      process.exitCode = EXIT.interrupted;
      if (interrupted === 1 && process.listenerCount(sig) > 1) return;
      const removed = removeTempFiles();
      console.error(`m4kit: interrupted (${sig})${removed.length ? `; removed ${removed.join(', ')}` : ''}`);
      process.exit(EXIT.interrupted);
    });
  }

  // `m4kit --help | head`: a closed pipe ends the output, not the process with an EPIPE stack trace
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

/** A failed command: print it (commander's usage errors are already printed) and set the exit code. */
export function exitWithError(e: unknown): void {
  if (e instanceof CommanderError) {
    // already printed by outputError; help and --version exit 0, every usage error 2
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return;
  }
  const err = e as Error & { code?: string };
  const code = exitCodeOf(e);
  console.error(`m4kit: ${err.code && err.code.startsWith('E_') ? `[${err.code}] ` : ''}${err.message}`);
  process.exitCode = process.exitCode === EXIT.interrupted ? EXIT.interrupted : code;
}
