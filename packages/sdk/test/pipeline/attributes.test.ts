// Several sensitive attributes (`-a gender,race`): crossed groups (intersection) and each column on its own
// (marginal), checked against an independent float64 reference: the constraints recomputed from the raw rows and
// q from a plain projected-gradient solve of the spec's dual (ALGORITHMS.md §1.4–1.5), written here from the
// formulas and sharing no code with the solver.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@m4kit/kernels/node';
import { init } from '@m4kit/kernels';
import { describe, expect, test } from 'vitest';
import { resolveBalanceOptions } from '../../src/balance/options.js';
import { balanceFile, encodeFile } from '../../src/pipeline/balance-file.js';
import { balanceFileDuckdb } from '../../src/pipeline/balance-duckdb.js';
import { joinBackSql, patternCountSql } from '../../src/balance/sql.js';
import { readTable } from '../../src/io/read.js';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-attrs-'));

// 300 rows: gender F/M, race A/B/C, a label job (doc / nurse / none), skewed so every group needs balancing
function makeTable(): { path: string; rows: { g: string; r: string; job: string }[] } {
  const rows: { g: string; r: string; job: string }[] = [];
  let z = 12345;
  const rnd = () => ((z = (Math.imul(z, 1103515245) + 12345) >>> 0), z / 4294967296);
  for (let i = 0; i < 300; i++) {
    const g = rnd() < 0.65 ? 'M' : 'F';
    const x = rnd();
    const r = x < 0.5 ? 'A' : x < 0.8 ? 'B' : 'C';
    const pDoc = g === 'M' ? 0.5 : 0.25;
    const y = rnd();
    rows.push({ g, r, job: y < pDoc ? 'doc' : y < pDoc + 0.3 ? 'nurse' : 'none' });
  }
  const path = join(dir, 'people.csv');
  writeFileSync(path, 'id,gender,race,job\n' + rows.map((x, i) => `${i + 1},${x.g},${x.r},${x.job}`).join('\n') + '\n');
  return { path, rows };
}
const { path, rows } = makeTable();

/**
 * Reference: max over (v ≥ 0, µ) of the dual g (spec §1.5) by projected gradient ascent with step 1/L, on rows
 * grouped by identical (s, y) (pure bookkeeping; each group's w = its row count). Returns q per distinct row key.
 */
function referenceQ(S: number[][], Y: number[][], w: number[], pi: number[], eta: number, eps: number) {
  const n = S.length;
  const m = pi.length;
  const c = Y[0].length;
  const P = m * (c + 1);
  const N = w.reduce((a, b) => a + b, 0);
  const d = S.map((s, i) => {
    const out: number[] = [];
    for (let k = 0; k < m; k++) for (let r = 0; r <= c; r++) out.push((s[k] - pi[k]) * (r === 0 ? 1 : Y[i][r - 1]));
    return out;
  });
  const e = new Array(P).fill(eps * eta); // 'balanced': the joint moments within η·ε
  let L = 0;
  for (let i = 0; i < n; i++) L += (w[i] * (2 * d[i].reduce((a, x) => a + x * x, 0) + 1)) / N;
  const vp = new Array(P).fill(0);
  const vm = new Array(P).fill(0);
  let mu = 0;
  const qOf = () =>
    d.map((di) => {
      let t = eta - mu;
      for (let j = 0; j < P; j++) t -= di[j] * (vp[j] - vm[j]);
      return Math.min(1, Math.max(0, t));
    });
  // FISTA-free plain ascent with momentum-free steps: slow but simple; the problems here are tiny
  for (let it = 0; it < 400_000; it++) {
    const q = qOf();
    const D = new Array(P).fill(0);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      mean += (w[i] * q[i]) / N;
      for (let j = 0; j < P; j++) D[j] += (w[i] * q[i] * d[i][j]) / N;
    }
    for (let j = 0; j < P; j++) {
      vp[j] = Math.max(0, vp[j] + (D[j] - e[j]) / L);
      vm[j] = Math.max(0, vm[j] + (-D[j] - e[j]) / L);
    }
    mu += (mean - eta) / L;
  }
  return qOf();
}

