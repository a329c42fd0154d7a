// Every cross-runtime suite; runners for Deno and Chromium import this bundle.
import type { Env, Suite } from './suite/harness.js';
import { kernelSuite } from './suite/kernels.suite.js';
import { lossSuite } from './suite/losses.suite.js';
import { evaluateSuite } from './suite/evaluate.suite.js';
import { trainSuite } from './suite/train.suite.js';
import { momentsSuite } from './suite/moments.suite.js';

export function allSuites(env: Env): Suite[] {
  return [kernelSuite(env), evaluateSuite(env), lossSuite(env), trainSuite(env), momentsSuite(env)];
}
