// MomentsEngine whose passes run inside a SQL engine (Node, `--engine duckdb` on the per-row path; ClickHouse via
// createSqlRowsEngine): one aggregate query per pass computes q_i = clip(η + u_i − a_p(i) − µ, 0, 1) inline for
// every row and sums it per pattern p; the moment sums follow exactly from those per-pattern SUMs, since
// (s_i, y_i) — and so a_p = (s_p − π)ᵀ W [1; y_p] — are shared by the rows of a pattern. The Hessian pass of the
// second-order solver is one query too: the rows with 0 < q̂_i < 1 counted per pattern, H = Σ_p count_p z_p z_pᵀ.
// No row leaves the engine; the solver (solve.ts) is unchanged.
import { ArgumentError, ShapeError } from '@m4kit/kernels';
import type { DuckSession } from '../io/duckdb.js';
import { createCpuEngine } from './engine-cpu.js';
import type { MomentsEngine, MomentsSums } from './types.js';

/**
 * The rows a SQL moments engine reads: a table with row id, pattern id and utility, plus the distinct patterns
 * (S, Y) and their row counts held on the host.
 */
export interface DuckRowsData {
  /**
   * table or view with columns m4_row (integer row id: q() orders by it, a strided Hessian samples it), m4_pid
   * (0-based pattern index) and u (DOUBLE utility, 0 without one), one row per row
   */
  table: string;
  /** patterns (k×m attributes, k×c labels) indexed by m4_pid; `count` = rows per pattern in `table` */
  k: number;
  m: number;
  c: number;
  S: Float64Array;
  Y: Float64Array;
  count: Float64Array;
}

/** A double as a DuckDB DOUBLE literal that parses back to the same value (exponent form is typed DOUBLE). */
const lit = (x: number) => (Number.isFinite(x) ? x.toExponential(16) : 'NaN');

export interface DuckdbEngine extends MomentsEngine {
  /** the SQL expression for q at (W, µ, η) over d.table's columns (m4_pid, u): the output query uses the passes' q */
  qSql(W: Float64Array, mu: number, eta: number): string;
}

/** runs one query, returns its rows as objects (numbers may come back as bigint or text: they are read by Number) */
export type SqlRows = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * A `MomentsEngine` whose passes are aggregate queries on an open DuckDB session (`--engine duckdb`, rows path).
 * @param s - an open DuckDB session (`openDuckDB`).
 * @param d - the rows table and the patterns.
 * @param pi - the m target shares.
 * @returns the engine (its `qSql` gives q as a SQL expression for the join back).
 */
export function createDuckdbEngine(s: DuckSession, d: DuckRowsData, pi: ArrayLike<number>): DuckdbEngine {
  return createSqlRowsEngine((sql) => s.rows(sql), d, pi);
}

/**
 * The same engine over any SQL engine `run` talks to: the queries use only SUM, COUNT, GREATEST/LEAST, a 1-based
 * array literal indexed by m4_pid + 1 and exponent-form float literals, which DuckDB and ClickHouse both read.
 * @param run - runs one query and returns its rows.
 * @param d - the rows table and the patterns.
 * @param pi - the m target shares.
 * @returns the engine.
 */