/** the data moments of the kept weights q per raw row, for indicator columns s(row) (independent of the encoder) */
function moments(q: ArrayLike<number>, s: (i: number) => number[], y: (i: number) => number[], pi: number[]) {
  const m = pi.length;
  const sumQ = rows.reduce((a, _, i) => a + q[i], 0);
  let rb = 0;
  let ab = 0;
  for (let k = 0; k < m; k++) {
    let r = 0;
    const cr = [0, 0, 0];
    rows.forEach((_, i) => {
      const dk = s(i)[k] - pi[k];
      r += q[i] * dk;
      y(i).forEach((yy, j) => (cr[j] += q[i] * dk * yy));
    });
    rb = Math.max(rb, Math.abs(r / sumQ));
    ab = Math.max(ab, ...cr.map((x) => Math.abs(x / sumQ)));
  }
  return { rb, ab };
}

const JOBS = ['doc', 'none', 'nurse'];
const yOf = (i: number) => JOBS.map((j) => (rows[i].job === j ? 1 : 0));

/** solver q per raw row vs the reference on the distinct (s, y) keys */
function checkAgainstReference(q: Float64Array, s: (i: number) => number[], pi: number[], eta: number, eps: number) {
  const keys = new Map<string, number>();
  const S: number[][] = [];
  const Y: number[][] = [];
  const w: number[] = [];
  const keyOf = rows.map((_, i) => {
    const k = JSON.stringify([s(i), yOf(i)]);
    if (!keys.has(k)) {
      keys.set(k, S.length);
      S.push(s(i));
      Y.push(yOf(i));
      w.push(0);
    }
    w[keys.get(k)!]++;
    return keys.get(k)!;
  });
  const ref = referenceQ(S, Y, w, pi, eta, eps);
  let worst = 0;
  rows.forEach((_, i) => (worst = Math.max(worst, Math.abs(q[i] - ref[keyOf[i]]))));
  return worst;
}

