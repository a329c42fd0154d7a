// Duplicate names are refused by every reader (#14): JSONL keys repeated in one object (JSON.parse keeps the last
// value silently), and CSV / Parquet / Arrow columns named twice; the file readers (read.ts) and the in-memory
// ones (parse-bytes.ts) alike, naming the file, the line and the key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, test } from 'vitest';
import { DataError } from '../../src/io/errors.js';
import { duplicateJsonKey } from '../../src/io/json-keys.js';
import { parseTableBytes } from '../../src/io/parse-bytes.js';
import { readTable } from '../../src/io/read.js';
import { parseSafetensors } from '../../src/io/tensor-bytes.js';
import { readSafetensors } from '../../src/train/checkpoint.js';
import { moduleFromSafetensors } from '../../src/debias/module.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-dup-'));
const put = (name: string, body: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};
async function readAll(path: string) {
  const rows = [];
  for await (const ch of readTable(path, { chunkRows: 2 })) rows.push(...ch.rows);
  return rows;
}

describe('duplicateJsonKey', () => {
  test.each([
    ['{"a":1,"a":2}', 'a', []],
    ['{"a":1,"b":{"x":1,"x":2}}', 'x', ['b']],
    ['{"a":[{"x":1},{"y":{"z":1,"z":[]}}]}', 'z', ['a', 'y']],
    ['{"\\u0061":1,"a":2}', 'a', []], // the same key, escaped
    ['{"a\\"b":1,"a\\"b":2}', 'a"b', []],
    ['{"":1,"":2}', '', []],
  ])('%s: key %j inside %j', (text, key, path) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(duplicateJsonKey(text)).toEqual({ key, path });
  });
  test.each([
    '{"a":1,"b":2}',
    '[{"a":1},{"a":2}]', // the same key in sibling objects
    '{"a":{"a":1},"b":{"a":2}}', // the same key at different levels
    '{"a":"a","b":"a,\\"a\\":{}"}', // keys as values, brackets and commas inside strings
    '{"a":[1,2,{"b":[3,{"c":4}]}],"c":"}"}',
    '{}',
    '"a"',
    '[]',
  ])('%s: no duplicate', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(duplicateJsonKey(text)).toBeNull();
  });
  test('a 1 000-key object with one repeat at the end is found', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `"k${i}":${i}`);
    expect(duplicateJsonKey(`{${keys.join(',')}}`)).toBeNull();
    expect(duplicateJsonKey(`{${keys.join(',')},"k500":0}`)).toEqual({ key: 'k500', path: [] });
  });
});

const jsonl = '{"sex":"F","job":"x"}\n\n{"sex":"M","job":"y","sex":"F"}\n';
const nested = '{"sex":"F","meta":{"src":"a","src":"b"}}\n';
const arrowDup = () => {
  const f = () => [new arrow.Field('a', new arrow.Int32()), new arrow.Field('a', new arrow.Int32())];
  const col = (xs: number[]) => arrow.makeData({ type: new arrow.Int32(), data: Int32Array.from(xs) });
  const data = arrow.makeData({
    type: new arrow.Struct(f()),
    length: 2,
    nullCount: 0,
    children: [col([1, 2]), col([3, 4])],
  });
  return arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(new arrow.Schema(f()), data)]), 'file');
};
const parquetDup = () =>
  new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'a', data: [1, 2], type: 'INT32' },
        { name: 'a', data: [3, 4], type: 'INT32' },
      ],
    }),
  );

describe('JSONL with a key repeated in one object was accepted silently (the last value won)', () => {
  test('file reader: refused naming file, line and key', async () => {
    const p = put('dup.jsonl', jsonl);
    const e = await readAll(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect(String((e as Error).message)).toMatch(/dup\.jsonl, line 3, column "sex": the key appears twice/);
    await expect(readAll(put('nested.jsonl', nested))).rejects.toThrow(
      /nested\.jsonl, line 1: key "src" inside "meta" appears twice in one JSON object/,
    );
  });
  test('in-memory reader: the same error', async () => {
    await expect(parseTableBytes(new TextEncoder().encode(jsonl), 'dup.jsonl')).rejects.toThrow(
      /dup\.jsonl, line 3, column "sex": the key appears twice in one JSON object/,
    );
  });
  test('the same keys in different lines and objects are fine', async () => {
    const ok = '{"sex":"F","meta":{"sex":"x"}}\n{"sex":"M","meta":{"sex":"y"}}\n';
    expect((await readAll(put('ok.jsonl', ok))).map((r) => r.sex)).toEqual(['F', 'M']);
    expect((await parseTableBytes(new TextEncoder().encode(ok), 'ok.jsonl')).rows.length).toBe(2);
  });
});

describe('Parquet and Arrow schemas naming a column twice are refused by both readers', () => {
  test('Arrow IPC', async () => {
    const b = arrowDup();
    expect(arrow.tableFromIPC(b).schema.fields.map((x) => x.name)).toEqual(['a', 'a']); // the file holds both
    await expect(readAll(put('dup.arrow', b))).rejects.toThrow(/dup\.arrow.*duplicate column names: "a"/);
    await expect(parseTableBytes(b, 'dup.arrow')).rejects.toThrow(/dup\.arrow: duplicate column names: "a"/);
  });
  test('Parquet', async () => {
    const b = parquetDup();
    await expect(readAll(put('dup.parquet', b))).rejects.toThrow(/dup\.parquet.*duplicate column names: "a"/);
    await expect(parseTableBytes(b, 'dup.parquet')).rejects.toThrow(/dup\.parquet: duplicate column names: "a"/);
  });
});

/** safetensors bytes with `header` as its JSON header and `n` zero bytes of data */
function safetensors(header: string, n: number): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + n);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

describe('a safetensors header naming a tensor twice was read silently (the last entry won)', () => {
  const t = (off: number) => `{"dtype":"F32","shape":[1,2],"data_offsets":[${off},${off + 8}]}`;
  const dup = safetensors(`{"emb":${t(0)},"emb":${t(8)}}`, 16);
  test('embeddings, checkpoints and debias modules refuse it, naming the file and the tensor', async () => {
    expect(Object.keys(JSON.parse(`{"emb":${t(0)},"emb":${t(8)}}`))).toEqual(['emb']); // what JSON.parse does
    expect(() => parseSafetensors('e.safetensors', dup)).toThrow(
      /e\.safetensors: tensor name "emb" appears twice in the safetensors header/,
    );
    expect(() => readSafetensors(dup, 'ck.safetensors')).toThrow(
      /ck\.safetensors: tensor name "emb" appears twice in the safetensors header/,
    );
    expect(() => moduleFromSafetensors(dup, undefined, 'ba.safetensors')).toThrow(
      /ba\.safetensors: tensor name "emb" appears twice in the safetensors header/,
    );
    // a well-formed one still reads
    expect(parseSafetensors('ok.safetensors', safetensors(`{"emb":${t(0)}}`, 8))).toMatchObject({ n: 1, d: 2 });
  });
});
