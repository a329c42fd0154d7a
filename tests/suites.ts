// Every cross-runtime suite; runners for Deno and Chromium import this bundle.
import type { Env, Suite } from './suite/harness.js';
import { kernelSuite } from './suite/kernels.suite.js';
import { lossSuite } from './suite/losses.suite.js';
import { optimSuite } from './suite/optim.suite.js';
import { mlpSuite } from './suite/mlp.suite.js';
import { transposeSuite } from './suite/transpose.suite.js';
import { defineKernelSuite } from './suite/define-kernel.suite.js';
import { evaluateSuite } from './suite/evaluate.suite.js';
import { momentsSuite } from './suite/moments.suite.js';

export function allSuites(env: Env): Suite[] {
  return [
    kernelSuite(env),
    evaluateSuite(env),
    lossSuite(env),
    optimSuite(env),
    mlpSuite(env),
    transposeSuite(env),
    defineKernelSuite(env),
    momentsSuite(env),
  ];
}
