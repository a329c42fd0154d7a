// The m4kit command line: the program, its commands (one register function per command group, in help order), the
// unknown-command rule, then the run. Exit codes and signals: exit.ts; option parsers and the exit-code help: options.ts.
import { Command, Option } from 'commander';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBalance } from './balance-command.js';
import { registerDebias } from './debias-command.js';
import { registerEmbed } from './embed-command.js';
import { registerEval, registerPrompts } from './eval-command.js';
import { exitWithError, installProcessHandlers } from './exit.js';
import { closestName, UsageError } from './guard.js';
import { runInfo } from './info.js';
import { EXIT_HELP } from './options.js';
import { registerTokenize } from './tokenize.js';
import { registerTrain } from './train-command.js';

const here = dirname(fileURLToPath(import.meta.url));
/** the bundled real dataset, shipped in the package (copied from the repo's data/ at build) */
export const BUNDLED: string = resolve(here, '../data/kernlab-income.csv');

const program = new Command();
program
  .name('m4kit')
  .description('Measure and reduce social bias in CLIP-style vision-language data and models, on WebGPU.')
  .version('0.1.0')
  // usage errors: one line on stderr, exit 2 (not commander's 1, not the whole help)
  .exitOverride()
  .addHelpText('after', `\n${EXIT_HELP}; 1 is an internal error (please report it).`)
  .configureOutput({
    outputError: (str, write) => write(`m4kit: ${str.replace(/^error: /, '').trimEnd()} (see --help)\n`),
  });

program
  .command('info')
  .description('print the WebGPU adapter and run a kernel self-check against the float64 references')
  .addOption(
    new Option('--backend <kind>', 'where the self-check runs').choices(['auto', 'webgpu', 'cpu']).default('auto'),
  )
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExamples:\n  $ m4kit info\n  $ m4kit info --json\n  $ m4kit info --backend cpu')
  .action(runInfo);

registerBalance(program, BUNDLED, EXIT_HELP);
registerEval(program, EXIT_HELP);
registerTokenize(program, EXIT_HELP);
registerEmbed(program, EXIT_HELP);
registerPrompts(program);
registerDebias(program, EXIT_HELP);
registerTrain(program, EXIT_HELP);

// an unknown command is a usage error (exit 2) naming the closest command; `usage` keeps commander from listing
// the catch-all argument a second time ("[command] [command]")
program
  .usage('[options] [command]')
  .argument('[command]')
  .allowExcessArguments()
  .action((cmd?: string) => {
    if (!cmd) return program.help();
    const names = program.commands.map((c) => c.name());
    const closest = closestName(cmd, names);
    const hint = closest ? `; did you mean '${closest}'?` : '';
    throw new UsageError(`unknown command '${cmd}'${hint} (commands: ${names.join(', ')})`);
  });

installProcessHandlers();

const argv = process.argv.length > 2 ? process.argv : [...process.argv, 'balance'];
program.parseAsync(argv).catch(exitWithError);
