// The pattern path's key values read by JavaScript from a plain CSV/TSV (duckdb-head.ts plainRows) instead of a second
// DuckDB scan: the cells it reads, the files it gives up on (null), and hashedPatterns checking every value against
// DuckDB's hash — m4_pat identical to the DuckDB rescan's (a gzip copy of the same file), and a file read differently
// here (an empty line, which DuckDB skips) caught and rescanned, with the default engine's output bytes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { openDuckDB, registerSource } from '../../src/io/duckdb.js';
import { balanceFile } from '../../src/pipeline/balance-file.js';
import { balanceFileDuckdb } from '../../src/pipeline/balance-duckdb.js';
import { plainRows, splitLine } from '../../src/pipeline/duckdb-head.js';
import { hashedPatterns } from '../../src/pipeline/duckdb-hashed.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-head-'));
const file = (name: string, text: string | Buffer) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('plainRows', () => {
  test('the wanted rows’ cells in column order: CRLF, a BOM, empty = null, last line without a newline', async () => {
    const f = file('a.csv', '\ufeffid,race,occ\r\n0,w,x\r\n1,,y\n2,b,\r\n3,a,z');
    expect(await plainRows(f, ',', ['race', 'occ'], [0, 1, 2, 3])).toEqual([
      ['w', 'x'],
      [null, 'y'],
      ['b', null],
      ['a', 'z'],
    ]);
    expect(await plainRows(f, ',', ['occ'], [3])).toEqual([['z']]);
    expect(await plainRows(f, ',', ['race'], [])).toEqual([]);
    const t = file('a.tsv', 'race\tocc\nw, 1\tx y\n');
    expect(await plainRows(t, '\t', ['occ', 'race'], [0])).toEqual([['x y', 'w, 1']]);
  });

  test('rows far past one 4 MiB read (lines crossing the reads), UTF-8 cells', async () => {
    const lines = ['race,occ,pad'];
    for (let i = 0; i < 300_000; i++) lines.push(`${['w', 'é', '黑'][i % 3]}${i},o${i % 7},${'p'.repeat(24)}`);
    const f = file('big.csv', lines.join('\n') + '\n');
    expect(readFileSync(f).length).toBeGreaterThan(2 * (1 << 22));
    const want = [0, 1, 139_810, 150_001, 299_999];
    expect(await plainRows(f, ',', ['race', 'occ'], want)).toEqual(
      want.map((i) => [`${['w', 'é', '黑'][i % 3]}${i}`, `o${i % 7}`]),
    );
  });

  test('quoted cells as DuckDB reads them: "" inside, delimiters and newlines inside, empty quoted = NULL', async () => {
    const f = file('q.csv', 'race,occ\n"w",x\n"a, ""b""",y\n"",z\n"m\nn",x\n  " sp",y\nlast,"t"');
    expect(await plainRows(f, ',', ['race', 'occ'], [0, 1, 2, 3, 4, 5])).toEqual([
      ['w', 'x'],
      ['a, "b"', 'y'],
      [null, 'z'],
      ['m\nn', 'x'],
      ['  " sp"', 'y'], // a quote later in an unquoted cell is text (DuckDB's reading too)
      ['last', 't'],
    ]);
    expect(splitLine('a,,"",', ',')).toEqual(['a', null, null, null]);
    expect(splitLine('"a"b,c', ',')).toBeNull(); // text after the closing quote
    expect(splitLine('"a', ',')).toBeNull();
  });

  test('gives up (null): a short or long line, a missing column, too few rows, a quote left open', async () => {
    expect(await plainRows(file('s.csv', 'race,occ\nw\n'), ',', ['race'], [0])).toBeNull();
    expect(await plainRows(file('l.csv', 'race,occ\nw,x,z\n'), ',', ['race'], [0])).toBeNull();
    expect(await plainRows(file('m.csv', 'race,occ\nw,x\n'), ',', ['sex'], [0])).toBeNull();
    expect(await plainRows(file('n.csv', 'race,occ\nw,x\n'), ',', ['race'], [0, 1])).toBeNull();
    expect(await plainRows(file('o.csv', 'race,occ\nw,x\n"b,y\n'), ',', ['race'], [0, 1])).toBeNull();
  });
});