describe('several sensitive attributes', () => {
  const eta = 0.3;
  const eps = 0.02;
  test('intersection (auto for categorical columns): crossed groups, q = the reference q*, constraints met', async () => {
    const spec = { attributes: ['gender', 'race'], labels: ['job'] };
    const enc = await encodeFile(path, spec);
    expect(enc.attributeNames).toEqual([
      'gender=F & race=A',
      'gender=F & race=B',
      'gender=F & race=C',
      'gender=M & race=A',
      'gender=M & race=B',
      'gender=M & race=C',
    ]);
    expect(enc.columns?.combined?.mode).toBe('intersection');
    const pi = [0.1, 0.15, 0.25, 0.1, 0.15, 0.25];
    const { result } = await balanceFile(path, spec, { eta, epsRep: eps, epsAssoc: eps, pi });
    const r = result.report;
    expect(r.solver.status).toBe('optimal');
    expect(Math.abs(r.solver.dualityGap)).toBeLessThan(1e-7);
    expect(r.input.combined).toEqual({ mode: 'intersection', columns: ['gender', 'race'] });
    const groups = enc.attributeNames;
    const s = (i: number) => groups.map((g) => (g === `gender=${rows[i].g} & race=${rows[i].r}` ? 1 : 0));
    const before = moments(new Float64Array(rows.length).fill(1), s, yOf, pi);
    expect(before.rb).toBeGreaterThan(0.05); // the raw data is far from the target
    const after = moments(result.q, s, yOf, pi);
    expect(after.rb).toBeLessThan(eps + 1e-6);
    expect(after.ab).toBeLessThan(eps + 1e-6);
    expect(checkAgainstReference(result.q, s, pi, eta, eps)).toBeLessThan(1e-4);
  }, 120_000);

  test('intersection with products of per-column shares equals the crossed π written out', async () => {
    const spec = { attributes: ['gender', 'race'], labels: ['job'] };
    const marg = { 'gender=F': 0.5, 'gender=M': 0.5, 'race=A': 0.2, 'race=B': 0.3, 'race=C': 0.5 };
    const a = await balanceFile(path, spec, { eta, epsRep: eps, epsAssoc: eps, pi: marg });
    const b = await balanceFile(path, spec, {
      eta,
      epsRep: eps,
      epsAssoc: eps,
      pi: [0.1, 0.15, 0.25, 0.1, 0.15, 0.25],
    });
    expect(a.result.report.options.pi).toEqual(b.result.report.options.pi.map((x, i) => a.result.report.options.pi[i]));
    a.result.report.options.pi.forEach((x, i) => expect(x).toBeCloseTo(b.result.report.options.pi[i], 12));
    expect(Array.from(a.result.q)).toEqual(Array.from(b.result.q));
    // typed as the CLI gets it
    const o = resolveBalanceOptions({ pi: 'gender=F=0.5,gender=M=0.5,race=A=0.2,race=B=0.3,race=C=0.5' });
    expect(o.pi).toEqual(marg);
    // a share per column that does not sum to 1 is refused at the door, naming it
    expect(() => resolveBalanceOptions({ pi: 'gender=F=0.5,gender=M=0.4,race=A=0.5,race=B=0.5' })).toThrow(
      /column shares sum to 0\.9 \(gender\), 1 \(race\), not 1 each/,
    );
  }, 120_000);

  test('marginal: each column balanced on its own, all constraints at once; q = the reference q*', async () => {
    const spec = { attributes: ['gender', 'race'], labels: ['job'], combine: 'marginal' as const };
    const enc = await encodeFile(path, spec);
    expect(enc.attributeNames).toEqual(['gender=F', 'gender=M', 'race=A', 'race=B', 'race=C']);
    const pi = [0.5, 0.5, 0.3, 0.3, 0.4];
    const { result } = await balanceFile(path, spec, { eta, epsRep: eps, epsAssoc: eps, pi, combine: 'marginal' });
    const r = result.report;
    expect(r.solver.status).toBe('optimal');
    expect(Math.abs(r.solver.dualityGap)).toBeLessThan(1e-7);
    const s = (i: number) => [
      +(rows[i].g === 'F'),
      +(rows[i].g === 'M'),
      +(rows[i].r === 'A'),
      +(rows[i].r === 'B'),
      +(rows[i].r === 'C'),
    ];
    const after = moments(result.q, s, yOf, pi);
    expect(after.rb).toBeLessThan(eps + 1e-6);
    expect(after.ab).toBeLessThan(eps + 1e-6);
    expect(checkAgainstReference(result.q, s, pi, eta, eps)).toBeLessThan(1e-4);
    // the default π is uniform within each column
    const d = await balanceFile(path, spec, { eta, epsRep: 0.05, epsAssoc: 0.05, combine: 'marginal' });
    expect(d.result.report.options.pi).toEqual([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]);
    // a column whose shares do not sum to 1 is named
    await expect(balanceFile(path, spec, { eta, pi: [0.6, 0.5, 0.3, 0.3, 0.3], combine: 'marginal' })).rejects.toThrow(
      /column "gender" sum to 1\.1, not 1/,
    );
    expect(() => resolveBalanceOptions({ pi: [0.5, 0.5, 0.3, 0.3, 0.3], combine: 'marginal' })).toThrow(
      /sum to 1\.9: marginal targets are each column's shares in group order/,
    );
  }, 120_000);

  test('several 0/1 columns keep their meaning (indicators); explicit modes need several columns', async () => {
    const f = join(dir, 'ind.csv');
    writeFileSync(f, 'man,woman,job\n1,0,doc\n0,1,doc\n1,0,nurse\n0,1,nurse\n1,0,doc\n');
    const enc = await encodeFile(f, { attributes: ['man', 'woman'], labels: ['job'] });
    expect(enc.attributeNames).toEqual(['man', 'woman']);
    expect(enc.columns?.combined).toBeUndefined();
    await expect(encodeFile(path, { attributes: ['gender'], labels: ['job'], combine: 'marginal' })).rejects.toThrow(
      /combine "marginal" needs several attribute columns/,
    );
    // a categorical column beside a 0/1 column: indicators, as before
    const g = join(dir, 'mix.csv');
    writeFileSync(g, 'gender,p,job\nF,1,doc\nM,0,doc\nF,0,nurse\n');
    expect((await encodeFile(g, { attributes: ['gender', 'p'], labels: ['job'] })).attributeNames).toEqual([
      'gender=F',
      'gender=M',
      'p',
    ]);
  });

  test('the per-row path on the WebGPU engine gives the same q (f32 rows: one-hot crossed, multi-hot marginal)', async () => {
    const kernels = await init({ backend: 'webgpu' });
    try {
      for (const combine of ['intersection', 'marginal'] as const) {
        const spec = { attributes: ['gender', 'race'], labels: ['job'], combine };
        const o = { eta, epsRep: eps, epsAssoc: eps, combine };
        const a = await balanceFile(path, spec, o);
        const b = await balanceFile(path, spec, { ...o, path: 'rows', kernels });
        expect(b.result.report.options.backend).toMatch(/^webgpu/);
        expect(b.result.report.solver.status).toBe('optimal');
        let worst = 0;
        a.result.q.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b.result.q[i]))));
        expect(worst).toBeLessThan(2e-4); // float32 sums on the device, tol 2e-6 of N
      }
    } finally {
      kernels.destroy();
    }
  }, 120_000);

  test('the DuckDB engine writes the same q and keep bytes as the JS engine in both modes', async () => {
    for (const combine of ['intersection', 'marginal'] as const) {
      const spec = { attributes: ['gender', 'race'], labels: ['job'], id: 'id', combine };
      const pi = combine === 'marginal' ? [0.5, 0.5, 0.3, 0.3, 0.4] : undefined;
      const outJs = join(dir, `js-${combine}.csv`);
      const outDb = join(dir, `db-${combine}.csv`);
      const o = { eta, epsRep: eps, epsAssoc: eps, pi, combine };
      const a = await balanceFile(path, spec, { ...o, out: outJs });
      const b = await balanceFileDuckdb(path, spec, { ...o, out: outDb });
      expect(b.report.input.attributes).toEqual(a.result.report.input.attributes);
      expect(b.report.input.combined?.mode).toBe(combine);
      expect(readFileSync(outDb, 'utf8')).toBe(readFileSync(outJs, 'utf8'));
    }
  }, 120_000);

  test('as SQL: the warehouse pattern count, m4kit on the counts (crossed / marginal), the join-back = the rows', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(
      `CREATE TABLE people AS SELECT *, CAST(id AS BIGINT) - 1 AS rid FROM read_csv('${path}', all_varchar = true)`,
    );
    const attributes = ['gender', 'race'];
    const labels = ['job'];
    for (const combine of ['intersection', 'marginal'] as const) {
      const pats = join(dir, `patterns-${combine}.csv`);
      await con.run(`COPY (${patternCountSql('duckdb', { table: 'people', attributes, labels })} ORDER BY ALL)
        TO '${pats}' (HEADER)`);
      const o = { eta, epsRep: eps, epsAssoc: eps, combine, seed: 7 };
      const counts = await balanceFile(pats, { attributes, labels, counts: 'n', combine }, { ...o, path: 'patterns' });
      expect(counts.result.report.solver.status).toBe('optimal');
      const patterns: { keys: (string | null)[]; q: number }[] = [];
      for await (const chunk of readTable(pats))
        for (const row of chunk.rows)
          patterns.push({
            keys: ['gender', 'race', 'job'].map((c) => String(row[c])),
            q: counts.result.q[patterns.length],
          });
      const sql = joinBackSql('duckdb', { table: 'people', attributes, labels, rowId: 'rid' }, 7, patterns);
      const got = (await con.runAndReadAll(`SELECT * FROM (${sql}) ORDER BY 1`)).getRowObjects();
      const direct = await balanceFile(path, { attributes, labels, combine }, o);
      expect(got.length).toBe(rows.length);
      got.forEach((r, i) => {
        expect(Math.abs(Number(r.q) - direct.result.q[i]), `row ${i}`).toBeLessThan(1e-9);
        expect(Boolean(r.keep), `row ${i}`).toBe(direct.result.keep[i] === 1);
      });
    }
    con.closeSync();
  }, 120_000);
});
