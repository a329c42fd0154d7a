// Node + Dawn runner for the shared projection-head kernel suite (bias + GELU, column sums, gather).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { mlpSuite } from '../suite/mlp.suite.js';

for (const c of mlpSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
