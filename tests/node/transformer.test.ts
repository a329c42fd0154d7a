// Node + Dawn runner for the shared transformer kernel suite (layerNorm, attention, unfold, token inputs).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { transformerSuite } from '../suite/transformer.suite.js';

for (const c of transformerSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
