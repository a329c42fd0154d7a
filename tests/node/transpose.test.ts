// Node + Dawn runner for the shared layout-helper suite (transpose, accumulate).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { transposeSuite } from '../suite/transpose.suite.js';

for (const c of transposeSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
