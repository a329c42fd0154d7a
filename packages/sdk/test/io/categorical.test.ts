// Several categorical / boolean / list / numeric columns in --attributes and --labels, in any mix (issue #14 §1).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { TableEncoder, type ColumnSpec } from '../../src/io/encode.js';
import { readTable } from '../../src/io/read.js';
import { balanceFile } from '../../src/pipeline/balance-file.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-cat-'));
async function encode(path: string, spec: ColumnSpec, chunkRows = 2) {
  const enc = new TableEncoder(spec, path);
  for await (const ch of readTable(path, { chunkRows })) enc.push(ch);
  return enc.finish();
}
const rowsOf = (a: Float64Array, k: number, w: number) =>
  Array.from({ length: k }, (_, i) => Array.from(a.subarray(i * w, i * w + w)));

// a stops-like table: gender; personSearch YES/NO; vehicleSearch yes/No (mixed case); precinct P1..P5
const stops = join(dir, 'stops.csv');
const genders = ['F', 'M'];
const stopRows: string[] = ['id,gender,personSearch,vehicleSearch,precinct,tags,p'];
for (let i = 0; i < 40; i++) {
  const ps = i % 3 === 0 ? 'YES' : 'NO';
  const vs = i % 4 === 0 ? 'yes' : i % 2 ? 'No' : 'NO';
  stopRows.push(`${i},${genders[i % 2]},${ps},${vs},P${(i % 5) + 1},${i % 2 ? 'a|b' : 'b'},${(i % 4) / 4}`);
}
writeFileSync(stops, stopRows.join('\n') + '\n');

