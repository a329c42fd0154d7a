// The DuckDB pipelines' bias report from pattern weights (the rows never reach JavaScript): before (counts), after
// (counts · q) and the kept rows' moments (kept rows per pattern, counted in SQL).
import { createCpuEngine } from '../balance/engine-cpu.js';
import { biasReport } from '../balance/metrics.js';
import type { MomentsSums } from '../balance/types.js';
import type { EncodedTable } from '../io/encode.js';
import type { DuckSession } from '../io/duckdb.js';
import type { BalanceReport } from './report-types.js';

/** kept rows per engine pattern, counted in SQL from m4_out's keep flags (m4_pid → pattern by `toPattern`) */
export async function keptPerPattern(
  s: DuckSession,
  enc: EncodedTable,
  toPattern: (pid: number) => number,
): Promise<Float64Array> {
  const kw = new Float64Array(enc.patterns.n);
  const rows = await s.rows(
    'SELECT m4_pid, COUNT(*) FILTER (WHERE keep) AS k FROM m4_out WHERE m4_pid IS NOT NULL GROUP BY ALL',
  );
  for (const r of rows) {
    const p = toPattern(Number(r.m4_pid));
    if (p >= 0) kw[p] += Number(r.k);
  }
  return kw;
}

/** moment sums of the kept rows (q ≡ 1, weights = kept rows per pattern), as balanceEncoded's kept moments */
export async function keptSums(
  enc: EncodedTable,
  pi: number[],
  eta: number,
  kw: Float64Array,
): Promise<MomentsSums | undefined> {
  if (!kw.some((x) => x > 0)) return undefined;
  const { n, S, Y } = enc.patterns;
  const e = createCpuEngine({ n, m: enc.attributeNames.length, c: enc.labelNames.length, S, Y, w: kw }, pi);
  try {
    return await e.pass(new Float64Array(enc.attributeNames.length * (enc.labelNames.length + 1)), 0, eta, 1);
  } finally {
    e.dispose();
  }
}

/** the bias report from pattern weights: before (counts), after (counts · q), kept (kept rows per pattern) */
export async function biasFromPatterns(
  enc: EncodedTable,
  pi: number[],
  eta: number,
  wq: Float64Array,
  kw: Float64Array,
  tolerance: BalanceReport['options']['tolerance'],
) {
  const { n, S, Y, w } = enc.patterns;
  const m = enc.attributeNames.length;
  const c = enc.labelNames.length;
  const zero = new Float64Array(m * (c + 1));
  const sums = async (weights: Float64Array) => {
    const e = createCpuEngine({ n, m, c, S, Y, w: weights }, pi);
    try {
      return await e.pass(zero, 0, eta, 1);
    } finally {
      e.dispose();
    }
  };
  const before = await sums(Float64Array.from(w));
  // Σ w q (s − π)[1, y] with the raw size N as sumW, as a pass at the solution gives it
  const after = { ...(await sums(wq)), sumW: before.sumW };
  const names = { attributes: enc.attributeNames, labels: enc.labelNames };
  return biasReport(before, after, pi, names, { kept: await keptSums(enc, pi, eta, kw), tolerance });
}
