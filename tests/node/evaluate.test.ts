// Node + Dawn runner for the shared evaluation suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { evaluateSuite } from '../suite/evaluate.suite.js';

for (const c of evaluateSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
