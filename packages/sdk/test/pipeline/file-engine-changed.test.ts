// --low-memory re-reads the input on every solver pass: a file that changes mid-run is named as changed (issue #25
// §2: it was reported as INFEASIBLE).
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { encodeFile } from '../../src/pipeline/balance-file.js';
import { createFileEngine } from '../../src/pipeline/file-engine.js';

test('a --low-memory input that changes between passes is reported as changed, naming the file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'm4kit-fe-')), 't.csv');
  writeFileSync(path, 'sex,job\nF,a\nM,b\nF,b\nM,a\n');
  const spec = { attributes: ['sex'], labels: ['job'] };
  const first = await encodeFile(path, spec);
  const engine = createFileEngine(path, spec, first, [0.5, 0.5]);
  const W = new Float64Array(first.attributeNames.length * (first.labelNames.length + 1));
  const mu = 0;
  const before = await engine.pass(W, mu, 0.5);
  expect(before.sumW).toBe(4);
  appendFileSync(path, 'F,a\n');
  await expect(engine.pass(W, mu, 0.5)).rejects.toThrow(/t\.csv: the input changed while it was being balanced/);
});
