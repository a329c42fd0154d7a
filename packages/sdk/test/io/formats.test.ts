// The one table-format registry (issue #22): every reader and writer answers the same for each extension, and
// the encodings / compressions it names are read (issue #25 §3): .csv.gz, a JSON array, UTF-16 with a BOM,
// Parquet with every codec, mixed CRLF/LF, a column named "__proto__".
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { TABLE_FORMATS, tableFile } from '../../src/io/formats.js';
import { duckFormat } from '../../src/io/duckdb.js';
import { parseTableBytes, tableFormatOf, tableToBytes } from '../../src/io/parse-bytes.js';
import { detectFormat, readTable, type Row } from '../../src/io/read.js';
import { writeTable } from '../../src/io/write.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-formats-'));
const put = (name: string, body: string | Uint8Array) => (writeFileSync(join(dir, name), body), join(dir, name));
async function rowsOf(path: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const ch of readTable(path, { chunkRows: 2 })) rows.push(...ch.rows);
  return rows;
}
const plain = (rows: Row[]) => rows.map((r) => ({ ...r }));
const csv = 'sex,job\nF,a\nM,b\nF,c\n';
const expected = [
  { sex: 'F', job: 'a' },
  { sex: 'M', job: 'b' },
  { sex: 'F', job: 'c' },
];

describe('one table-format registry', () => {
  test('every detector answers the registry: .arrows, .json, .csv.gz, .TSV agree; unknown names the file', () => {
    for (const spec of TABLE_FORMATS)
      for (const ext of spec.extensions) {
        expect(detectFormat(`x${ext}`), ext).toBe(spec.format);
        expect(tableFormatOf(`x${ext.toUpperCase()}`), ext).toBe(spec.format);
        if (spec.duckdb) expect(duckFormat(`x${ext}`).format, ext).toBe(spec.format);
        else expect(() => duckFormat(`x${ext}`), ext).toThrow(/duckdb engine does not read .* use --engine js/);
        if (spec.text) expect(tableFile(`x${ext}.gz`).gzip).toBe(true);
        else expect(() => tableFile(`x${ext}.gz`)).toThrow(/compressed .* decompress it first/);
      }
    expect(() => detectFormat('x.xlsx')).toThrow(/x\.xlsx: unknown table format \(use \.csv .*\.arrows/);
    expect(() => tableFormatOf('x.xlsx')).toThrow(/x\.xlsx: unknown table format/);
  });

  test('.csv.gz / .jsonl.gz are gunzipped by the stream reader and on bytes (not read as binary garbage)', async () => {
    const gz = put('t.csv.gz', gzipSync(csv));
    expect(plain(await rowsOf(gz))).toEqual(expected);
    expect(plain((await parseTableBytes(readFileSync(gz), 't.csv.gz')).rows)).toEqual(expected);
    const jl = put('t.jsonl.gz', gzipSync(expected.map((r) => JSON.stringify(r)).join('\n')));
    expect(plain(await rowsOf(jl))).toEqual(expected);
    await expect(rowsOf(put('bad.csv.gz', 'not gzip'))).rejects.toThrow(/bad\.csv\.gz: not a readable gzip file/);
    await expect(rowsOf(put('t.csv.zst', 'x'))).rejects.toThrow(/zstd-compressed file: read it with --engine duckdb/);
  });

  test('writeTable .csv.gz writes gzip that reads back; .json is written as JSON Lines and read back', async () => {
    const cols = [
      { name: 'sex', data: ['F', 'M', 'F'], type: 'string' as const },
      { name: 'job', data: ['a', 'b', 'c'], type: 'string' as const },
    ];
    const p = join(dir, 'w.csv.gz');
    await writeTable(p, cols);
    expect(readFileSync(p).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(plain(await rowsOf(p))).toEqual(expected);
    const j = join(dir, 'w.json');
    await writeTable(j, cols);
    expect(readFileSync(j, 'utf8')).toBe(new TextDecoder().decode(await tableToBytes(cols, 'json')));
    expect(plain(await rowsOf(j))).toEqual(expected);
  });

  test('.json holding one JSON array of objects reads the same rows on both readers', async () => {
    const p = put('arr.json', JSON.stringify(expected, null, 2));
    expect(plain(await rowsOf(p))).toEqual(expected);
    expect(plain((await parseTableBytes(readFileSync(p), 'arr.json')).rows)).toEqual(expected);
    await expect(rowsOf(put('arr2.json', '[{"a":1}, 3]'))).rejects.toThrow(/arr2\.json, row 2: each element/);
  });

  test('UTF-16 with a BOM is read (LE and BE); UTF-32 is named, not blamed on Latin-1', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]);
    expect(plain(await rowsOf(put('le.csv', le)))).toEqual(expected);
    expect(plain((await parseTableBytes(le, 'le.csv')).rows)).toEqual(expected);
    const be = Buffer.from(le);
    be.swap16();
    expect(plain(await rowsOf(put('be.csv', be)))).toEqual(expected);
    const u32 = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.alloc(16)]);
    await expect(rowsOf(put('u32.csv', u32))).rejects.toThrow(/u32\.csv: the file is UTF-32 .*iconv -f UTF-32/);
    await expect(parseTableBytes(u32, 'u32.csv')).rejects.toThrow(/UTF-32/);
  });

  test('mixed CRLF / LF line endings read one value ("a", never "a\\r") on both readers', async () => {
    const text = 'sex,job\r\nF,a\nM,a\r\nF,b\n';
    const want = ['a', 'a', 'b'];
    expect((await rowsOf(put('mixed.csv', text))).map((r) => r.job)).toEqual(want);
    expect((await parseTableBytes(new TextEncoder().encode(text), 'm.csv')).rows.map((r) => r.job)).toEqual(want);
    const lf = 'sex,job\nF,a\r\nM,a\nF,b\r\n';
    expect((await rowsOf(put('mixed2.csv', lf))).map((r) => r.job)).toEqual(want);
  });

  test('a column named "__proto__" (or " sex", "   ") stays a column of every row', async () => {
    const p = put('proto.csv', '__proto__, sex,   \nF,x,1\nM,y,2\n');
    const rows = await rowsOf(p);
    expect(Object.keys(rows[0])).toEqual(['__proto__', ' sex', '   ']);
    expect(rows.map((r) => r['__proto__'])).toEqual(['F', 'M']);
    const b = await parseTableBytes(readFileSync(p), 'proto.csv');
    expect(b.columns).toEqual(['__proto__', ' sex', '   ']);
    expect(b.rows.map((r) => r['__proto__'])).toEqual(['F', 'M']);
  });

  test('Parquet compressed with ZSTD, GZIP, Brotli, LZ4 and Snappy is read (hyparquet-compressors)', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    for (const codec of ['zstd', 'gzip', 'brotli', 'lz4', 'snappy']) {
      const p = join(dir, `c-${codec}.parquet`);
      await con.run(
        `COPY (SELECT * FROM (VALUES ('F','a'),('M','b'),('F','c')) t(sex, job)) TO '${p}' (FORMAT parquet, COMPRESSION ${codec})`,
      );
      expect(plain(await rowsOf(p)), codec).toEqual(expected);
      expect(plain((await parseTableBytes(readFileSync(p), p)).rows), codec).toEqual(expected);
    }
    con.closeSync();
    db.closeSync();
  });
});
