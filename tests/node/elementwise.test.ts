// Node + Dawn runner for the shared elementwise suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { elementwiseSuite } from '../suite/elementwise.suite.js';

for (const c of elementwiseSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
