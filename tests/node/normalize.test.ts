// Node + Dawn runner for the shared normalize suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { normalizeSuite } from '../suite/normalize.suite.js';

for (const c of normalizeSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
