// Node runner for the image decoding suite.
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { imageDecodeSuite } from '../suite/image-decode.suite.js';

for (const c of imageDecodeSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
