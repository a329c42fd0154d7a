// The perfect hash of the CSV/TSV pattern path (duckdb-hashed.ts): each pattern's 64-bit key hash (m4_h) gets its
// own slot in [0, M), computed in SQL (slotSql) when DuckDB writes the output (an id column, or a format other than
// plain CSV/TSV): q per slot is a short list, so no join and no sort, row order kept.

/** the perfect hash takes up to this many patterns (the q lists stay small constants) */
const SLOT_LIMIT = 1 << 16;

/** A perfect hash of the patterns' m4_h: slot = (f1 + d0[b]·f2 + d1[b]) mod M, b = h mod B (see slotSql). */
export interface SlotPlan {
  M: number;
  B: number;
  d0: number[];
  d1: number[];
  /** slot of each pattern (by m4_pid) */
  slotOf: Int32Array;
}

const parts = (h: bigint, M: number, B: number) => ({
  b: Number(h % BigInt(B)),
  f1: Number((h >> 32n) % BigInt(M)),
  f2: Number((h >> 8n) % BigInt(M - 1)) + 1,
});

/**
 * Hash and displace (CHD-like) over k distinct 64-bit hashes: M = max(64, ⌈1.25k⌉) slots, ⌈k/4⌉ buckets, the largest buckets
 * placed first, each with the first (d0, d1) that puts its keys on distinct free slots. Null when a bucket finds
 * none within its budget (two keys alike in b, f1 and f2: the caller joins instead) or k exceeds SLOT_LIMIT.
 */
export function perfectHash(hs: bigint[]): SlotPlan | null {
  const k = hs.length;
  if (k > SLOT_LIMIT) return null;
  const M = Math.max(64, Math.ceil(k * 1.25)); // small tables: room enough that a bucket always finds its slots
  const B = Math.max(1, Math.ceil(k / 4));
  const p = hs.map((h) => parts(h, M, B));
  const buckets: number[][] = Array.from({ length: B }, () => []);
  p.forEach((x, i) => buckets[x.b].push(i));
  const order = buckets.map((_, b) => b).sort((a, b) => buckets[b].length - buckets[a].length);
  const taken = new Uint8Array(M);
  const slotOf = new Int32Array(k).fill(-1);
  const d0 = new Array<number>(B).fill(0);
  const d1 = new Array<number>(B).fill(0);
  const budget = 64 * M;
  for (const b of order) {
    const ids = buckets[b];
    if (!ids.length) continue;
    let placed = false;
    for (let t = 0; t < budget && !placed; t++) {
      const a0 = Math.floor(t / M);
      const a1 = t % M;
      const slots = ids.map((i) => (p[i].f1 + a0 * p[i].f2 + a1) % M);
      if (slots.some((x, j) => taken[x] || slots.indexOf(x) !== j)) continue;
      slots.forEach((x, j) => ((taken[x] = 1), (slotOf[ids[j]] = x)));
      d0[b] = a0;
      d1[b] = a1;
      placed = true;
    }
    if (!placed) return null;
  }
  return { M, B, d0, d1, slotOf };
}

/** the slot of a row's hash column `h` in SQL (UBIGINT arithmetic: at most M + M² + M < 2³⁴) */
export function slotSql(plan: SlotPlan, h: string): string {
  const b = `CAST(${h} % ${plan.B} AS BIGINT) + 1`;
  return `((${h} >> 32) % ${plan.M} + getvariable('m4_d0')[${b}] * ((${h} >> 8) % ${plan.M - 1} + 1)
    + getvariable('m4_d1')[${b}]) % ${plan.M}`;
}
