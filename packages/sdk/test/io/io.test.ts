import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DataError } from '../../src/io/errors.js';
import { TableEncoder } from '../../src/io/encode.js';
import { readTable, type Row } from '../../src/io/read.js';
import { writeTable } from '../../src/io/write.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-io-'));
async function readAll(path: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const ch of readTable(path, { chunkRows: 3 })) rows.push(...ch.rows);
  return rows;
}
async function encode(path: string, spec: ConstructorParameters<typeof TableEncoder>[0]) {
  const enc = new TableEncoder(spec, path);
  for await (const ch of readTable(path, { chunkRows: 2 })) enc.push(ch);
  return enc.finish();
}

describe('table IO', () => {
  test('CSV, JSONL, Parquet and Arrow round-trip the same columns', async () => {
    const cols = [
      { name: 'id', data: ['a', 'b', 'c', 'd', 'e'], type: 'string' as const },
      { name: 'q', data: [0.1, 0.25, 1, 0, 0.5], type: 'double' as const },
      { name: 'keep', data: [true, false, true, false, true], type: 'bool' as const },
    ];
    for (const ext of ['csv', 'jsonl', 'parquet', 'arrow']) {
      const p = join(dir, `rt.${ext}`);
      await writeTable(p, cols);
      const rows = await readAll(p);
      expect(rows.length, ext).toBe(5);
      expect(
        rows.map((r) => String(r.id)),
        ext,
      ).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(
        rows.map((r) => Number(r.q)),
        ext,
      ).toEqual([0.1, 0.25, 1, 0, 0.5]);
      expect(
        rows.map((r) => String(r.keep)),
        ext,
      ).toEqual(['true', 'false', 'true', 'false', 'true']);
    }
  });
  test('writes are atomic: no temp files are left, and a failed write leaves no output', async () => {
    const p = join(dir, 'bad.csv');
    await expect(
      writeTable(p, [
        { name: 'a', data: [1, 2], type: 'double' },
        { name: 'b', data: [1], type: 'double' },
      ]),
    ).rejects.toThrow(/column "b" has 1 rows, expected 2/);
    expect(existsSync(p)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  test('missing file and unknown format are DataErrors naming the file', async () => {
    await expect(readAll(join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv: file not found/);
    await expect(readAll(join(dir, 'x.xlsx'))).rejects.toThrow(DataError);
  });
});

describe('encoding', () => {
  const csv = join(dir, 'people.csv');
  writeFileSync(
    csv,
    'id,sex,job,tags,u,p_man\n1,M,doctor,a|b,0.1,1\n2,F,nurse,b,0,0\n3,M,doctor,a|b,0.2,1\n4,F,doctor,,0,0.5\n',
  );
  test('categorical attribute and label: one-hot, patterns counted', async () => {
    const e = await encode(csv, { attributes: ['sex'], labels: ['job'] });
    expect(e.attributeNames).toEqual(['F', 'M']);
    expect(e.labelNames).toEqual(['doctor', 'nurse']);
    expect(e.patterns.n).toBe(3);
    expect(Array.from(e.patterns.w)).toEqual([2, 1, 1]);
    expect(Array.from(e.rowToPattern)).toEqual([0, 1, 0, 2]);
    expect(Array.from(e.patterns.S)).toEqual([0, 1, 1, 0, 1, 0]);
  });
  test('list labels split on "|"; missing label is an error naming file, line and column', async () => {
    await expect(encode(csv, { attributes: ['sex'], labels: ['tags'] })).rejects.toThrow(
      /people\.csv, line 5, column "tags": missing value/,
    );
    const e = await encode(csv, { attributes: ['sex'], labels: ['tags'], missing: 'drop' });
    expect(e.labelNames).toEqual(['a', 'b']);
    expect(e.dropped).toBe(1);
    expect(Array.from(e.rowToPattern)).toEqual([0, 1, 0, -1]);
    const c = await encode(csv, { attributes: ['sex'], labels: ['tags'], missing: 'category' });
    expect(c.labelNames).toEqual(['NA', 'a', 'b']);
  });
  test('numeric probability attributes are fractional; out-of-range values are errors', async () => {
    const e = await encode(csv, { attributes: ['p_man', 'u'], labels: ['job'] });
    expect(e.fractional).toBe(true);
    const bad = join(dir, 'bad-prob.csv');
    writeFileSync(bad, 'a,b,y\n0.5,1.5,x\n');
    await expect(encode(bad, { attributes: ['a', 'b'], labels: ['y'] })).rejects.toThrow(
      /line 2, column "b": attribute values must lie in \[0, 1\], got 1\.5/,
    );
    const nn = join(dir, 'nonnum.csv');
    // a probability column holding a word (a category column is read as one-hot, see categorical.test.ts)
    writeFileSync(nn, 'a,b,y\n0.5,0.5,x\n0.5,zzz,x\n');
    await expect(encode(nn, { attributes: ['a', 'b'], labels: ['y'] })).rejects.toThrow(
      /column "b": expected a number, got "zzz"/,
    );
  });
  test('unknown column, empty table and a single group are clear errors', async () => {
    await expect(encode(csv, { attributes: ['gender'], labels: ['job'] })).rejects.toThrow(
      /unknown column "gender" \(columns: id, sex, job, tags, u, p_man\)/,
    );
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, 'sex,job\n');
    await expect(encode(empty, { attributes: ['sex'], labels: ['job'] })).rejects.toThrow(/the table has no rows/);
    const one = join(dir, 'one.csv');
    writeFileSync(one, 'sex,job\nF,a\nF,b\n');
    await expect(encode(one, { attributes: ['sex'], labels: ['job'] })).rejects.toThrow(
      /single value \(F\): balancing needs at least two groups/,
    );
  });
});
