import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createCpuEngine } from '../../src/balance/engine-cpu.js';
import { solveBatch } from '../../src/balance/solve.js';
import { createFileEngine } from '../../src/pipeline/file-engine.js';
import { encodeFile } from '../../src/pipeline/balance-file.js';

test('file engine (re-reads 7-row chunks each pass) gives the in-memory solution', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm4kit-fe-'));
  const f = join(dir, 'rows.csv');
  let s = 5;
  const r = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const lines = ['sex,job,u'];
  for (let i = 0; i < 200; i++)
    lines.push(`${r() < 0.6 ? 'M' : 'F'},${['a', 'b', 'c'][Math.floor(r() * 3)]},${(r() * 0.1).toFixed(4)}`);
  writeFileSync(f, lines.join('\n'));
  const spec = { attributes: ['sex'], labels: ['job'], utility: 'u' };
  const enc = await encodeFile(f, spec);
  const pi = [0.5, 0.5];
  const fe = createFileEngine(f, spec, enc, pi, { chunkRows: 7 });
  // in-memory rows
  const m = 2,
    c = 3,
    n = enc.rows;
  const S = new Float64Array(n * m),
    Y = new Float64Array(n * c);
  enc.rowToPattern.forEach((p, i) => {
    S.set(enc.patterns.S.subarray(p * m, p * m + m), i * m);
    Y.set(enc.patterns.Y.subarray(p * c, p * c + c), i * c);
  });
  const mem = createCpuEngine({ n, m, c, S, Y, u: enc.utility }, pi);
  const opts = { eta: 0.6, pi, epsRep: 0, epsAssoc: 0, tol: 1e-9 };
  const [a, b] = [await solveBatch(mem, opts), await solveBatch(fe, opts)];
  expect(b.status).toBe('optimal');
  const [qa, qb] = [await mem.q(a.W, a.mu, 0.6), await fe.q(b.W, b.mu, 0.6)];
  for (let i = 0; i < n; i++) expect(Math.abs(qa[i] - qb[i])).toBeLessThan(1e-7);
});

test('balanceFile --low-memory (file engine) equals the in-memory rows path', async () => {
  const { balanceFile } = await import('../../src/pipeline/balance-file.js');
  const dir = mkdtempSync(join(tmpdir(), 'm4kit-fe2-'));
  const f = join(dir, 'rows.csv');
  const lines = ['sex,job,u'];
  for (let i = 0; i < 120; i++) lines.push(`${i % 3 ? 'M' : 'F'},${['a', 'b'][i % 2]},${((i * 37) % 10) / 100}`);
  writeFileSync(f, lines.join('\n'));
  const spec = { attributes: ['sex'], labels: ['job'], utility: 'u' };
  const o = { eta: 0.6, epsRep: 0, epsAssoc: 0, backend: 'cpu' as const, read: { chunkRows: 16 } };
  const a = await balanceFile(f, spec, o);
  const b = await balanceFile(f, spec, { ...o, lowMemory: true });
  expect(b.result.report.options.backend).toMatch(/stream from disk/);
  for (let i = 0; i < 120; i++) expect(Math.abs(a.result.q[i] - b.result.q[i])).toBeLessThan(1e-7);
});
