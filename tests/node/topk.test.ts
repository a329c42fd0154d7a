// Node + Dawn runner for the shared topk suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { topkSuite } from '../suite/topk.suite.js';

for (const c of topkSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
