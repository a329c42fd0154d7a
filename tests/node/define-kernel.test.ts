// Node + Dawn runner for the shared defineKernel / pool-accounting / surface suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { defineKernelSuite } from '../suite/define-kernel.suite.js';

for (const c of defineKernelSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
