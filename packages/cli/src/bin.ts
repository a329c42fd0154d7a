import { Command } from 'commander';
import { selfCheck } from '@m4kit/sdk/node';

const program = new Command();
program
  .name('m4kit')
  .description('Measure and reduce social bias in CLIP-style vision-language data and models, on WebGPU.')
  .version('0.1.0');

program
  .command('info', { isDefault: true })
  .description('print the WebGPU adapter and run a kernel self-check against the float64 references')
  .option('--backend <kind>', 'webgpu | cpu | auto', 'auto')
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExamples:\n  $ m4kit info\n  $ m4kit info --json\n  $ m4kit info --backend cpu')
  .action(async (opts: { backend: 'webgpu' | 'cpu' | 'auto'; json?: boolean }) => {
    const r = await selfCheck({ backend: opts.backend, onFallback: (why) => console.error(`warning: no WebGPU adapter, using the CPU backend (${why})`) });
    if (opts.json) console.log(JSON.stringify(r, null, 2));
    else {
      console.log(`backend : ${r.backend}`);
      console.log(`adapter : ${r.adapter}${r.isSoftware ? ' [software]' : ''}`);
      for (const c of r.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(12)} max rel err ${c.maxError.toExponential(2)}  ${c.ms.toFixed(1)} ms`);
      console.log(r.ok ? 'self-check passed' : 'self-check FAILED');
    }
    process.exitCode = r.ok ? 0 : 1;
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error & { code?: string };
  console.error(`m4kit: ${err.code ? `[${err.code}] ` : ''}${err.message}`);
  process.exitCode = process.exitCode || 2;
});
