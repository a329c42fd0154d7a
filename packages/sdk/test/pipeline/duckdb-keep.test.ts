// keepInJs (duckdb-keep.ts): each streamed row's pattern found by its 64-bit hash in an open-addressing table on the
// hash's 32-bit halves — hashes sharing their low bits (probing), sharing their low 32 bits, 0 and 2^64 − 1 — the
// keep draw of the in-process engine, the lines `row,q,keep`, and a row whose hash is no pattern's refused (null,
// no output left behind).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openDuckDB, type DuckSession } from '../../src/io/duckdb.js';
import { uniformAt } from '../../src/pipeline/balance.js';
import { keepInJs } from '../../src/pipeline/duckdb-keep.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-keep-'));

// low 32 bits equal for the first two, low 8 bits equal for the next three (they probe into each other's cells)
const hashes = [0x1234n << 32n, 0x9876n << 32n, 0x100n, 0x200n, 0x300n, 1n, 2n ** 64n - 1n, 2n ** 63n];
const q = Float64Array.from(hashes, (_, i) => (i + 1) / (hashes.length + 1));

async function withRows<T>(rowHashes: bigint[], f: (s: DuckSession) => Promise<T>): Promise<T> {
  const s = await openDuckDB();
  try {
    await s.run(
      `CREATE TEMP TABLE m4_raw AS SELECT unnest([${rowHashes.length ? rowHashes.join(', ') : ''}]::UBIGINT[]) AS m4_h`,
    );
    await s.run('CREATE TEMP VIEW m4_src AS SELECT *, rowid AS m4_row FROM m4_raw');
    return await f(s);
  } finally {
    await s.close();
  }
}

describe('keepInJs', () => {
  // 5 000 rows (several chunks of 2 048), pattern i on rows where (row · 7) mod 8 = i
  const rows = Array.from({ length: 5000 }, (_, r) => (r * 7) % hashes.length);
  const counts = new Float64Array(hashes.length);
  rows.forEach((p) => counts[p]++);

  test('every row finds its pattern; keep = uniformAt(seed, row) < q; the lines as the default engine writes them', async () => {
    const out = join(dir, 'q.csv');
    const kept = await withRows(
      rows.map((p) => hashes[p]),
      (s) => keepInJs(s, hashes, q, { out, seed: 5 }, ',', (c) => c.every((x, i) => x === counts[i])),
    );
    const want = new Float64Array(hashes.length);
    const lines = ['row,q,keep'];
    rows.forEach((p, r) => {
      const keep = uniformAt(5, r) < q[p];
      if (keep) want[p]++;
      lines.push(`${r + 1},${q[p]},${keep}`);
    });
    expect(kept).toEqual(want);
    expect(readFileSync(out, 'utf8')).toBe(lines.join('\n') + '\n');
  });

  test('no output path: the kept counts only; an empty table: zero counts and a header-only file', async () => {
    const kept = await withRows(
      rows.map((p) => hashes[p]),
      (s) => keepInJs(s, hashes, q, { seed: 5 }, ',', () => true),
    );
    expect(kept!.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const out = join(dir, 'empty.tsv');
    const none = await withRows([], (s) => keepInJs(s, hashes, q, { out }, '\t', () => true));
    expect(Array.from(none!)).toEqual(new Array(hashes.length).fill(0));
    expect(readFileSync(out, 'utf8')).toBe('row\tq\tkeep\n');
  });

  test('a row whose hash is no pattern’s, or counts the caller refuses: null and nothing written', async () => {
    const sub = join(dir, 'refused');
    mkdirSync(sub);
    const out = join(sub, 'q.csv');
    const stray = [...rows.map((p) => hashes[p]), 0x400n]; // 0x400 shares its low bits with 0x100…0x300
    expect(await withRows(stray, (s) => keepInJs(s, hashes, q, { out }, ',', () => true))).toBeNull();
    expect(
      await withRows(
        rows.map((p) => hashes[p]),
        (s) => keepInJs(s, hashes, q, { out }, ',', () => false),
      ),
    ).toBeNull();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(sub)).toEqual([]); // no temp file left
  });
});
