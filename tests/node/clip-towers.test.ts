// Node + Dawn runner for the shared CLIP towers suite (tiny random model, WebGPU vs the float64 CPU backend).
import '@m4kit/kernels/node';
import { test } from 'vitest';
import { clipTowersSuite } from '../suite/clip-towers.suite.js';

for (const c of clipTowersSuite({ runtime: 'node' }).cases) test(c.name, c.fn, 300_000);
