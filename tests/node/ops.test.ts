// Node + Dawn runner for the registry suite (every declared op's cases).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { opsSuite } from '../suite/ops.suite.js';

for (const c of opsSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
