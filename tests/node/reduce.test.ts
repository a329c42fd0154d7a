// Node + Dawn runner for the shared reduce suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { reduceSuite } from '../suite/reduce.suite.js';

for (const c of reduceSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
