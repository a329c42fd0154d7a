// Node + Dawn runner for the shared cast suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { castSuite } from '../suite/cast.suite.js';

for (const c of castSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
