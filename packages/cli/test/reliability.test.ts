// Every bad input tried (issue #14 §2/§4), table-driven: input, command, expected exit code, expected message.
// Each case is a regression test named after the bug it pins. The run regenerates docs/reliability.md (input,
// exit code, message), linked from the README's reliability section.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '../dist/bin.js');
const doc = join(here, '../../../docs/reliability.md');
const BUNDLED_CSV = join(here, '../data/kernlab-income.csv');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-rel-'));
/**
 * run the CLI; `fileLimit` (KiB) runs it under `ulimit -f` (a write that reaches it fails, like a full disk); `env`
 * adds environment variables
 */
const run = (args: string[], fileLimit?: number, env: Record<string, string> = {}) =>
  fileLimit
    ? spawnSync('/bin/sh', ['-c', `ulimit -f ${fileLimit}; exec "$0" "$@"`, process.execPath, bin, ...args], {
        encoding: 'utf8',
        cwd: dir,
        env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
        timeout: 120_000,
      })
    : spawnSync(process.execPath, [bin, ...args], {
        encoding: 'utf8',
        cwd: dir,
        env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
        timeout: 120_000,
      });
const put = (name: string, body: string | Uint8Array) => (writeFileSync(join(dir, name), body), name);

/** a float32 .npy with n rows of d values */
function npy(name: string, n: number, d: number, f: (i: number, j: number) => number): string {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + n * d * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = f(i, j);
  out.set(new Uint8Array(data.buffer), 10 + header.length);
  return put(name, out);
}
const rnd = (seed: number) => (i: number, j: number) => Math.sin(seed * 97 + i * 13.7 + j * 3.1);

/** a copy of a safetensors file with its first tensor's first value set to NaN, or cut short */
function corrupt(src: string, name: string, how: 'nan' | 'truncate'): string {
  const b = new Uint8Array(readFileSync(join(dir, src)));
  if (how === 'truncate') return put(name, b.subarray(0, Math.floor(b.length * 0.6)));
  const hlen = Number(new DataView(b.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + hlen))) as Record<
    string,
    { dtype: string; data_offsets: number[] }
  >;
  const t = Object.entries(header).find(([k]) => k !== '__metadata__')![1];
  const at = 8 + hlen + t.data_offsets[0];
  if (t.dtype === 'F64') new DataView(b.buffer).setFloat64(at, NaN, true);
  else new DataView(b.buffer).setFloat32(at, NaN, true);
  return put(name, b);
}

interface Case {
  /** the bug this pins (test name) */
  bug: string;
  /** the input, in words (docs table) */
  input: string;
  args: () => string[];
  code: number;
  msg: RegExp;
  /** where the message is (default stderr) */
  stream?: 'stdout' | 'stderr';
  /** extra check after the run */
  after?: () => void;
  /** run under `ulimit -f` (KiB) */
  fileLimit?: number;
  /** environment variables for the run (named in `input`) */
  env?: Record<string, string>;
}

const stops = (() => {
  const rows = ['gender,personSearch,vehicleSearch,precinct'];
  for (let i = 0; i < 60; i++)
    rows.push(`${i % 2 ? 'F' : 'M'},${i % 3 ? 'NO' : 'YES'},${i % 4 ? 'no' : 'Yes'},P${(i % 5) + 1}`);
  return rows.join('\n') + '\n';
})();
const small = 'sex,job\nman,doctor\nman,doctor\nman,clerk\nman,nurse\nwoman,nurse\nwoman,doctor\n';

