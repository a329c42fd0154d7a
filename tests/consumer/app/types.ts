// (c) A strict TypeScript consumer (skipLibCheck off), checked under moduleResolution bundler and node16.
import { init, MissingDependencyError, type Kernels, type NumArray, type Tensor } from '@m4kit/kernels/node';
import { clipLoss, gpuContextOf } from '@m4kit/kernels/advanced';
import { balanceFile, type BalanceReport } from '@m4kit/sdk/node';
import { parseTableBytes, TableEncoder, balanceEncoded } from '@m4kit/sdk';

const k: Kernels = await init({ backend: 'auto', onFallback: (why: string) => console.warn(why) });
const reason: string | null = k.fallbackReason;
const a: Tensor = k.tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
const c: NumArray = await k.matmul(a, a).read();
const ctx = gpuContextOf(k);
const device: GPUDevice | undefined = ctx?.device;
if (ctx) {
  const r = await clipLoss(ctx, ctx.tensor([1, 0, 0, 1], [2, 2]), ctx.tensor([1, 0, 0, 1], [2, 2]), Math.log(10));
  const loss: number = (await r.loss.read())[0];
  console.log(loss);
}
const { result } = await balanceFile('data.csv', { attributes: ['gender'], labels: ['occupation'] }, { eta: 0.8 });
const report: BalanceReport = result.report;
const rb: number = report.bias.summary.rbBefore;
const enc = new TableEncoder({ attributes: ['gender'], labels: ['occupation'] }, 'data.csv');
enc.push(await parseTableBytes(new Uint8Array(), 'data.csv'));
const r2 = await balanceEncoded(enc.finish(), { eta: 0.5 });
const e: unknown = new Error();
if (e instanceof MissingDependencyError) console.log(e.dependency);
console.log(reason, c, device, rb, r2.report.kept);
