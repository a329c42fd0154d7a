// Node + Dawn runner for the shared projection-head kernel suite (bias + GELU, column sums, gather).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { trainSuite } from '../suite/train.suite.js';

for (const c of trainSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
