import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DataError } from '../../src/io/errors.js';
import { TableEncoder } from '../../src/io/encode.js';
import { parseNpy } from '../../src/io/embeddings.js';
import {
  balanceOutputColumns,
  describeColumns,
  parseNpyBytes,
  parseTableBytes,
  tableFormatOf,
  tableToBytes,
} from '../../src/io/parse-bytes.js';
import { writeTable } from '../../src/io/write.js';
import { encodeFile, writeBalanceOutput } from '../../src/pipeline/balance-file.js';
import { balanceEncoded } from '../../src/pipeline/balance.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-bytes-'));
const bundled = join(import.meta.dirname, '../../../../data/kernlab-income.csv');
const spec = { attributes: ['SEX'], labels: ['OCCUPATION'], missing: 'drop' as const };

function encodeChunk(
  chunk: Awaited<ReturnType<typeof parseTableBytes>>,
  file: string,
  s: ConstructorParameters<typeof TableEncoder>[0] = spec,
) {
  const enc = new TableEncoder(s, file);
  enc.push(chunk);
  return enc.finish();
}

describe('parse-bytes (browser-safe IO)', () => {
  test('the bundled CSV parsed from bytes encodes and balances exactly as the file reader', async () => {
    const bytes = readFileSync(bundled);
    const chunk = await parseTableBytes(bytes, 'kernlab-income.csv');
    expect(chunk.rows.length).toBe(8993);
    expect(chunk.columns).toContain('OCCUPATION');
    const a = encodeChunk(chunk, 'kernlab-income.csv');
    const b = await encodeFile(bundled, spec);
    expect(a.attributeNames).toEqual(b.attributeNames);
    expect(a.labelNames).toEqual(b.labelNames);
    expect(Array.from(a.patterns.w)).toEqual(Array.from(b.patterns.w));
    expect(Array.from(a.rowToPattern)).toEqual(Array.from(b.rowToPattern));
    expect(a.dropped).toBe(136);
    const ra = await balanceEncoded(a, { eta: 0.8 });
    const rb = await balanceEncoded(b, { eta: 0.8 });
    expect(ra.report.bias).toEqual(rb.report.bias);
    expect(Array.from(ra.q)).toEqual(Array.from(rb.q));
    // the CSV bytes written in memory equal the CLI's output file
    const out = join(dir, 'q.csv');
    await writeBalanceOutput(out, b, rb, spec);
    const mem = await tableToBytes(balanceOutputColumns(a, ra), 'csv');
    expect(Buffer.from(mem).equals(readFileSync(out))).toBe(true);
  });

  test('column types are detected', async () => {
    const csv = 'a,b,c,d\n1,x,true,\n2.5,y,false,NA\n';
    const cols = describeColumns(await parseTableBytes(new TextEncoder().encode(csv), 't.csv'));
    expect(cols.map((c) => c.kind)).toEqual(['number', 'string', 'boolean', 'empty']);
    expect(cols.map((c) => c.distinct)).toEqual([2, 2, 2, 0]);
    expect(cols[3].missing).toBe(2);
  });

  test('JSONL and Parquet bytes round-trip through tableToBytes', async () => {
    const cols = [
      { name: 'id', data: ['a', 'b', 'c'], type: 'string' as const },
      { name: 'q', data: [0.1, 0.25, 1], type: 'double' as const },
      { name: 'keep', data: [true, false, true], type: 'bool' as const },
    ];
    for (const fmt of ['jsonl', 'parquet', 'csv'] as const) {
      const chunk = await parseTableBytes(await tableToBytes(cols, fmt), `t.${fmt}`);
      expect(chunk.columns).toEqual(['id', 'q', 'keep']);
      expect(chunk.rows.map((r) => String(r.id))).toEqual(['a', 'b', 'c']);
      expect(chunk.rows.map((r) => Number(r.q))).toEqual([0.1, 0.25, 1]);
      expect(chunk.rows.map((r) => String(r.keep))).toEqual(['true', 'false', 'true']);
    }
    // Parquet bytes equal writeTable's file
    const p = join(dir, 't.parquet');
    await writeTable(p, cols);
    expect(Buffer.from(await tableToBytes(cols, 'parquet')).equals(readFileSync(p))).toBe(true);
  });

  test('malformed input gives a DataError naming the file and line', async () => {
    const bad = new TextEncoder().encode('a,b\n1,2\n3,"4\n5,6\n');
    await expect(parseTableBytes(bad, 'bad.csv')).rejects.toThrow(DataError);
    await expect(parseTableBytes(bad, 'bad.csv')).rejects.toThrow(/bad\.csv.*CSV parse error/);
    const ragged = new TextEncoder().encode('a,b\n1,2\n3,4,5\n');
    await expect(parseTableBytes(ragged, 'ragged.csv')).rejects.toThrow(/ragged\.csv, line 3: CSV parse error/);
    const jl = new TextEncoder().encode('{"a":1}\n{"a":\n');
    await expect(parseTableBytes(jl, 'x.jsonl')).rejects.toThrow(/x\.jsonl, line 2: invalid JSON/);
    await expect(parseTableBytes(new Uint8Array([1, 2, 3, 4]), 'x.parquet')).rejects.toThrow(
      /x\.parquet: not a readable Parquet file/,
    );
    expect(() => tableFormatOf('x.xlsx')).toThrow(/x\.xlsx: unknown table format/);
    // the encoder then names the column of a missing value on its file line
    const miss = await parseTableBytes(new TextEncoder().encode('g,l\nF,a\n,b\nM,a\n'), 'm.csv');
    expect(() => encodeChunk(miss, 'm.csv', { attributes: ['g'], labels: ['l'] })).toThrow(
      /m\.csv, line 3, column "g": missing value/,
    );
  });

  test('npy bytes parse as the file reader does (f4, f8, f2), bad ones name the problem', () => {
    const npy = (descr: string, shape: number[], body: ArrayBufferView) => {
      let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
      while ((10 + h.length + 1) % 64) h += ' ';
      h += '\n';
      const out = new Uint8Array(10 + h.length + body.byteLength);
      out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, h.length & 255, h.length >> 8]);
      out.set(new TextEncoder().encode(h), 10);
      out.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), 10 + h.length);
      return out;
    };
    const vals = [0.5, -1, 2, 3.25, 0, 1e-3];
    for (const [d, arr] of [
      ['<f4', Float32Array.from(vals)],
      ['<f8', Float64Array.from(vals)],
      ['<f2', Uint16Array.from([0x3800, 0xbc00, 0x4000, 0x4280, 0, 0x1419])],
    ] as const) {
      const b = npy(d, [2, 3], arr);
      const e = parseNpyBytes(b, 'e.npy');
      const ref = parseNpy('e.npy', b);
      expect([e.n, e.d]).toEqual([2, 3]);
      expect(Array.from(e.data)).toEqual(Array.from(ref.data));
    }
    expect(() => parseNpyBytes(new Uint8Array(16), 'z.npy')).toThrow(/z\.npy: not a \.npy file/);
    expect(() => parseNpyBytes(npy('<f4', [6], Float32Array.from(vals)), 'v.npy')).toThrow(/expected a 2-D array/);
    expect(() => parseNpyBytes(npy('<f4', [2, 3], Float32Array.from(vals.slice(0, 4))), 't.npy')).toThrow(/truncated/);
    expect(() => parseNpyBytes(npy('<f4', [2, 3], Float32Array.from([1, 2, 3, NaN, 5, 6])), 'n.npy')).toThrow(
      /n\.npy, row 2: dimension 1 of 3 is NaN/,
    );
    expect(() => parseNpyBytes(npy('<i4', [2, 3], Int32Array.from([1, 2, 3, 4, 5, 6])), 'i.npy')).toThrow(
      /unsupported dtype/,
    );
  });
});

describe('in-memory tables refuse what the file readers refuse (#14)', () => {
  const latin1 = Uint8Array.from(Buffer.from('name,job\nJose,doctor\nJos\xe9,nurse\n', 'latin1'));
  test('Latin-1 input decoded to U+FFFD: refused naming the line', async () => {
    await expect(parseTableBytes(latin1, 'l.csv')).rejects.toThrow(
      /l\.csv, line 3: not valid UTF-8 \("José,nurse" read as Latin-1\)/,
    );
    const jl = Uint8Array.from(Buffer.from('{"a":"x"}\n{"a":"\xe9"}\n', 'latin1'));
    await expect(parseTableBytes(jl, 'l.jsonl')).rejects.toThrow(/l\.jsonl, line 2: not valid UTF-8/);
  });
  test('duplicate column names: refused naming them', async () => {
    await expect(parseTableBytes(new TextEncoder().encode('a,b,a\n1,2,3\n'), 'd.csv')).rejects.toThrow(
      /d\.csv, line 1: duplicate column names: "a"/,
    );
  });
});
