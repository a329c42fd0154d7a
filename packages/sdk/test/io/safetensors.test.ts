// The one safetensors reader / writer (#22): byte-identical checkpoint and BA-module files (hashes taken from the
// three writers it replaced), F32/F16/BF16/F64 round trips, header validation, one-tensor reads from bytes, a Blob
// and a file handle.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { roundToF16 } from '@m4kit/kernels';
import {
  blobReader,
  bytesReader,
  openSafetensors,
  safetensorsHeaderOf,
  writeSafetensors,
} from '../../src/io/safetensors.js';
import { openSafetensorsFile } from '../../src/io/safetensors-file.js';
import { DebiasModule, moduleToSafetensors } from '../../src/debias/module.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fail = (m: string) => new Error(m);

describe('byte-identical with the writers it replaced', () => {
  test('checkpoint and BA module (F32, F64)', () => {
    const t = [
      { name: 'w', shape: [2, 3], dtype: 'F32' as const, data: [1, -2.5, 3e-8, 4, 5, 6.25] },
      { name: 'b', shape: [3], dtype: 'F64' as const, data: [0.1, 0.2, 1 / 3] },
    ];
    expect(sha(writeSafetensors(t, { step: '7', config: '{"a":1}' }))).toBe(
      'c064965c9d2486029632a034b2962847298845fd4e5893b88ad2a84737d134ac',
    );
    const D = 3;
    const [h1, h2] = [2, 4];
    const r = (n: number, s: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + s) / 3);
    const params = {
      mlp1: { D, h: h1, W1: r(h1 * D, 1), b1: r(h1, 2), W2: r(D * h1, 3), b2: r(D, 4) },
      mlp2: { D, h: h2, W1: r(h2 * D, 5), b1: r(h2, 6), W2: r(D * h2, 7), b2: r(D, 8) },
    };
    const cfg = {
      format: 'm4kit-ba' as const,
      version: 1 as const,
      dim: D,
      hidden1: h1,
      hidden2: h2,
      alpha: 0.3,
      tau: 0.07,
      queueSize: 4,
      momentum: 0.9,
      mixRatio: 0.5,
      mixFromEpoch: 1,
      lr: 1e-3,
      batchSize: 2,
      seed: 1,
      epochsRun: 1,
      bestEpoch: null,
      history: [],
      evals: [],
    };
    const mod = new DebiasModule(params, cfg);
    expect(sha(moduleToSafetensors(mod))).toBe('f10ec137d4c0934c8f4e4db29725dc7b8df10def9a434f91d7444105cc40f898');
    expect(sha(moduleToSafetensors(mod, 'F64'))).toBe(
      'aba2f7cd407f6dfc28cfc1e43b882fa40beffc775eca28ba24ba4569c520e6e6',
    );
  });
});

describe('round trips and reads by offset', () => {
  const vals = [0, 1, -2, 0.5, 3.140625, -65504, 1e-3, 7];
  const bytes = writeSafetensors([
    { name: 'a', shape: [2, 4], dtype: 'F32', data: vals },
    { name: 'h', shape: [8], dtype: 'F16', data: vals },
    { name: 'bf', shape: [4, 2], dtype: 'BF16', data: vals },
    { name: 'd', shape: [1, 8], dtype: 'F64', data: vals },
    { name: 'empty', shape: [0, 3], dtype: 'F32', data: [] },
  ]);
  test('header: data aligned to 8, offsets absolute, no metadata', () => {
    const h = safetensorsHeaderOf(bytes, fail);
    expect(h.dataStart % 8).toBe(0);
    expect([...h.entries.keys()]).toEqual(['a', 'h', 'bf', 'd', 'empty']);
    expect(h.entries.get('h')).toMatchObject({ dtype: 'F16', shape: [8], begin: h.dataStart + 32 });
    expect(h.metadata).toEqual({});
  });
  for (const [label, reader] of [
    ['bytes', () => bytesReader(bytes)],
    ['Blob', () => blobReader(new Blob([bytes as Uint8Array<ArrayBuffer>]))],
    [
      'file',
      () => {
        const p = join(mkdtempSync(join(tmpdir(), 'm4kit-st-')), 'x.safetensors');
        writeFileSync(p, bytes);
        return p;
      },
    ],
  ] as const) {
    test(`decode from ${label}`, async () => {
      const made = reader();
      const f = typeof made === 'string' ? await openSafetensorsFile(made) : await openSafetensors(made, fail);
      expect(Array.from(await f.f32('a'))).toEqual(vals.map((v) => Math.fround(v)));
      // f16 as the kernels' host conversion rounds; bf16 keeps 8 significant bits (-65504 → -65536)
      expect(Array.from(await f.f32('h'))).toEqual(vals.map((v) => roundToF16(v)));
      expect(Array.from(await f.f32('bf'))).toEqual([0, 1, -2, 0.5, 3.140625, -65536, 0.00099945068359375, 7]);
      expect(Array.from(await f.f64('d'))).toEqual(vals);
      expect((await f.f32('empty')).length).toBe(0);
      await expect(f.f32('nope')).rejects.toThrow(/no tensor "nope"/);
      await f.close();
    });
  }
});

describe('header validation names what is wrong', () => {
  const make = (header: string, dataBytes: number) => {
    const h = new TextEncoder().encode(header);
    const out = new Uint8Array(8 + h.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    return out;
  };
  test.each([
    ['too short', new Uint8Array(5), /too short/],
    ['header past the end', make('{}', 0).subarray(0, 9), /header length 2, the file has 9 bytes/],
    ['not JSON', make('{"a":', 0), /bad header/],
    ['unknown dtype', make('{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', 1), /"a" has dtype F8/],
    ['bad shape', make('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4), /"a" has a bad shape \[-1\]/],
    [
      'offsets disagree with the shape',
      make('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4),
      /"a": data_offsets \[0, 4\] hold 4 bytes, F32 \[2\] needs 8/,
    ],
    [
      'truncated data',
      make('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 4),
      /truncated: tensor "a" ends at byte/,
    ],
    [
      'a name twice',
      make(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        4,
      ),
      /tensor name "a" appears twice/,
    ],
  ])('%s', (_label, bytes, msg) => {
    expect(() => safetensorsHeaderOf(bytes, fail)).toThrow(msg);
  });
  test('an integer tensor is listed but not decoded as floats', async () => {
    const f = await openSafetensors(
      bytesReader(make('{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', 8)),
      fail,
    );
    expect(f.entries.get('ids')?.dtype).toBe('I64');
    await expect(f.f32('ids')).rejects.toThrow(/"ids" has dtype I64 \(F32, F16, BF16 or F64 expected\)/);
  });
});
