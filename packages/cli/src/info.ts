import { selfCheck } from '@m4kit/sdk/node';

export async function runInfo(opts: { backend: 'webgpu' | 'cpu' | 'auto'; json?: boolean }): Promise<void> {
  const r = await selfCheck({
    backend: opts.backend,
    onFallback: (why) => console.error(`warning: no WebGPU adapter, using the CPU backend (${why})`),
  });
  if (opts.json) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`backend : ${r.backend}`);
    console.log(`adapter : ${r.adapter}${r.isSoftware ? ' [software]' : ''}`);
    for (const c of r.checks)
      console.log(
        `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(12)} max rel err ${c.maxError.toExponential(2)}  ${c.ms.toFixed(1)} ms`,
      );
    console.log(r.ok ? 'self-check passed' : 'self-check FAILED');
  }
  process.exitCode = r.ok ? 0 : 1;
}
