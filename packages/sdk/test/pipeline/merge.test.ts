import '@m4kit/kernels/node';
import { init } from '@m4kit/kernels';
import { expect, test } from 'vitest';
import { createCpuEngine } from '../../src/balance/engine-cpu.js';
import { createGpuEngine } from '../../src/balance/engine-gpu.js';
import { mergeEngines } from '../../src/balance/engine-merge.js';
import { solveBatch } from '../../src/balance/solve.js';

test('a solve over three merged engines (two CPU parts, one GPU part) equals the solve over all rows', async () => {
  let s = 11;
  const r = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const n = 900,
    m = 2,
    c = 3;
  const S = new Float64Array(n * m);
  for (let i = 0; i < n; i++) S[i * m + (r() < 0.6 ? 0 : 1)] = 1;
  const Y = Float64Array.from({ length: n * c }, () => (r() < 0.3 ? 1 : 0));
  const u = Float64Array.from({ length: n }, () => r() * 0.1);
  const pi = [0.5, 0.5];
  const part = (a: number, b: number) => ({
    n: b - a,
    m,
    c,
    S: S.slice(a * m, b * m),
    Y: Y.slice(a * c, b * c),
    u: u.slice(a, b),
  });
  const k = await init({ backend: 'webgpu' });
  try {
    const whole = createCpuEngine({ n, m, c, S, Y, u }, pi);
    const merged = mergeEngines([
      createCpuEngine(part(0, 300), pi),
      createCpuEngine(part(300, 500), pi),
      createGpuEngine(k, part(500, 900), pi),
    ]);
    expect(merged.n).toBe(n);
    const opts = { eta: 0.7, pi, epsRep: 0.005, epsAssoc: 0.005, tol: 2e-6 };
    const a = await solveBatch(whole, opts);
    const b = await solveBatch(merged, opts);
    expect(b.status).toBe('optimal');
    const [qa, qb] = [await whole.q(a.W, a.mu, 0.7), await merged.q(b.W, b.mu, 0.7)];
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(qa[i] - qb[i]));
    expect(worst).toBeLessThan(1e-4);
  } finally {
    k.destroy();
  }
});
