// Node + Dawn runner for the shared moments suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { momentsSuite } from '../suite/moments.suite.js';

for (const c of momentsSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
