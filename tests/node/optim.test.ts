// Node + Dawn runner for the shared optimiser suite (AdamW, grad-norm clipping).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { optimSuite } from '../suite/optim.suite.js';

for (const c of optimSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