export function createSqlRowsEngine(run: SqlRows, d: DuckRowsData, pi: ArrayLike<number>): DuckdbEngine {
  const { k, m, c, S, Y, count } = d;
  const P = m * (c + 1);
  const piArr = Float64Array.from(pi);
  const n = count.reduce((a, b) => a + b, 0);
  // patterns with their row counts: the Frobenius bound needs nothing per row
  const patterns = createCpuEngine({ n: k, m, c, S, Y, w: count }, piArr);
  let disposed = false;
  const check = (W: Float64Array) => {
    if (disposed) throw new ArgumentError('engine: used after dispose()');
    if (!W || W.length !== P) throw new ShapeError(`W: length ${W ? W.length : 'undefined'} ≠ m*(c+1) = ${P}`);
  };
  /** a_p = (s_p − π)ᵀ W [1; y_p] per pattern */
  const dots = (W: Float64Array): Float64Array => {
    const a = new Float64Array(k);
    for (let p = 0; p < k; p++) {
      let t = 0;
      for (let j = 0; j < m; j++) {
        const sd = S[p * m + j] - piArr[j];
        if (sd === 0) continue;
        let acc = W[j * (c + 1)];
        for (let r = 0; r < c; r++) acc += W[j * (c + 1) + r + 1] * Y[p * c + r];
        t += sd * acc;
      }
      a[p] = t;
    }
    return a;
  };
  /** q̂ = η + u − a_p − µ, in the CPU engine's order of operations */
  const qHat = (a: Float64Array, mu: number, eta: number) =>
    `${lit(eta)} + u - ([${Array.from(a, lit).join(',')}])[m4_pid + 1] - ${lit(mu)}`;
  const qExpr = (a: Float64Array, mu: number, eta: number) => `greatest(0.0, least(1.0, ${qHat(a, mu, eta)}))`;

  return {
    n,
    m,
    c,
    pi: piArr,
    async pass(W, mu, eta, fixedQ) {
      check(W);
      const a = dots(W);
      const q = fixedQ !== undefined ? lit(fixedQ) : qExpr(a, mu, eta);
      const rows = await run(`SELECT m4_pid, SUM(q) AS sq, SUM((q - q0) * (q - q0)) AS sh FROM
        (SELECT m4_pid, ${lit(eta)} + u AS q0, ${q} AS q FROM ${d.table}) GROUP BY m4_pid`);
      const D = new Float64Array(P);
      const qy = new Float64Array(c);
      let sumQ = 0;
      let obj = 0;
      for (const r of rows) {
        const p = Number(r.m4_pid);
        const sq = Number(r.sq);
        obj += 0.5 * Number(r.sh) + sq * (a[p] + mu);
        if (sq === 0) continue;
        sumQ += sq;
        for (let j = 0; j < c; j++) qy[j] += sq * Y[p * c + j];
        for (let j = 0; j < m; j++) {
          const f = sq * (S[p * m + j] - piArr[j]);
          if (f === 0) continue;
          D[j * (c + 1)] += f;
          for (let r2 = 0; r2 < c; r2++) D[j * (c + 1) + r2 + 1] += f * Y[p * c + r2];
        }
      }
      const sums: MomentsSums = { sumW: n, sumQ, D, qy, obj };
      return sums;
    },
    async q(W, mu, eta) {
      check(W);
      const rows = await run(`SELECT ${qExpr(dots(W), mu, eta)} AS q FROM ${d.table} ORDER BY m4_row`);
      return Float64Array.from(rows, (r) => Number(r.q));
    },
    qSql(W, mu, eta) {
      check(W);
      return qExpr(dots(W), mu, eta);
    },
    async hessian(W, mu, eta, stride = 1) {
      check(W);
      if (!Number.isInteger(stride) || stride < 1)
        throw new ArgumentError(`hessian: stride must be an integer ≥ 1, got ${stride}`);
      // the sample is rows whose id is a multiple of stride (the CPU engine's rows 0, stride, …, when no row was
      // dropped); the solver scales H by stride / n and uses it only to shape the step
      const sample = stride > 1 ? `WHERE m4_row % ${stride} = 0` : '';
      const rows = await run(`SELECT m4_pid, COUNT(*) AS na FROM
        (SELECT m4_pid, ${qHat(dots(W), mu, eta)} AS qh FROM ${d.table} ${sample}) AS m4_h
        WHERE qh > 0 AND qh < 1 GROUP BY m4_pid`);
      const K = P + 1;
      const H = new Float64Array(K * K);
      const z = new Float64Array(K);
      for (const r of rows) {
        const p = Number(r.m4_pid);
        const na = Number(r.na);
        z.fill(0);
        for (let j = 0; j < m; j++) {
          const sd = S[p * m + j] - piArr[j];
          z[j * (c + 1)] = sd;
          for (let r2 = 0; r2 < c; r2++) z[j * (c + 1) + r2 + 1] = sd * Y[p * c + r2];
        }
        z[P] = 1;
        for (let a = 0; a < K; a++) {
          if (z[a] === 0) continue;
          const f = na * z[a];
          for (let b = 0; b < K; b++) H[a * K + b] += f * z[b];
        }
      }
      return H;
    },
    frobenius: () => patterns.frobenius(),
    dispose() {
      disposed = true;
      patterns.dispose();
    },
  };
}
