// Node + Dawn runner for the image preprocessing suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { imagePreprocessSuite } from '../suite/image-preprocess.suite.js';

for (const c of imagePreprocessSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
