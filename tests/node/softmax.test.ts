// Node + Dawn runner for the shared softmax suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { softmaxSuite } from '../suite/softmax.suite.js';

for (const c of softmaxSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