describe('hashedPatterns: key values from JavaScript, checked against DuckDB’s hashes', () => {
  const keys = ['race', 'occ'];
  const patterns = async (path: string) => {
    const s = await openDuckDB();
    try {
      await registerSource(s, path, 'm4_src', keys, { hashKeys: keys });
      const by = await hashedPatterns(s, path, keys);
      return { by, rows: await s.rows('SELECT race, occ, m4_n, m4_pid, m4_first FROM m4_pat ORDER BY m4_pid') };
    } finally {
      await s.close();
    }
  };
  const rows: string[] = ['id,race,occ'];
  for (let i = 0; i < 4000; i++)
    rows.push(`u${i},${['w', 'b', '', 'a'][((i * 31) % 7) % 4]},${['x', 'y', 'z'][i % 3]}`);
  rows.push('u4000,,q'); // a pattern first seen on the last row (missing race: dropped by the balance)
  const text = rows.join('\n') + '\n';

  test('the same m4_pat as the DuckDB rescan (a gzip copy), NULLs included', async () => {
    const js = await patterns(file('p.csv', text));
    const duck = await patterns(file('p.csv.gz', gzipSync(text)));
    expect(js.by).toBe('js');
    expect(duck.by).toBe('duckdb');
    expect(js.rows).toEqual(duck.rows);
    expect(js.rows.some((r) => r.race === null)).toBe(true);
    expect(js.rows.at(-1)).toMatchObject({ race: null, occ: 'q', m4_first: 4000n });
  });

  test('quoted keys (commas, newlines, "" inside, empty quoted cells): read by JavaScript, the same m4_pat', async () => {
    const quoted = text.replaceAll(',w,', ',"w, ""1""",').replaceAll(',b,', ',"b\nline",').replaceAll(',a,', ',"",');
    const js = await patterns(file('pq.csv', quoted));
    const duck = await patterns(file('pq.csv.gz', gzipSync(quoted)));
    expect(js.by).toBe('js');
    expect(duck.by).toBe('duckdb');
    expect(js.rows).toEqual(duck.rows);
    expect(js.rows.map((r) => r.race)).toEqual(expect.arrayContaining(['w, "1"', 'b\nline', null]));
  });

  test('a stray quote inside an unquoted key (DuckDB: text; here: a quote opened) is caught: DuckDB rescans', async () => {
    const stray = text.replace(/\nu7,[^,\n]*,/, '\nu7,z"w,');
    const got = await patterns(file('sq.csv', stray));
    expect(got.by).toBe('duckdb');
    expect(got.rows).toEqual((await patterns(file('sq.csv.gz', gzipSync(stray)))).rows);
    expect(got.rows.map((r) => r.race)).toContain('z"w');
  });

  test('an empty line (DuckDB skips it, plainRows counts it) shifts the rows: caught by the hashes, DuckDB rescans', async () => {
    const f = file('e.csv', text.replace('\nu10,', '\n\nu10,'));
    const got = await patterns(f);
    expect(got.by).toBe('duckdb');
    expect(got.rows).toEqual((await patterns(file('p2.csv', text))).rows);
    // and the whole run writes the default engine's bytes
    const spec = { attributes: ['race'], labels: ['occ'], missing: 'drop' as const };
    const a = await balanceFile(f, spec, { eta: 'auto', seed: 1, out: join(dir, 'a.csv') });
    const b = await balanceFileDuckdb(f, spec, { eta: 'auto', seed: 1, out: join(dir, 'b.csv') });
    expect(b.report.kept).toBe(a.result.report.kept);
    expect(readFileSync(join(dir, 'b.csv'), 'utf8')).toBe(readFileSync(join(dir, 'a.csv'), 'utf8'));
  });
});
