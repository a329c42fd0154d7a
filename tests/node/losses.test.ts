// Node + Dawn runner for the shared loss-kernel suite (CLIP / SigLIP).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { lossSuite } from '../suite/losses.suite.js';

for (const c of lossSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