describe('several categorical label columns expand to column=value indicators', () => {
  test('stops: boolean words read as 1/0, precinct one-hot, names column=value', async () => {
    const e = await encode(stops, { attributes: ['gender'], labels: ['personSearch', 'vehicleSearch', 'precinct'] });
    expect(e.attributeNames).toEqual(['F', 'M']);
    expect(e.labelNames).toEqual([
      'personSearch',
      'vehicleSearch',
      'precinct=P1',
      'precinct=P2',
      'precinct=P3',
      'precinct=P4',
      'precinct=P5',
    ]);
    expect(e.columns?.labels?.map((x) => x.kind)).toEqual(['boolean', 'boolean', 'categorical']);
    expect(e.fractional).toBe(false);
    // row i's pattern has exactly the indicators of row i
    const Y = rowsOf(e.patterns.Y, e.patterns.n, 7);
    for (let i = 0; i < 40; i++) {
      const want = [i % 3 === 0 ? 1 : 0, i % 4 === 0 ? 1 : 0, 0, 0, 0, 0, 0];
      want[2 + (i % 5)] = 1;
      expect(Y[e.rowToPattern[i]], `row ${i}`).toEqual(want);
    }
    // "NO" and "No" encode alike: one pattern, not two
    const keys = new Set(Y.map((r, p) => `${rowsOf(e.patterns.S, e.patterns.n, 2)[p]}|${r}`));
    expect(keys.size).toBe(e.patterns.n);
    expect(Array.from(e.patterns.w).reduce((a, b) => a + b)).toBe(40);
  });
  test('any mix: categorical + list + probability + boolean attributes and labels', async () => {
    const e = await encode(stops, { attributes: ['gender', 'p'], labels: ['tags', 'personSearch'] });
    expect(e.attributeNames).toEqual(['gender=F', 'gender=M', 'p']);
    expect(e.labelNames).toEqual(['tags=a', 'tags=b', 'personSearch']);
    expect(e.columns?.attributes?.map((x) => x.kind)).toEqual(['categorical', 'numeric']);
    expect(e.columns?.labels?.map((x) => x.kind)).toEqual(['list', 'boolean']);
    expect(e.fractional).toBe(true);
    const S = rowsOf(e.patterns.S, e.patterns.n, 3);
    const Y = rowsOf(e.patterns.Y, e.patterns.n, 3);
    for (let i = 0; i < 40; i++) {
      expect(S[e.rowToPattern[i]]).toEqual([i % 2 ? 0 : 1, i % 2 ? 1 : 0, (i % 4) / 4]);
      expect(Y[e.rowToPattern[i]]).toEqual([i % 2 ? 1 : 0, 1, i % 3 === 0 ? 1 : 0]);
    }
  });
  test('0/1 and probability columns stay as they are; integer codes beyond 0/1 are categories', async () => {
    const f = join(dir, 'codes.csv');
    writeFileSync(f, 'a,b,y1,y2\n1,0,2,true\n0,1,3,FALSE\n1,0,2,y\n');
    const e = await encode(f, { attributes: ['a', 'b'], labels: ['y1', 'y2'] });
    expect(e.attributeNames).toEqual(['a', 'b']);
    expect(e.labelNames).toEqual(['y1=2', 'y1=3', 'y2']);
    expect(e.patterns.n).toBe(2);
    expect(Array.from(e.rowToPattern)).toEqual([0, 1, 0]);
  });
  test('missing values: drop, or category "column=NA" for categorical columns and 0 for numeric ones', async () => {
    const f = join(dir, 'miss.csv');
    writeFileSync(f, 's,y1,y2\nF,P1,1\nM,,0\nF,P2,\nM,P1,0\n');
    await expect(encode(f, { attributes: ['s'], labels: ['y1', 'y2'] })).rejects.toThrow(
      /miss\.csv, line 3, column "y1": missing value/,
    );
    const c = await encode(f, { attributes: ['s'], labels: ['y1', 'y2'], missing: 'category' });
    expect(c.labelNames).toEqual(['y1=NA', 'y1=P1', 'y1=P2', 'y2']);
    expect(rowsOf(c.patterns.Y, c.patterns.n, 4)[c.rowToPattern[1]]).toEqual([1, 0, 0, 0]);
    const d = await encode(f, { attributes: ['s'], labels: ['y1', 'y2'], missing: 'drop' });
    expect(d.dropped).toBe(2);
    expect(d.labelNames).toEqual(['y1=P1', 'y2']);
    expect(d.patterns.n).toBe(2);
  });
  test('a probability column with a word, or out of [0, 1], names file, line and column', async () => {
    const f = join(dir, 'badp.csv');
    writeFileSync(f, 's,y1,y2\nF,0.5,1\nM,high,0\n');
    await expect(encode(f, { attributes: ['s'], labels: ['y1', 'y2'] })).rejects.toThrow(
      /badp\.csv, line 3, column "y1": expected a number, got "high"/,
    );
    writeFileSync(f, 's,y1,y2\nF,0.5,1\nM,2,0\n');
    await expect(encode(f, { attributes: ['s'], labels: ['y1', 'y2'] })).rejects.toThrow(
      /badp\.csv, line 3, column "y1": label values must lie in \[0, 1\], got 2/,
    );
  });
  test('balanceFile: report and low-memory path use the same column=value names', async () => {
    const spec = { attributes: ['gender'], labels: ['personSearch', 'vehicleSearch', 'precinct'] };
    const opts = { eta: 0.5, backend: 'cpu' as const, path: 'rows' as const };
    const a = await balanceFile(stops, spec, opts);
    expect(a.result.report.input.labels).toContain('precinct=P3');
    const b = await balanceFile(stops, spec, { ...opts, lowMemory: true, read: { chunkRows: 7 } });
    // chunked sums round differently; the Newton solver (#15) stops at the float64 engines' tolerance (1e-9), so
    // both q agree to the "same q from every engine" bound, 1e-6 (3e-9 seen), not to the last bit
    expect(b.result.q.length).toBe(40);
    b.result.q.forEach((x, i) => expect(Math.abs(x - a.result.q[i])).toBeLessThan(1e-6));
  });
});
