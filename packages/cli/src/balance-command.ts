// The `balance` command: its column flags and engine flags here, its balance options from the one declaration
// (BALANCE_OPTION_DECLS in the SDK's balance/declare.ts: flag, help, default), run by runBalance (balance.ts).
import { Command, Option } from 'commander';
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BALANCE_OPTION_DECLS, declHelp } from '@m4kit/sdk';
import { auditBalanceFlags } from './balance-audit.js';
import { runBalance, type BalanceCliOptions } from './balance.js';
import { TABLE_ENGINES } from './engine.js';
import { checkOutputPaths, UsageError } from './guard.js';

/** column names: split on commas and matched exactly (" sex" and "sex " are other columns: no trimming) */
const columnNames = (v: string) => v.split(',').filter((s) => s !== '');

/** Adds `m4kit balance` to the program; `bundled` is the survey balanced when no input is given. */
export function registerBalance(program: Command, bundled: string, exitHelp: string): void {
  const cmd = program
    .command('balance')
    .description(
      'M4 balancing: per-row keep probabilities q that meet target group shares (representation) and decorrelate groups from labels (association)',
    )
    .argument('[input]', 'table: .csv .tsv .jsonl .parquet .arrow (default: the bundled kernlab income survey)')
    .option(
      '-a, --attributes <cols>',
      'sensitive attribute column (categorical); several: categorical ones crossed (see --combine), or 0/1 / ' +
        'probability indicator columns',
      columnNames,
    )
    .option(
      '-l, --labels <cols>',
      'label / proxy column (categorical or list "a|b"), or several 0/1 columns',
      columnNames,
    )
    .option('--utility <col>', 'per-row utility u (q0 = eta + u)')
    .option('--id <col>', 'id column copied to the output')
    .option('--counts <col>', 'input is a pattern-count table (GROUP BY output); this column holds the counts')
    .option('--marginal', 'several attribute columns: balance each on its own, all at once (= --combine marginal)');
  // the balance options, as declared (BALANCE_OPTION_DECLS)
  for (const d of BALANCE_OPTION_DECLS) cmd.option(d.flag, declHelp(d));
  cmd
    .addOption(
      new Option('--encoding <enc>', 'text encoding of CSV/TSV/JSONL input (invalid UTF-8 is an error naming the line)')
        .choices(['utf-8', 'latin1'])
        .default('utf-8'),
    )
    .addOption(
      new Option(
        '--engine <name>',
        'table engine: auto (DuckDB when installed, for globs and large CSV/TSV/Parquet files on the pattern path; ' +
          'else the built-in readers), js (built-in readers) or duckdb (out-of-core scans, globs); same q and keep',
      )
        .choices([...TABLE_ENGINES])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--emit-sql <dialect>',
        'print SQL for a warehouse: pattern count, or (with --counts) the join-back',
      ).choices(['duckdb', 'postgres', 'spark', 'bigquery', 'clickhouse']),
    )
    .option('--memory-limit <size>', '--engine duckdb: memory limit, e.g. 1GB (spills beyond it; default 80% of RAM)')
    .option(
      '--strict',
      'groups that differ only invisibly (trailing space, NBSP, BOM, NFC/NFD) or a group "null": error',
    )
    .option('--table <name>', '--emit-sql: the warehouse table (default: the input argument)')
    .option('--row-id <col>', '--emit-sql: integer row id column the keep draw is keyed on')
    .option('--low-memory', 'per-row path: stream the file from disk on every solver pass (tables larger than memory)')
    .option('-o, --out <file>', 'write id/row, q, keep (.csv .tsv .jsonl .parquet .arrow)')
    .option('-r, --report <file>', 'write the JSON report')
    .option('--json', 'print the report as JSON on stdout')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  $ m4kit balance                                   # bundled survey: SEX vs OCCUPATION, eta auto
  $ m4kit balance data.csv -a gender -l occupation --eta 0.8 -o q.parquet -r report.json
  $ m4kit balance data.parquet -a is_man,is_woman -l doctor,nurse,pilot --eps-assoc 0.005
  $ m4kit balance data.csv -a gender,race -l occupation        # crossed groups (gender=F & race=A, …)
  $ m4kit balance data.csv -a gender,race -l occupation --marginal \\
      --pi gender=F=0.5,gender=M=0.5,race=A=0.5,race=B=0.5   # each column on its own
  $ m4kit balance patterns.parquet -a sex -l occupation --counts n -o patterns_q.parquet   # GROUP BY output
  $ m4kit balance data.jsonl -a gender -l tags --utility quality --backend webgpu --json
  $ m4kit balance 'data/*.parquet' -a sex -l occupation --engine duckdb -o q.parquet   # DuckDB scans and joins
  $ m4kit balance events -a sex -l occupation --emit-sql clickhouse      # 1. the pattern-count statement
  $ m4kit balance patterns.csv -a sex -l occupation --counts n \\
      --emit-sql clickhouse --table events --row-id rid                  # 2. the join-back with the keep draw

${exitHelp} (3: the report gives the largest feasible eta; 4: see --max-iter)`,
    )
    .action(async (input: string | undefined, o: BalanceCliOptions) => {
      let createdOut: string | undefined;
      // an empty argument (an unset $IN) is refused by checkOutputPaths, never read as "no argument"
      if (input === undefined) {
        input = bundled;
        o.attributes ??= ['SEX'];
        o.labels ??= ['OCCUPATION'];
        o.missing ??= 'drop';
        o.eta ??= 'auto';
        if (!o.out) {
          const outDir = resolve('out');
          createdOut = mkdirSync(outDir, { recursive: true });
          o.out = join(outDir, 'kernlab-income.balanced.csv');
          o.report ??= join(outDir, 'kernlab-income.report.json');
        }
      }
      // a failed run leaves nothing behind: remove out/ again if this run created it and wrote nothing there
      const cleanup = () => createdOut && readdirSync(createdOut).length === 0 && rmdirSync(createdOut);
      try {
        if (!input.trim())
          throw new UsageError(
            'the input table argument is empty (an unset variable?): give a table file, or no argument for the bundled survey',
          );
        auditBalanceFlags(o);
        checkOutputPaths({ table: input }, { '--out': o.out, '--report': o.report });
        await runBalance(input, o);
      } catch (e) {
        cleanup();
        throw e;
      }
      if (process.exitCode) cleanup();
    });
}
