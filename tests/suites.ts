// Every cross-runtime suite; runners for Deno and Chromium import this bundle.
import type { Env, Suite } from './suite/harness.js';
import { kernelSuite } from './suite/kernels.suite.js';
import { matmulSuite } from './suite/matmul.suite.js';
import { reduceSuite } from './suite/reduce.suite.js';
import { softmaxSuite } from './suite/softmax.suite.js';
import { normalizeSuite } from './suite/normalize.suite.js';
import { elementwiseSuite } from './suite/elementwise.suite.js';
import { castSuite } from './suite/cast.suite.js';
import { topkSuite } from './suite/topk.suite.js';
import { lossSuite } from './suite/losses.suite.js';
import { optimSuite } from './suite/optim.suite.js';
import { mlpSuite } from './suite/mlp.suite.js';
import { transposeSuite } from './suite/transpose.suite.js';
import { defineKernelSuite } from './suite/define-kernel.suite.js';
import { evaluateSuite } from './suite/evaluate.suite.js';
import { momentsSuite } from './suite/moments.suite.js';
import { debiasLossSuite } from './suite/debias-loss.suite.js';
import { opsSuite } from './suite/ops.suite.js';
import { imagePreprocessSuite } from './suite/image-preprocess.suite.js';
import { imageDecodeSuite } from './suite/image-decode.suite.js';
import { transformerSuite } from './suite/transformer.suite.js';
import { clipTowersSuite } from './suite/clip-towers.suite.js';
import { clipTokenizerSuite } from './suite/clip-tokenizer.suite.js';

export function allSuites(env: Env): Suite[] {
  return [
    kernelSuite(env),
    matmulSuite(env),
    reduceSuite(env),
    softmaxSuite(env),
    normalizeSuite(env),
    elementwiseSuite(env),
    castSuite(env),
    topkSuite(env),
    evaluateSuite(env),
    lossSuite(env),
    optimSuite(env),
    mlpSuite(env),
    transposeSuite(env),
    defineKernelSuite(env),
    momentsSuite(env),
    debiasLossSuite(env),
    opsSuite(env),
    imagePreprocessSuite(env),
    imageDecodeSuite(env),
    transformerSuite(env),
    clipTowersSuite(env),
    clipTokenizerSuite(env),
  ];
}
