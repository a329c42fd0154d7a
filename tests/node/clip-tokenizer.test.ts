// Node runner for the CLIP tokenizer suite.
import { test } from 'vitest';
import { clipTokenizerSuite } from '../suite/clip-tokenizer.suite.js';

for (const c of clipTokenizerSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 60_000);
