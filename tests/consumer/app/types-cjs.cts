/* eslint-disable @typescript-eslint/no-require-imports -- the point of this file: CommonJS imports */
// (c) the same packages from a CommonJS TypeScript file (module node16 / nodenext: the `require` condition and
// the .d.cts declarations).
import kernels = require('@m4kit/kernels');
import kernelsNode = require('@m4kit/kernels/node');
import sdk = require('@m4kit/sdk');
import sdkNode = require('@m4kit/sdk/node');
import options = require('@m4kit/sdk/options');
import advanced = require('@m4kit/sdk/advanced');

async function main(): Promise<void> {
  const k: kernels.Kernels = await kernelsNode.init({ backend: 'cpu' });
  const report: sdk.BalanceReport | undefined = undefined;
  console.log(k.backend, report, typeof sdkNode.balanceFile, options.BALANCE_DEFAULTS.eta, typeof advanced.solveBatch);
}
void main();
