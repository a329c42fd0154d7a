// Node + Dawn runner for the shared kernel suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { kernelSuite } from '../suite/kernels.suite.js';

for (const c of kernelSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
