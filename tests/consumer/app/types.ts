// (c) A strict TypeScript consumer (skipLibCheck off) touching every entry of both packages, checked by the
// consumer suite under TypeScript 5.9 and 7 × moduleResolution bundler / node16 / nodenext × with and without
// @webgpu/types × with and without the optional @duckdb/node-api installed (tsconfig written per cell).
import { init, M4kitError, type Kernels, type NumArray, type Tensor } from '@m4kit/kernels';
import { MissingDependencyError, registerDawn } from '@m4kit/kernels/node';
import { clipLoss, defineKernel, GpuContext } from '@m4kit/kernels/advanced';
import { parseTableBytes, TableEncoder, balanceEncoded, InfeasibleError, type BalanceReport } from '@m4kit/sdk';
import { balanceFile, balanceFileDuckdb, openDuckDB, type DuckSession } from '@m4kit/sdk/node';
import { BALANCE_DEFAULTS, resolveBalanceOptions, OptionError } from '@m4kit/sdk/options';
import { createCpuEngine, solveBatch, type MomentsEngine } from '@m4kit/sdk/advanced';
import { kernels as browserKernels, balanceEncoded as browserBalance } from '@m4kit/sdk/browser';

registerDawn();
const k: Kernels = await init({ backend: 'auto', onFallback: (why: string) => console.warn(why) });
const reason: string | null = k.fallbackReason;
const a: Tensor = k.tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
const c: NumArray = await k.matmul(a, a).read();
const ctx: GpuContext = await GpuContext.create();
const device: GPUDevice = ctx.device;
{
  const r = await clipLoss(ctx, ctx.tensor([1, 0, 0, 1], [2, 2]), ctx.tensor([1, 0, 0, 1], [2, 2]), Math.log(10));
  const loss: number = (await r.loss.read())[0];
  console.log(loss);
}
console.log(typeof defineKernel);
const { result } = await balanceFile('data.csv', { attributes: ['gender'], labels: ['occupation'] }, { eta: 0.8 });
const report: BalanceReport = result.report;
const rb: number = report.bias.summary.rbBefore;
const enc = new TableEncoder({ attributes: ['gender'], labels: ['occupation'] }, 'data.csv');
enc.push(await parseTableBytes(new Uint8Array(), 'data.csv'));
const r2 = await balanceEncoded(enc.finish(), { eta: 0.5, onInfeasible: 'return' });
const e: unknown = new Error();
if (e instanceof MissingDependencyError) console.log(e.dependency);
if (e instanceof InfeasibleError) console.log(e.maxFeasibleEta, e.violated[0]?.kind);
if (e instanceof M4kitError || e instanceof OptionError) console.log(e.code);
const duck: (p: string) => Promise<DuckSession> = () => openDuckDB();
console.log(typeof balanceFileDuckdb, duck, BALANCE_DEFAULTS.eta, resolveBalanceOptions({ eta: '0.5' }).eta);
console.log(typeof browserKernels.init, typeof browserBalance);
{
  const engine: MomentsEngine = createCpuEngine(
    { n: 1, m: 1, c: 1, S: new Float64Array([1]), Y: new Float64Array([1]) },
    [1],
  );
  console.log(typeof solveBatch, engine.n);
}
console.log(reason, c, device, rb, r2.report.kept);
