// Node + Dawn runner for the shared matmul suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { matmulSuite } from '../suite/matmul.suite.js';

for (const c of matmulSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
