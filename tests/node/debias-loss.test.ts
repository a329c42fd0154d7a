// Node + Dawn runner for the shared BA bank-loss suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { debiasLossSuite } from '../suite/debias-loss.suite.js';

for (const c of debiasLossSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