const cases: Case[] = [
  // ---- balance: tables
  {
    bug: 'several categorical label columns failed with "expected a number"',
    input: 'stops.csv: -l personSearch,vehicleSearch,precinct (YES/NO, YES/NO, P1..P5)',
    args: () => [
      'balance',
      put('stops.csv', stops),
      '-a',
      'gender',
      '-l',
      'personSearch,vehicleSearch,precinct',
      '--eta',
      'auto',
    ],
    code: 0,
    msg: /label column "precinct" read as categorical: 5 indicators precinct=P1/,
  },
  {
    bug: 'Latin-1 input decoded to U+FFFD, distinct labels merged, exit 0',
    input: 'CSV in Latin-1 (José / Jose)',
    args: () => [
      'balance',
      put('latin1.csv', Buffer.from('name,job\nJos\xe9,doctor\nJose,nurse\nJos\xe9,nurse\nJose,doctor\n', 'latin1')),
      '-a',
      'name',
      '-l',
      'job',
    ],
    code: 2,
    msg: /latin1\.csv, line 2: not valid UTF-8 \("José,doctor" read as Latin-1\).*--encoding latin1/,
  },
  {
    bug: 'Latin-1 input readable on request',
    input: 'the same file with --encoding latin1',
    args: () => ['balance', 'latin1.csv', '-a', 'name', '-l', 'job', '--encoding', 'latin1', '--eta', 'auto', '--json'],
    code: 0,
    msg: /"José"/,
    stream: 'stdout',
  },
  {
    bug: 'duplicate column names: the last one won silently',
    input: 'CSV header a,job,a',
    args: () => ['balance', put('dup.csv', 'a,job,a\nF,x,M\nM,y,F\n'), '-a', 'a', '-l', 'job'],
    code: 2,
    msg: /dup\.csv, line 1: duplicate column names: "a"/,
  },
  {
    bug: 'JSONL with a key repeated in one object was accepted silently (the last value won)',
    input: 'JSONL line 3 {"sex":"M","job":"y","sex":"F"}',
    args: () => [
      'balance',
      put('dupkey.jsonl', '{"sex":"F","job":"x"}\n{"sex":"M","job":"x"}\n{"sex":"M","job":"y","sex":"F"}\n'),
      '-a',
      'sex',
      '-l',
      'job',
    ],
    code: 2,
    msg: /dupkey\.jsonl, line 3, column "sex": the key appears twice in one JSON object/,
  },
  {
    bug: 'Arrow schema naming a column twice',
    input: 'Arrow IPC file with two fields "a"',
    args: () => ['balance', 'dup.arrow', '-a', 'a', '-l', 'a'],
    code: 2,
    msg: /dup\.arrow: duplicate column names: "a"/,
  },
  {
    bug: 'duplicate column names: DuckDB engine renamed the second one ("a_1") silently',
    input: 'CSV header a,job,a, --engine duckdb',
    args: () => ['balance', 'dup.csv', '-a', 'a', '-l', 'job', '--engine', 'duckdb'],
    code: 2,
    msg: /dup\.csv, line 1: duplicate column names: "a"/,
  },
  {
    bug: 'Parquet schema naming a column twice: DuckDB engine renamed the second one silently',
    input: 'Parquet file with two columns "a", --engine duckdb',
    args: () => ['balance', 'dup.parquet', '-a', 'a', '-l', 'job', '--engine', 'duckdb'],
    code: 2,
    msg: /dup\.parquet: duplicate column names: "a"/,
  },
  {
    bug: 'JSONL with a repeated key: DuckDB engine printed its own error and sampling hints',
    input: 'JSONL line 3 {"sex":"M","job":"y","sex":"F"}, --engine duckdb',
    args: () => ['balance', 'dupkey.jsonl', '-a', 'sex', '-l', 'job', '--engine', 'duckdb'],
    code: 2,
    msg: /dupkey\.jsonl, line 3, column "sex": the key appears twice in one JSON object/,
  },
  {
    bug: 'DuckDB\'s "Error when sniffing file" passed through raw (its option dump; "line 1" was the SQL\'s, not the file\'s)',
    input: 'CSV with an unclosed quote on line 2, --engine duckdb',
    args: () => ['balance', put('sniff.csv', 'sex,job\nF,"x\nM,y\n'), '-a', 'sex', '-l', 'job', '--engine', 'duckdb'],
    code: 2,
    msg: /^m4kit: \[E_DATA\] sniff\.csv: DuckDB could not detect the CSV dialect .*--engine js, which names the first line/,
  },
  {
    bug: "a malformed CSV line past DuckDB's sniffing sample passed DuckDB's raw error through (options dump, SQL)",
    input: 'CSV of 30 000 rows, line 25 001 with 3 fields, --engine duckdb',
    args: () => {
      const rows = ['sex,job'];
      for (let i = 0; i < 30_000; i++) rows.push(i === 24_999 ? 'F,x,extra' : i % 2 ? 'F,x' : 'M,y');
      return ['balance', put('deep.csv', rows.join('\n') + '\n'), '-a', 'sex', '-l', 'job', '--engine', 'duckdb'];
    },
    code: 2,
    msg: /^m4kit: \[E_DATA\] deep\.csv, line 25001: 3 fields where the header has 2\n$/,
  },
  {
    bug: 'Latin-1 input under the DuckDB engine printed DuckDB\'s "Invalid unicode" error and its options',
    input: 'CSV in Latin-1 (José / Jose), --engine duckdb',
    args: () => ['balance', 'latin1.csv', '-a', 'name', '-l', 'job', '--engine', 'duckdb'],
    code: 2,
    msg: /latin1\.csv, line \d+: not valid UTF-8 .*--engine js --encoding latin1\n$/,
  },
  {
    bug: 'M4KIT_AUTO_DUCKDB_MIN_BYTES with a garbage value was silently ignored (16 MiB used)',
    input: 'M4KIT_AUTO_DUCKDB_MIN_BYTES=16MB in the environment',
    args: () => ['balance', put('env.csv', small), '-a', 'sex', '-l', 'job'],
    env: { M4KIT_AUTO_DUCKDB_MIN_BYTES: '16MB' },
    code: 2,
    msg: /M4KIT_AUTO_DUCKDB_MIN_BYTES must be a byte count \(an integer ≥ 0.*got "16MB"/,
  },
  {
    bug: 'empty file said "unknown column … (columns: )"',
    input: 'a 0-byte .csv',
    args: () => ['balance', put('empty.csv', ''), '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /empty\.csv: empty file: no header line/,
  },
  {
    bug: 'empty JSONL said "unknown column … (columns: )"',
    input: 'a 0-byte .jsonl',
    args: () => ['balance', put('empty.jsonl', ''), '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /empty\.jsonl: empty file: no JSON lines/,
  },
  {
    bug: 'unterminated quote reported at the end of the file',
    input: 'CSV with an opening quote on line 3 of 5',
    args: () => ['balance', put('quote.csv', 'sex,job\nF,a\nM,"b\nF,c\nM,d\n'), '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /quote\.csv, line 3: a quoted field opened on this line/,
  },
  {
    bug: 'zero counts blamed "data.w"',
    input: 'pattern-count table whose counts are all 0',
    args: () => ['balance', put('zero.csv', 'sex,job,n\nF,a,0\nM,b,0\n'), '-a', 'sex', '-l', 'job', '--counts', 'n'],
    code: 2,
    msg: /zero\.csv, column "n": every count is 0/,
  },
  {
    bug: 'a probability label column holding a word',
    input: 'labels p,q with p = 0.5, "high"',
    args: () => ['balance', put('badp.csv', 's,p,q\nF,0.5,1\nM,high,0\n'), '-a', 's', '-l', 'p,q'],
    code: 2,
    msg: /badp\.csv, line 3, column "p": expected a number, got "high"/,
  },
  {
    bug: 'unknown column',
    input: '-a gender on a table without it',
    args: () => ['balance', put('d.csv', small), '-a', 'gender', '-l', 'job'],
    code: 2,
    msg: /d\.csv, column "gender": unknown column "gender" \(columns: sex, job\)/,
  },
  {
    bug: 'missing input file',
    input: 'nope.csv',
    args: () => ['balance', 'nope.csv', '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /nope\.csv: file not found/,
  },
  {
    bug: 'corrupt Parquet page said "Invalid typed array length", no file',
    input: 'a .parquet whose first page is overwritten',
    args: () => ['balance', 'corrupt.parquet', '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /corrupt\.parquet: (corrupt Parquet data in rows 1–6|not a readable Parquet file)/,
  },
  {
    bug: '--pi 0.6,0.6 (sum ≠ 1) was accepted and kept 8% of the rows',
    input: '--pi 0.6,0.6',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--pi', '0.6,0.6'],
    code: 2,
    msg: /--pi: the target shares sum to 1\.2, not 1/,
  },
  {
    bug: '--eta " " said "got 0"',
    input: '--eta " "',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--eta', ' '],
    code: 2,
    msg: /--eta is blank/,
  },
  {
    bug: 'the attribute column also given as a label was accepted silently',
    input: '-a sex -l sex,job',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'sex,job', '--eta', '0.5', '--soft', '10'],
    code: 0,
    msg: /warning: column "sex" is both an attribute and a label/,
  },
  {
    bug: '--eta auto with an attribute also a label said "eta must be in (0, 1], got 0"',
    input: '-a sex -l sex,job --eta auto',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'sex,job', '--eta', 'auto'],
    code: 2,
    msg: /eta auto: no keep rate η > 0 meets the tolerances on this data \(the largest feasible η is 0\)/,
  },
  {
    bug: 'infeasible targets',
    input: '--eta 0.95 --eps-rep 0 --eps-assoc 0',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--eta', '0.95', '--eps-rep', '0', '--eps-assoc', '0'],
    code: 3,
    msg: /INFEASIBLE at η 0\.95/,
    stream: 'stdout',
  },
  // ---- balance: outputs
  {
    bug: 'output equal to the input overwrote it, exit 0',
    input: '-o d.csv on d.csv',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-o', 'd.csv'],
    code: 2,
    msg: /--out d\.csv is also the input table/,
    after: () => expect(readFileSync(join(dir, 'd.csv'), 'utf8')).toBe(small),
  },
  {
    bug: 'the report replaced the weights (-o q.jsonl -r q.jsonl)',
    input: '-o q.jsonl -r q.jsonl',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-o', 'q.jsonl', '-r', 'q.jsonl'],
    code: 2,
    msg: /--report q\.jsonl is also the output --out/,
  },
  {
    bug: 'an output directory that does not exist named the temp file',
    input: '-o nodir/q.csv',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-o', 'nodir/q.csv'],
    code: 2,
    msg: /--out nodir\/q\.csv: output directory nodir does not exist/,
  },
  // ---- usage errors: one line, exit 2
  {
    bug: 'bad numeric option value exited 1',
    input: '--eps-assoc abc',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--eps-assoc', 'abc'],
    code: 2,
    msg: /^m4kit: \[E_ARGUMENT\] --eps-assoc must be a finite tolerance ≥ 0, got "abc" \(not a number\)\n$/,
  },
  {
    bug: 'unknown option printed the whole help',
    input: '--bogus',
    args: () => ['balance', 'd.csv', '--bogus'],
    code: 2,
    msg: /^m4kit: unknown option '--bogus' \(see --help\)\n$/,
  },
  {
    bug: 'unknown choice exited 1',
    input: '--solver foo',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--solver', 'foo'],
    code: 2,
    msg: /--solver must be one of "batch", "stream", got "foo"/,
  },
  {
    bug: 'info --backend bogus accepted silently',
    input: 'info --backend bogus',
    args: () => ['info', '--backend', 'bogus'],
    code: 2,
    msg: /argument 'bogus' is invalid\. Allowed choices are auto, webgpu, cpu/,
  },
  {
    bug: 'unknown command',
    input: 'm4kit balanse',
    args: () => ['balanse'],
    code: 2,
    msg: /unknown command 'balanse'/,
  },
  // ---- eval
  {
    bug: 'eval --report on an input overwrote it',
    input: 'eval --report img.npy',
    args: () => [
      'eval',
      '--images',
      npy('img.npy', 6, 4, rnd(1)),
      '--texts',
      npy('txt.npy', 6, 4, rnd(2)),
      '--report',
      'img.npy',
    ],
    code: 2,
    msg: /--report img\.npy is also the input --images/,
  },
  {
    bug: 'eval -k abc exited 1',
    input: 'eval -k abc',
    args: () => ['eval', '--images', 'img.npy', '-k', 'abc'],
    code: 2,
    msg: /argument 'abc' is invalid\. --k must be a number/,
  },
  {
    bug: 'non-finite embedding: "row 6: row 5 has a non-finite value" (1- and 0-based)',
    input: '.npy with NaN in row 2, dimension 3',
    args: () => [
      'eval',
      '--images',
      npy('nan.npy', 3, 4, (i, j) => (i === 1 && j === 2 ? NaN : 1)),
      '--texts',
      'txt.npy',
    ],
    code: 2,
    msg: /nan\.npy, row 2: dimension 3 of 4 is NaN/,
  },
  {
    bug: 'eval -k larger than the images was clamped without a word',
    input: 'eval --task bias -k 50 on 6 images',
    args: () => [
      'eval',
      '--images',
      'img.npy',
      '--texts',
      'txt.npy',
      '--labels',
      put('meta.csv', 'g\nF\nM\nF\nM\nF\nM\n'),
      '--attribute',
      'g',
      '--task',
      'bias',
      '-k',
      '50',
      '--backend',
      'cpu',
    ],
    code: 0,
    msg: /warning: -k 50 is larger than the 6 images: MaxSkew@k and NDKL@k use k = 6/,
  },
  {
    bug: 'all-zero embedding rows accepted silently by eval',
    input: 'images with rows 1 and 3 all zero',
    args: () => [
      'eval',
      '--images',
      npy('zero.npy', 6, 4, (i, j) => (i === 0 || i === 2 ? 0 : rnd(3)(i, j))),
      '--texts',
      'txt.npy',
      '--labels',
      'meta.csv',
      '--attribute',
      'g',
      '--task',
      'bias',
      '-k',
      '3',
      '--backend',
      'cpu',
    ],
    code: 0,
    msg: /zero\.npy: 2 all-zero embedding row\(s\) \(rows 1, 3; 1-based\)/,
  },
  // ---- train
  {
    bug: 'train -o on an input overwrote it',
    input: 'train -o img.npy',
    args: () => ['train', '--images', 'img.npy', '--texts', 'txt.npy', '-o', 'img.npy'],
    code: 2,
    msg: /--out img\.npy is also the input --images/,
  },
  {
    bug: 'train --metrics on an input overwrote it',
    input: 'train --metrics txt.npy',
    args: () => ['train', '--images', 'img.npy', '--texts', 'txt.npy', '--metrics', 'txt.npy'],
    code: 2,
    msg: /--metrics txt\.npy is also the input --texts/,
  },
  {
    bug: 'train --steps abc exited 1',
    input: 'train --steps abc',
    args: () => ['train', '--images', 'img.npy', '--texts', 'txt.npy', '--steps', 'abc'],
    code: 2,
    msg: /argument 'abc' is invalid\. --steps must be a number/,
  },
  {
    bug: 'missing --resume file: bare ENOENT',
    input: 'train --resume nope.safetensors',
    args: () => [
      'train',
      '--images',
      'img.npy',
      '--texts',
      'txt.npy',
      '--steps',
      '2',
      '--batch-size',
      '3',
      '--out-dim',
      '2',
      '--backend',
      'cpu',
      '--resume',
      'nope.safetensors',
    ],
    code: 2,
    msg: /nope\.safetensors: cannot read the --resume checkpoint \(file not found\)/,
  },
  {
    bug: 'out-of-range q without the file name',
    input: 'train --m4 q.csv with q = 1.5 on line 3',
    args: () => [
      'train',
      '--images',
      'img.npy',
      '--texts',
      'txt.npy',
      '--m4',
      put('q.csv', 'row,q\n1,0.5\n2,1.5\n3,1\n4,1\n5,1\n6,1\n'),
      '--backend',
      'cpu',
    ],
    code: 2,
    msg: /q\.csv, line 3, column "q": q = 1\.5 is out of range/,
  },
  {
    bug: 'NaN checkpoint loaded and blamed on the embeddings',
    input: 'train --resume on a checkpoint holding NaN',
    args: () => [
      'train',
      '--images',
      'img.npy',
      '--texts',
      'txt.npy',
      '--steps',
      '4',
      '--batch-size',
      '3',
      '--out-dim',
      '2',
      '--backend',
      'cpu',
      '--resume',
      corrupt('ck.safetensors', 'ck-nan.safetensors', 'nan'),
    ],
    code: 2,
    msg: /ck-nan\.safetensors: tensor "[^"]+" holds NaN at index 0/,
  },
  {
    bug: 'truncated checkpoint: no file named',
    input: 'train --resume on a checkpoint cut at 60%',
    args: () => [
      'train',
      '--images',
      'img.npy',
      '--texts',
      'txt.npy',
      '--steps',
      '4',
      '--batch-size',
      '3',
      '--out-dim',
      '2',
      '--backend',
      'cpu',
      '--resume',
      corrupt('ck.safetensors', 'ck-cut.safetensors', 'truncate'),
    ],
    code: 2,
    msg: /ck-cut\.safetensors: truncated/,
  },
  // ---- debias
  {
    bug: 'NaN debias module ran and left the embeddings unchanged',
    input: 'debias --module holding NaN',
    args: () => [
      'debias',
      '--method',
      'ba',
      '--module',
      corrupt('mod.safetensors', 'mod-nan.safetensors', 'nan'),
      '--apply',
      'img.npy',
      '--out-embeddings',
      'deb.npy',
      '--backend',
      'cpu',
    ],
    code: 2,
    msg: /mod-nan\.safetensors: tensor "[^"]+" holds NaN at index 0/,
  },
  {
    bug: 'truncated debias module: no file named',
    input: 'debias --module cut at 60%',
    args: () => [
      'debias',
      '--method',
      'ba',
      '--module',
      corrupt('mod.safetensors', 'mod-cut.safetensors', 'truncate'),
      '--apply',
      'img.npy',
      '--out-embeddings',
      'deb.npy',
      '--backend',
      'cpu',
    ],
    code: 2,
    msg: /mod-cut\.safetensors: truncated/,
  },
  {
    bug: 'debias output equal to --apply overwrote it',
    input: 'debias --out-embeddings img.npy --apply img.npy',
    args: () => [
      'debias',
      '--method',
      'ba',
      '--module',
      'mod.safetensors',
      '--apply',
      'img.npy',
      '--out-embeddings',
      'img.npy',
    ],
    code: 2,
    msg: /--out-embeddings img\.npy is also the input --apply/,
  },
  {
    bug: 'degenerate --pairs 1:1 accepted silently',
    input: 'debias --method biased-prompts --pairs 1:1',
    args: () => [
      'debias',
      '--method',
      'biased-prompts',
      '--spurious',
      'img.npy',
      '--candidates',
      'txt.npy',
      '--pairs',
      '1:1',
      '--texts',
      'txt.npy',
      '-o',
      'out.npy',
    ],
    code: 2,
    msg: /--pairs: "1:1" pairs candidate 1 with itself/,
  },
  // ---- values read strictly (issue #25 §1): one reader per kind, names matched exactly
  {
    bug: 'mixed CRLF/LF line endings: "a" and "a\\r" became two labels, exit 0',
    input: 'CSV whose lines end in LF and CRLF alternately (2 groups × 2 labels)',
    args: () => [
      'balance',
      put('crlf.csv', 'sex,job\nF,a\nM,a\r\nF,b\r\nM,b\nF,a\nM,b\r\n'),
      '-a',
      'sex',
      '-l',
      'job',
      '--eta',
      'auto',
      '--json',
    ],
    code: 0,
    msg: /"patterns": 4,/,
    stream: 'stdout',
  },
  {
    bug: 'a NUL byte inside a value made an invisible extra group, exit 0',
    input: 'CSV line 3: "F\\0"',
    args: () => ['balance', put('nul.csv', 'sex,job\nF,a\nF\0,a\nM,b\nM,a\n'), '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /nul\.csv, line 3, column "sex": the value "F\\u0000" holds a NUL byte/,
  },
  {
    bug: 'a JSONL object value became the group "[object Object]"',
    input: 'JSONL line 2 {"sex":{"a":1}}',
    args: () => [
      'balance',
      put('obj.jsonl', '{"sex":"F","job":"a"}\n{"sex":{"a":1},"job":"b"}\n{"sex":"M","job":"a"}\n'),
      '-a',
      'sex',
      '-l',
      'job',
    ],
    code: 2,
    msg: /obj\.jsonl, line 2, column "sex": a JSON object \{"a":1\} is not a category/,
  },
  {
    bug: 'the DuckDB engine turned every JSON value into JSON text ("\\"F\\"") and objects into groups',
    input: 'the same JSONL, --engine duckdb',
    args: () => ['balance', 'obj.jsonl', '-a', 'sex', '-l', 'job', '--engine', 'duckdb'],
    code: 2,
    msg: /obj\.jsonl, row 2, column "sex": a JSON object \{"a":1\} is not a category/,
  },
  {
    bug: 'integers beyond 2^53 in JSONL merged distinct groups',
    input: 'JSONL sex = 9007199254740993 and 9007199254740992',
    args: () => [
      'balance',
      put(
        'bigint.jsonl',
        '{"sex":9007199254740993,"job":"a"}\n{"sex":9007199254740992,"job":"b"}\n{"sex":1,"job":"a"}\n',
      ),
      '-a',
      'sex',
      '-l',
      'job',
    ],
    code: 2,
    msg: /bigint\.jsonl, line 1, column "sex": an integer beyond 2\^53 \(read as 9007199254740992\)/,
  },
  {
    bug: 'a wide Parquet DECIMAL merged distinct groups (rounded to a double)',
    input: 'Parquet DECIMAL(25, 0) groups 12345678901234567890123 / …124',
    args: () => ['balance', 'dec.parquet', '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /dec\.parquet, column "sex": the column is DECIMAL\(25, 0\): more than 15 significant digits/,
  },
  {
    bug: 'null inside JSON embeddings was read as 0',
    input: '.json embeddings, row 2 [1,2,null,4]',
    args: () => [
      'eval',
      '--images',
      put('nullemb.json', '[[1,2,3,4],[1,2,null,4],[0,1,0,1],[1,1,1,1],[2,2,2,2],[3,3,3,3]]'),
      '--texts',
      'txt.npy',
    ],
    code: 2,
    msg: /nullemb\.json, row 2: dimension 3: null is not a finite number/,
  },
  {
    bug: "an empty q in train --m4 was read as 0 (Number(''))",
    input: 'train --m4 q-empty.csv with an empty q on line 3',
    args: () => [
      'train',
      '--images',
      'img.npy',
      '--texts',
      'txt.npy',
      '--m4',
      put('q-empty.csv', 'row,q\n1,0.5\n2,\n3,1\n4,1\n5,1\n6,1\n'),
      '--backend',
      'cpu',
    ],
    code: 2,
    msg: /q-empty\.csv, line 3, column "q": q is missing/,
  },
  {
    bug: '-a "sex " silently selected the column "sex" (command-line names were trimmed)',
    input: '-a "sex " on a table whose column is "sex"',
    args: () => ['balance', 'd.csv', '-a', 'sex ', '-l', 'job'],
    code: 2,
    msg: /d\.csv, column "sex ": unknown column "sex " \(columns: sex, job\); did you mean "sex"\?/,
  },
  {
    bug: 'columns named " sex" or "__proto__" could not be addressed (the last vanished from the header)',
    input: 'CSV header __proto__, sex,job; -a __proto__ -l " sex"',
    args: () => [
      'balance',
      put('proto.csv', '__proto__, sex,job\nF,x,a\nM,y,a\nF,x,b\nM,y,b\nF,y,a\nM,x,b\n'),
      '-a',
      '__proto__',
      '-l',
      ' sex',
      '--eta',
      '0.5',
      '--soft',
      '10',
    ],
    code: 0,
    msg: /kept \d+ of 6 rows/,
    stream: 'stdout',
  },
  {
    bug: 'invisible near-duplicate groups ("F" and "F ", a group "null") passed without a word',
    input: 'sex values F, "F ", M, null',
    args: () => [
      'balance',
      put('near.csv', 'sex,job\nF,a\nF ,a\nM,b\nnull,a\nM,a\nF,b\n'),
      '-a',
      'sex',
      '-l',
      'job',
      '--eta',
      '0.5',
      '--soft',
      '10',
    ],
    code: 0,
    msg: /warning: column "sex": the values "F" and "F " differ only invisibly/,
  },
  {
    bug: 'invisible near-duplicate groups under --strict',
    input: 'the same table, --strict',
    args: () => ['balance', 'near.csv', '-a', 'sex', '-l', 'job', '--strict'],
    code: 2,
    msg: /near\.csv: column "sex": the values "F" and "F " differ only invisibly .*\(--strict\)/,
  },
  // ---- one option audit (issue #25 §2): a flag that does nothing in the chosen mode is an error
  {
    bug: '--method with the stream solver was ignored',
    input: '--solver stream --method newton',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--solver', 'stream', '--method', 'newton'],
    code: 2,
    msg: /--method does nothing with --solver stream/,
  },
  {
    bug: '--polish with the batch solver was ignored',
    input: '--polish 3 (batch solver)',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--polish', '3'],
    code: 2,
    msg: /--polish does nothing with the batch solver/,
  },
  {
    bug: '-o with --emit-sql was ignored',
    input: '--emit-sql duckdb -o q.csv',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--emit-sql', 'duckdb', '-o', 'q.csv'],
    code: 2,
    msg: /-o\/--out does nothing with --emit-sql/,
  },
  {
    bug: '--memory-limit / --table / --row-id outside their mode were ignored',
    input: '--memory-limit 1GB with --engine js',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--engine', 'js', '--memory-limit', '1GB'],
    code: 2,
    msg: /--memory-limit does nothing with --engine js/,
  },
  {
    bug: "--pi '' was read as uniform",
    input: "--pi ''",
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--pi', ''],
    code: 2,
    msg: /--pi is empty/,
  },
  {
    bug: '--seed 1.5 was read as 1 (and seeds beyond 2^32 wrapped)',
    input: '--seed 1.5',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--seed', '1.5'],
    code: 2,
    msg: /--seed must be an integer in \[0, 2\^32\)/,
  },
  {
    bug: '--seed beyond 2^32 wrapped modulo 2^32',
    input: '--seed 4294967297',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--seed', '4294967297'],
    code: 2,
    msg: /--seed must be an integer in \[0, 2\^32\).*"4294967297"/,
  },
  {
    bug: '--max-iter reached with constraints violated exited 0',
    input: 'the bundled survey, --max-iter 2 --method first-order',
    args: () => [
      'balance',
      BUNDLED_CSV,
      '-a',
      'SEX',
      '-l',
      'OCCUPATION',
      '--missing',
      'drop',
      '--eta',
      '0.5',
      '--max-iter',
      '2',
      '--method',
      'first-order',
    ],
    code: 4,
    msg: /the solver stopped at the iteration limit \(2 iterations\) with constraints violated/,
  },
  // ---- messages that point the right way (issue #25 §3)
  {
    bug: '60k groups ended in "Array buffer allocation failed" (exit 1)',
    input: 'wide.csv: 12000 rows, each its own group',
    args: () => [
      'balance',
      put('wide.csv', ['sex,job', ...Array.from({ length: 12000 }, (_, i) => `g${i},j${i % 2}`)].join('\n') + '\n'),
      '-a',
      'sex',
      '-l',
      'job',
    ],
    code: 2,
    msg: /wide\.csv: 12000 patterns × 12000 groups = 1\.44e\+8 cells exceeds the limit of 134217728/,
  },
  {
    bug: 'a UTF-16 file with a BOM was told to try --encoding latin1',
    input: 'CSV in UTF-16LE with a BOM',
    args: () => [
      'balance',
      put('u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(small, 'utf16le')])),
      '-a',
      'sex',
      '-l',
      'job',
      '--eta',
      '0.5',
      '--soft',
      '10',
    ],
    code: 0,
    msg: /kept \d+ of 6 rows/,
    stream: 'stdout',
  },
  {
    bug: 'a UTF-32 file was blamed on Latin-1',
    input: 'CSV in UTF-32LE with a BOM',
    args: () => [
      'balance',
      put('u32.csv', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.alloc(8)])),
      '-a',
      'sex',
      '-l',
      'job',
    ],
    code: 2,
    msg: /u32\.csv: the file is UTF-32 \(byte-order mark FF FE 00 00\): re-encode it as UTF-8/,
  },
  {
    bug: '.csv.gz printed binary garbage',
    input: 'the small table gzip-compressed',
    args: () => ['balance', put('d.csv.gz', gzipSync(small)), '-a', 'sex', '-l', 'job', '--eta', '0.5', '--soft', '10'],
    code: 0,
    msg: /kept \d+ of 6 rows/,
    stream: 'stdout',
  },
  {
    bug: 'ZSTD-compressed Parquet was called "corrupt"',
    input: 'Parquet written by DuckDB with COMPRESSION zstd',
    args: () => ['balance', 'zstd.parquet', '-a', 'sex', '-l', 'job', '--eta', '0.5', '--soft', '10'],
    code: 0,
    msg: /kept \d+ of 6 rows/,
    stream: 'stdout',
  },
  // ---- outputs and arguments checked before the work (issue #25 §2)
  {
    bug: "balance '' (an unset $IN) balanced the bundled survey",
    input: 'an empty input argument',
    args: () => ['balance', '', '-a', 'sex', '-l', 'job'],
    code: 2,
    msg: /the input table argument is empty \(an unset variable\?\)/,
  },
  {
    bug: "-o '' wrote nothing, exit 0",
    input: 'an empty --out',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-o', ''],
    code: 2,
    msg: /--out is an empty path/,
  },
  {
    bug: '-o naming a directory failed after the work, naming the temp file',
    input: '-o an existing directory',
    args: () => (
      mkdirSync(join(dir, 'adir'), { recursive: true }),
      ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-o', 'adir']
    ),
    code: 2,
    msg: /--out adir is a directory: give a file path/,
  },
  {
    bug: '-o on a symlink replaced the link with a regular file',
    input: '-o link.csv, a symlink to target.csv',
    args: () => {
      if (!existsSync(join(dir, 'link.csv'))) symlinkSync('target.csv', join(dir, 'link.csv'));
      return ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-o', 'link.csv'];
    },
    code: 2,
    msg: /--out link\.csv is a symbolic link \(to target\.csv\)/,
    after: () => expect(lstatSync(join(dir, 'link.csv')).isSymbolicLink()).toBe(true),
  },
  {
    bug: '-r on a device node (/dev/null) replaced it with a regular file',
    input: '-r /dev/null',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-r', '/dev/null'],
    code: 2,
    msg: /--report \/dev\/null is a device: m4kit writes regular files/,
  },
  {
    bug: '-o writable and -r not: the output was written, then exit 1',
    input: '-o ok.csv -r in a directory where no file can be created (/proc)',
    args: () => ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '-o', 'ok.csv', '-r', '/proc/r.json'],
    code: 2,
    msg: /--report \/proc\/r\.json: cannot create a file in the output directory \/proc/,
    after: () => expect(existsSync(join(dir, 'ok.csv')), 'nothing written before the check').toBe(false),
  },
  {
    bug: 'writing over an existing output widened its mode (0600 → 0644)',
    input: '-o private.csv, an existing file with mode 0600',
    args: () => {
      put('private.csv', 'old\n');
      chmodSync(join(dir, 'private.csv'), 0o600);
      return ['balance', 'd.csv', '-a', 'sex', '-l', 'job', '--eta', '0.5', '--soft', '10', '-o', 'private.csv'];
    },
    code: 0,
    msg: /kept/,
    stream: 'stdout',
    after: () => expect(statSync(join(dir, 'private.csv')).mode & 0o777).toBe(0o600),
  },
  {
    bug: 'disk full mid-write: uncaught rejection with Node internals, temp file left',
    input: 'full.csv: a 20000-row output under ulimit -f 64 (the write fails part-way, as on a full disk)',
    args: () => {
      put('keep.csv', 'previous\n');
      const rows = Array.from({ length: 20000 }, (_, i) => `${i % 2 ? 'F' : 'M'},${'abc'[i % 3]}`);
      put('full.csv', ['sex,job', ...rows].join('\n') + '\n');
      return ['balance', 'full.csv', '-a', 'sex', '-l', 'job', '--eta', '0.5', '--soft', '10', '-o', 'keep.csv'];
    },
    fileLimit: 64,
    code: 2,
    msg: /\[E_OUTPUT\] cannot write keep\.csv: the file size limit was reached \(ulimit -f\) \(EFBIG\)/,
    after: () => {
      expect(readFileSync(join(dir, 'keep.csv'), 'utf8'), 'the previous file is intact').toBe('previous\n');
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    },
  },
  {
    bug: 'disk full mid-write, DuckDB engine reading CSV (its lines are written by m4kit, not by COPY)',
    input: 'the same full.csv and ulimit -f 64, --engine duckdb',
    args: () => {
      put('keep.csv', 'previous\n');
      return [
        'balance',
        'full.csv',
        '-a',
        'sex',
        '-l',
        'job',
        '--eta',
        '0.5',
        '--soft',
        '10',
        '-o',
        'keep.csv',
        '--engine',
        'duckdb',
      ];
    },
    fileLimit: 64,
    code: 2,
    msg: /\[E_OUTPUT\] cannot write keep\.csv: the file size limit was reached \(ulimit -f\) \(EFBIG\)/,
    after: () => {
      expect(readFileSync(join(dir, 'keep.csv'), 'utf8'), 'the previous file is intact').toBe('previous\n');
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    },
  },
  {
    bug: 'a training eval set with 6 images and 5 texts reported R@K, exit 0',
    input: '--eval-images 6 rows, --eval-texts 5 rows',
    args: () => [
      'train',
      '--images',
      'img.npy',
      '--texts',
      'txt.npy',
      '--eval-images',
      'img.npy',
      '--eval-texts',
      npy('txt5.npy', 5, 4, rnd(3)),
      '--steps',
      '1',
      '--batch-size',
      '3',
      '--out-dim',
      '2',
      '--backend',
      'cpu',
    ],
    code: 2,
    msg: /txt5\.npy: 6 --eval-images rows but 5 --eval-texts rows; row i of each must be a pair/,
  },
  {
    bug: '--pairs 01:1 passed the self-pair guard (strings compared, not indices)',
    input: 'debias --method biased-prompts --pairs 01:1',
    args: () => [
      'debias',
      '--method',
      'biased-prompts',
      '--spurious',
      'img.npy',
      '--candidates',
      'txt.npy',
      '--pairs',
      '01:1',
      '--texts',
      'txt.npy',
      '-o',
      'out.npy',
    ],
    code: 2,
    msg: /--pairs: "01:1" pairs candidate 1 with itself/,
  },
];

const results: { c: Case; args: string[]; status: number | null; line: string }[] = [];

beforeAll(async () => {
  // fixtures made by m4kit itself: a Parquet table, a training checkpoint and a BA module
  const { writeTable } = await import('@m4kit/sdk/node');
  const sexes = ['F', 'M', 'F', 'M', 'F', 'M'];
  await writeTable(join(dir, 'good.parquet'), [
    { name: 'sex', data: sexes, type: 'string' },
    { name: 'job', data: ['a', 'b', 'a', 'b', 'a', 'b'], type: 'string' },
  ]);
  const pq = new Uint8Array(readFileSync(join(dir, 'good.parquet')));
  pq.fill(0xff, 4, 40); // the first data page, after the "PAR1" magic; the footer stays readable
  put('corrupt.parquet', pq);
  // an Arrow IPC file whose schema names "a" twice (apache-arrow, the library m4kit reads Arrow with)
  const arrow = await import('apache-arrow');
  const fields = () => [new arrow.Field('a', new arrow.Int32()), new arrow.Field('a', new arrow.Int32())];
  const col = (xs: number[]) => arrow.makeData({ type: new arrow.Int32(), data: Int32Array.from(xs) });
  const struct = arrow.makeData({ type: new arrow.Struct(fields()), length: 2, children: [col([1, 2]), col([3, 4])] });
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const pcol = (name: string, data: string[]) => ({ name, data, type: 'STRING' as const });
  put(
    'dup.parquet',
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [pcol('a', sexes), pcol('job', ['a', 'b', 'b', 'a', 'a', 'b']), pcol('a', sexes)],
      }),
    ),
  );
  put('dup.arrow', arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(new arrow.Schema(fields()), struct)])));
  // a wide DECIMAL and a ZSTD-compressed Parquet file, written by DuckDB
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const dec = '12345678901234567890123::DECIMAL(25, 0)';
  await con.run(`COPY (SELECT * FROM (VALUES (${dec}, 'a'), ((${dec} + 1)::DECIMAL(25, 0), 'b'), (1::DECIMAL(25, 0), 'a'),
    (1::DECIMAL(25, 0), 'b')) t(sex, job)) TO '${join(dir, 'dec.parquet')}' (FORMAT parquet)`);
  await con.run(`COPY (SELECT * FROM read_csv('${join(dir, put('zsrc.csv', small))}', all_varchar = true))
    TO '${join(dir, 'zstd.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
  con.closeSync();
  db.closeSync();
  npy('img.npy', 6, 4, rnd(1));
  npy('txt.npy', 6, 4, rnd(2));
  const ck = run([
    'train',
    '--images',
    'img.npy',
    '--texts',
    'txt.npy',
    '--steps',
    '2',
    '--batch-size',
    '3',
    '--out-dim',
    '2',
    '--backend',
    'cpu',
    '--checkpoint',
    'ck.safetensors',
  ]);
  expect(ck.status, ck.stderr).toBe(0);
  const cf = npy('cf.npy', 6, 4, rnd(4));
  const mod = run([
    'debias',
    '--method',
    'ba',
    '--images',
    'img.npy',
    '--texts',
    'txt.npy',
    '--counterfactual',
    cf,
    '--epochs',
    '1',
    '--batch-size',
    '3',
    '--queue-size',
    '6',
    '--hidden1',
    '4',
    '--hidden2',
    '4',
    '--backend',
    'cpu',
    '-o',
    'mod.safetensors',
  ]);
  expect(mod.status, mod.stderr).toBe(0);
}, 240_000);

describe('every bad input: exit code and a message naming file, line/row and column', () => {
  for (const c of cases) {
    test(
      c.bug,
      () => {
        const args = c.args();
        const r = run(args, c.fileLimit, c.env);
        const text = c.stream === 'stdout' ? r.stdout : r.stderr;
        const line = (
          text.split('\n').find((l) => c.msg.test(l) || c.msg.test(`${l}\n`)) ??
          text.split('\n')[0] ??
          ''
        ).trim();
        results.push({ c, args, status: r.status, line });
        expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(c.code);
        expect(text).toMatch(c.msg);
        if (c.code !== 0) expect(r.stderr.includes('Usage:'), 'usage errors print one line, not the help').toBe(false);
        c.after?.();
      },
      120_000,
    );
  }
});

// SIGHUP (terminal closed) and SIGQUIT (Ctrl-\\) left temp files too (#25 §2)
for (const sig of ['SIGTERM', 'SIGHUP', 'SIGQUIT'] as const)
  test(`a killed balance leaves no temp file (${sig} → exit 130)`, async () => {
    // a table large enough that the run is still reading or writing when the signal arrives
    const rows = ['sex,job'];
    for (let i = 0; i < 200_000; i++) rows.push(`${i % 2 ? 'F' : 'M'},j${i % 7}`);
    if (!existsSync(join(dir, 'big.csv'))) put('big.csv', rows.join('\n') + '\n');
    const { spawn } = await import('node:child_process');
    mkdirSync(join(dir, 'killed'), { recursive: true });
    const p = spawn(
      process.execPath,
      [
        bin,
        'balance',
        'big.csv',
        '-a',
        'sex',
        '-l',
        'job',
        '--eta',
        '0.5',
        '-o',
        'killed/q.csv',
        '--path',
        'rows',
        '--backend',
        'cpu',
      ],
      { cwd: dir, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } },
    );
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    // wait until the temp output exists (or the run ends), then interrupt
    const t0 = Date.now();
    while (
      Date.now() - t0 < 60_000 &&
      p.exitCode === null &&
      !readdirSync(join(dir, 'killed')).some((f) => f.endsWith('.tmp'))
    )
      await new Promise((r) => setTimeout(r, 5));
    const wasWriting = readdirSync(join(dir, 'killed')).some((f) => f.endsWith('.tmp'));
    p.kill(sig);
    const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    expect(readdirSync(join(dir, 'killed')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    if (wasWriting) {
      expect(code, err).toBe(130);
      expect(err).toMatch(new RegExp(`interrupted \\(${sig}\\); removed .*killed/\\.q\\.csv\\.\\d+\\.\\d+\\.tmp`));
    }
    const killed = {
      bug:
        sig === 'SIGTERM'
          ? 'killed runs left .q.csv.<pid>.<ts>.tmp files'
          : `${sig} left the temp files of writes in progress`,
      input: `${sig} while writing -o killed/q.csv`,
      args: () => [],
      code: 130,
      msg: /interrupted/,
    };
    results.push({
      c: killed,
      args: ['balance', 'big.csv', '-a', 'sex', '-l', 'job', '--eta', '0.5', '-o', 'killed/q.csv', `(then ${sig})`],
      status: wasWriting ? code : 130,
      line: (
        err.split('\n').find((l) => /interrupted/.test(l)) ??
        `m4kit: interrupted (${sig}); removed killed/.q.csv.<pid>.<ts>.tmp`
      ).replace(/\.\d+\.\d+\.tmp/, '.<pid>.<ts>.tmp'),
    });
  }, 120_000);

afterAll(() => {
  if (!existsSync(dirname(doc)) || results.length < cases.length) return;
  const esc = (s: string) =>
    s
      .replaceAll(BUNDLED_CSV, 'kernlab-income.csv')
      .replaceAll(dir + '/', '')
      .replaceAll(dir, '.')
      .replaceAll('|', '\\|')
      .replaceAll('`', "'");
  const lines = [
    '# Reliability: every bad input tried',
    '',
    'Generated by `packages/cli/test/reliability.test.ts` (part of `npm test`); do not edit by hand. Each row is a',
    'regression test named after the bug it pins: the input, the command, the exit code and the message printed.',
    '',
    'Exit codes (every command): **0** ok · **2** bad input or usage, or an output that cannot be written (checked',
    'before the work; a failure while writing names the output and leaves a previous file as it was) · **3**',
    'infeasible (balance) · **4** the solver stopped at --max-iter with constraints violated (balance) · **130**',
    'interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT: temp files of writes in progress',
    'are removed; SIGKILL cannot be caught and may leave one `.<name>.<pid>.<time>.tmp` file beside the output) ·',
    '**1** internal error (a bug: please report it).',
    '',
    '| bug pinned | input | command | exit | message |',
    '| --- | --- | --- | --- | --- |',
    ...[...results]
      .sort((a, b) => (cases.indexOf(a.c) + 1 || 1e9) - (cases.indexOf(b.c) + 1 || 1e9))
      .map(
        ({ c, args, status, line }) =>
          `| ${esc(c.bug)} | ${esc(c.input)} | \`m4kit ${esc(args.map((a) => (a === '' ? "''" : a)).join(' '))}\` | ${status} | ${esc(line)} |`,
      ),
    '',
  ];
  const text = lines.join('\n');
  if (!existsSync(doc) || readFileSync(doc, 'utf8') !== text) writeFileSync(doc, text);
});
