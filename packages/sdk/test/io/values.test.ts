// One strict reader per kind of value (issue #25 §1): what each refuses, naming file, line/row and column, and the
// two table engines agreeing on what they read (JSON values of mixed types, 64-bit integers, wide DECIMAL).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DataError } from '../../src/io/errors.js';
import { TableEncoder, type ColumnSpec } from '../../src/io/encode.js';
import { readTable } from '../../src/io/read.js';
import { readEmbeddings } from '../../src/io/embeddings.js';
import {
  categoryOf,
  embeddingValueOf,
  idOf,
  nearDuplicateWarnings,
  numberOf,
  probabilityOf,
  unknownColumnMessage,
} from '../../src/io/values.js';
import { balanceFileDuckdb } from '../../src/pipeline/balance-duckdb.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-values-'));
const put = (name: string, body: string) => (writeFileSync(join(dir, name), body), join(dir, name));
const at = { file: 'f.csv', line: 3, column: 'sex' };
async function encode(path: string, spec: Partial<ColumnSpec> = {}) {
  const enc = new TableEncoder({ attributes: ['sex'], labels: ['job'], ...spec }, path);
  for await (const ch of readTable(path, { chunkRows: 2 })) enc.push(ch);
  return enc.finish();
}

describe('strict value readers', () => {
  test('category: exact text, or a DataError naming file, line and column', () => {
    expect(categoryOf('F', at)).toBe('F');
    expect(categoryOf(3, at)).toBe('3');
    expect(categoryOf(9007199254740993n, at)).toBe('9007199254740993');
    expect(categoryOf(true, at)).toBe('true');
    expect(() => categoryOf({ a: 1 } as never, at)).toThrow(/f\.csv, line 3, column "sex": a JSON object \{"a":1\}/);
    expect(() => categoryOf([1] as never, at)).toThrow(/a JSON array \[1\] is not a category/);
    expect(() => categoryOf('F\0', at)).toThrow(/holds a NUL byte/);
    expect(() => categoryOf('a\r', at)).toThrow(/carriage return/);
    expect(() => categoryOf('a\u001b', at)).toThrow(/U\+001B/);
    expect(() => categoryOf(2 ** 53, at)).toThrow(/beyond 2\^53 \(read as 9007199254740992\)/);
    expect(categoryOf('tab\there', at)).toBe('tab\there');
    expect(() => categoryOf(Infinity, at)).toThrow(DataError);
  });

  test('number / probability / id / embedding value refuse what they cannot hold exactly', () => {
    expect(numberOf(' 2.5 ', at)).toBe(2.5);
    expect(numberOf(7n, at)).toBe(7);
    expect(() => numberOf('', at)).toThrow(/expected a number, got ""/);
    expect(() => numberOf(null, at)).toThrow(/expected a number, got an empty value/);
    expect(() => numberOf(2n ** 60n + 1n, at)).toThrow(/beyond 2\^53/);
    expect(probabilityOf('0.25', at)).toBe(0.25);
    expect(() => probabilityOf('1.5', at, 'q')).toThrow(/q 1\.5 is out of range/);
    expect(idOf(12, at)).toBe(12);
    expect(idOf(null, at)).toBe('');
    expect(() => idOf(2 ** 60, at)).toThrow(/beyond 2\^53/);
    expect(() => idOf({} as never, at)).toThrow(/JSON object/);
    expect(embeddingValueOf(0.5, at)).toBe(0.5);
    expect(() => embeddingValueOf(null, { ...at, dim: 2 })).toThrow(/dimension 3: null is not a finite number/);
    expect(() => embeddingValueOf('1', at)).toThrow(/"1" is not a finite number/);
  });

  test('near-duplicate groups are named with both spellings; "null" is named as a group', () => {
    const nfd = 'Jose\u0301';
    const w = nearDuplicateWarnings('name', ['José', nfd, 'F', 'F ', 'M\u00a0x', 'M x', '\ufeffK', 'K', 'null']);
    expect(w.filter((x) => /differ only invisibly/.test(x))).toHaveLength(4);
    expect(w.join('\n')).toContain(JSON.stringify(nfd));
    expect(w.join('\n')).toMatch(/"null" is read as a group, not as missing/);
    expect(nearDuplicateWarnings('s', ['F', 'M', 'NaNa'])).toEqual([]);
  });

  test('names match exactly; a near miss gets "did you mean"', () => {
    expect(unknownColumnMessage('sex ', ['sex', 'job'])).toMatch(/did you mean "sex"\?/);
    expect(unknownColumnMessage('Sex', ['sex', 'job'])).toMatch(/did you mean "sex"\?/);
    expect(unknownColumnMessage('gendr', ['gender', 'job'])).toMatch(/did you mean "gender"\?/);
    expect(unknownColumnMessage('gender', ['sex', 'job'])).toBe('unknown column "gender" (columns: sex, job)');
    expect(unknownColumnMessage('x', [' sex', 'job'])).toContain('(columns: " sex", job)');
  });

  test('the encoder: NUL and objects refused with their line; warnings on the table; --strict refuses', async () => {
    await expect(encode(put('nul.csv', 'sex,job\nF,a\nF\0,a\nM,b\n'))).rejects.toThrow(
      /nul\.csv, line 3, column "sex": the value "F\\u0000" holds a NUL byte/,
    );
    await expect(encode(put('o.jsonl', '{"sex":"F","job":"a"}\n{"sex":"M","job":{"x":1}}\n'))).rejects.toThrow(
      /o\.jsonl, line 2, column "job": a JSON object/,
    );
    await expect(encode(put('ol.jsonl', '{"sex":"F","job":["a",{"x":1}]}\n{"sex":"M","job":"b"}\n'))).rejects.toThrow(
      /ol\.jsonl, line 1, column "job": a JSON object/,
    );
    const near = put('near.csv', 'sex,job\nF,a\nF ,a\nM,b\n');
    expect((await encode(near)).warnings?.[0]).toMatch(/column "sex": the values "F" and "F " differ only invisibly/);
    await expect(encode(near, { strict: true })).rejects.toThrow(/near\.csv: column "sex": .*\(--strict\)/);
    const clean = await encode(put('clean.csv', 'sex,job\nF,a\nM,b\n'));
    expect(clean.warnings).toBeUndefined();
  });

  test('too many groups × patterns for the dense pattern matrices: refused with the limit, before allocating', () => {
    const n = 12000; // 12000 patterns × 12000 groups = 1.44e8 cells > 2^27
    const rows = Array.from({ length: n }, (_, i) => ({ sex: `g${i}`, job: `j${i % 2}` }));
    const enc = new TableEncoder({ attributes: ['sex'], labels: ['job'] }, 'wide.csv');
    enc.push({ columns: ['sex', 'job'], rows, offset: 0 });
    expect(() => enc.finish()).toThrow(/wide\.csv: 12000 patterns × 12000 groups = 1\.44e\+8 cells exceeds the limit/);
  });

  test('JSON embeddings: null refused (was read as 0), in a .json array and in a JSONL list column', async () => {
    await expect(readEmbeddings(put('e.json', '[[1,2],[3,null]]'))).rejects.toThrow(
      /e\.json, row 2: dimension 2: null is not a finite number/,
    );
    await expect(readEmbeddings(put('e.jsonl', '{"v":[1,2]}\n{"v":[null,2]}\n'))).rejects.toThrow(
      /e\.jsonl, row 2, column "v": dimension 1: null/,
    );
  });

  test('both engines read a JSON field of mixed types alike ("F", 1 → groups "1", "F"); DuckDB refuses objects', async () => {
    const mixed = put(
      'mix.jsonl',
      '{"sex":"F","job":"a"}\n{"sex":1,"job":"b"}\n{"sex":"M","job":"a"}\n{"sex":"F","job":"b"}\n',
    );
    const js = await encode(mixed);
    const spec = { attributes: ['sex'], labels: ['job'] };
    const duck = await balanceFileDuckdb(mixed, spec, { eta: 0.5, softPenalty: 10 });
    expect(duck.report.input.attributes).toEqual(js.attributeNames);
    expect(js.attributeNames).toEqual(['1', 'F', 'M']);
    const obj = put('obj.jsonl', '{"sex":"F","job":"a"}\n{"sex":{"a":1},"job":"b"}\n');
    await expect(balanceFileDuckdb(obj, spec, { eta: 0.5 })).rejects.toThrow(
      /obj\.jsonl, row 2, column "sex": a JSON object \{"a":1\} is not a category/,
    );
    // 64-bit integers: DuckDB reads them exactly as BIGINT, so two ids one apart stay two groups
    const big = put('big.jsonl', '{"sex":9007199254740993,"job":"a"}\n{"sex":9007199254740992,"job":"b"}\n');
    const b = await balanceFileDuckdb(big, spec, { eta: 0.5, softPenalty: 10 });
    expect(b.report.input.attributes).toEqual(['9007199254740992', '9007199254740993']);
    await expect(encode(big)).rejects.toThrow(/big\.jsonl, line 1, column "sex": an integer beyond 2\^53/);
  });
});
