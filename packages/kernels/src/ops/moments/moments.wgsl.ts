// The M4 pass kernels (spec §1.5): `fused` (one dispatch) and `rows`, then `reduce` (any R, f32 rows). Launcher:
// moments.ts. What they share with the Hessian kernels (hessian.wgsl.ts) is in shared.wgsl.ts.
import { defineKernel } from '../kernel.js';
import { baseAndWeight, blockSums, dualDot, FLAG_CONSTANTS, groupOf, readLabels, rowInputs } from './shared.wgsl.js';

export const WG = 64;

/** What a kernel specialised on a chunk's shapes and encodings depends on (fused pass, both Hessian kernels). */
export interface RowSpec {
  [k: string]: number | string;
  m: number;
  c: number;
  /** S encoding: 'f32' | 'u8' | 'u16' (encode.ts) */
  s: string;
  /** Y encoding: 'f32' | 'bits' */
  y: string;
}

export interface ReduceSpec {
  [k: string]: number | boolean;
  m: number;
  /** columns per workgroup (reduceColumns(c)) */
  jw: number;
  /** skip zero labels (variant 'moments.reduce' = 'skip') */
  skip: boolean;
}

// Per row, specialised on m: a_k = s_ik − π_k, then t (dualDot), q, z = w q and the objective term o.
export const rowsKernel = defineKernel({
  name: 'moments:rows',
  params: {
    n: 'u32',
    m: 'u32',
    c: 'u32',
    flags: 'u32',
    mu: 'f32',
    eta: 'f32',
    fixedQ: 'f32',
    sBase: 'u32',
    yBase: 'u32',
    uBase: 'u32',
    wBase: 'u32',
    qBase: 'u32',
  },
  constants: FLAG_CONSTANTS,
  source: ({ m }: { m: number }) => /* wgsl */ `
${rowInputs('f32', 'f32')}
@group(0) @binding(6) var<storage, read_write> Z: array<f32>; // z (n) then o (n)
@group(0) @binding(7) var<storage, read_write> Q: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x;
  if (i >= p.n) { return; }
  let c1 = p.c + 1u;
  let piOff = ${m}u * c1;
  let sb = p.sBase + i * ${m}u;
  var a: array<f32, ${m}>;
  for (var k = 0u; k < ${m}u; k++) { a[k] = S[sb + k] - Dual[piOff + k]; }
  ${dualDot({ m, c1: 'c1', c: 'p.c', yb: 'p.yBase + i * p.c', y: 'f32' }, '  ')}
  ${baseAndWeight('  ')}
  var q = clamp(q0 - t - p.mu, 0.0, 1.0);
  if ((p.flags & FLAG_FIXED_Q) != 0u) { q = p.fixedQ; }
  if ((p.flags & FLAG_STORE_Q) != 0u) { Q[p.qBase + i] = q; }
  let d = q - q0;
  Z[i] = w * q;
  Z[p.n + i] = w * (0.5 * d * d + q * (t + p.mu));
}
`,
});

// Reduce: one invocation per label column r ∈ [0, c] (r = 0 is the constant 1) keeps all m+1 Kahan sums of that
// column (P[0..m-1][r] and g[r]); one extra column c+1 keeps Σw and Σo. So z, s and y are each read once per
// (row, column) instead of once per output, and there is no per-output branching. Columns run along x
// (jw = a power of two ≥ c+2, ≤ 64); when c+2 < 64 the workgroup's spare lanes (y, LANES = 64/jw) split the
// block's rows (interleaved) and are combined through workgroup memory, lane 0 writing the block's partials.
// The source depends on (m, jw, skip) only, so m is a compile-time constant and the sums live in registers;
// `skip` (variant 'moments.reduce' = 'skip') skips zero labels.
export const reduceKernel = defineKernel({
  name: 'moments:reduce',
  params: {
    n: 'u32',
    m: 'u32',
    c: 'u32',
    flags: 'u32',
    rowsPerBlock: 'u32',
    R: 'u32',
    sBase: 'u32',
    yBase: 'u32',
    wBase: 'u32',
  },
  constants: FLAG_CONSTANTS,
  source: ({ m, jw, skip }: ReduceSpec) => {
    const lanes = WG / jw;
    const K = m + 1;
    const combine =
      lanes === 1
        ? ''
        : `
  if (l.y > 0u) {
    let o = ((l.y - 1u) * ${jw}u + l.x) * ${K}u;
    for (var k = 0u; k < ${K}u; k++) { red[o + k] = s[k]; }
  }
  workgroupBarrier();
  if (l.y > 0u) { return; }
  for (var ln = 1u; ln < ${lanes}u; ln++) {
    let o = ((ln - 1u) * ${jw}u + l.x) * ${K}u;
    for (var k = 0u; k < ${K}u; k++) { s[k] += red[o + k]; }
  }`;
    return /* wgsl */ `
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read> Z: array<f32>;
@group(0) @binding(5) var<storage, read_write> Part: array<f32>;
${lanes === 1 ? '' : `var<workgroup> red: array<f32, ${(lanes - 1) * jw * K}>;`}
@compute @workgroup_size(${jw}, ${lanes})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = wg.x * ${jw}u + l.x;   // column: 0 = constant 1, 1..c = label r-1, c+1 = (Σw, Σo)
  let c1 = p.c + 1u;
  let i0 = wg.y * p.rowsPerBlock;
  let i1 = min(i0 + p.rowsPerBlock, p.n);
  var s: array<f32, ${K}>;   // Kahan sums: P[k][r] (k < m), g[r] (k = m); Σw, Σo in s[0], s[1] for r = c+1
  var e: array<f32, ${K}>;   // their compensations
  if (r <= p.c) {
    for (var i = i0 + l.y; i < i1; i += ${lanes}u) {
      var z = Z[i];
      if (r > 0u) {
        let y = Y[p.yBase + i * p.c + r - 1u];
        ${skip ? 'if (y == 0.0) { continue; }' : ''}
        z *= y;
      }
      let sb = p.sBase + i * ${m}u;
      for (var k = 0u; k < ${m}u; k++) {
        let yk = z * S[sb + k] - e[k];
        let tk = s[k] + yk;
        e[k] = (tk - s[k]) - yk;
        s[k] = tk;
      }
      let yk = z - e[${m}];
      let tk = s[${m}] + yk;
      e[${m}] = (tk - s[${m}]) - yk;
      s[${m}] = tk;
    }
  } else if (r == c1) {
    let hasW = (p.flags & FLAG_W) != 0u;
    for (var i = i0 + l.y; i < i1; i += ${lanes}u) {
      let x0 = select(1.0, Wt[p.wBase + i], hasW) - e[0];
      let t0 = s[0] + x0;
      e[0] = (t0 - s[0]) - x0;
      s[0] = t0;
      let x1 = Z[p.n + i] - e[1];
      let t1 = s[1] + x1;
      e[1] = (t1 - s[1]) - x1;
      s[1] = t1;
    }
  }
  for (var k = 0u; k < ${K}u; k++) { s[k] -= e[k]; }
${combine}
  let base = wg.y * p.R;
  if (r <= p.c) {
    for (var k = 0u; k < ${K}u; k++) { Part[base + k * c1 + r] = s[k]; }
  } else if (r == c1) {
    Part[base + ${K}u * c1] = s[0];
    Part[base + ${K}u * c1 + 1u] = s[1];
  }
}
`;
  },
});

/** Columns per reduce workgroup: the smallest power of two ≥ c+2 (label columns, the constant, Σw/Σo), ≤ 64. */
export function reduceColumns(c: number): number {
  let jw = 2;
  while (jw < WG && jw < c + 2) jw *= 2;
  return jw;
}

// ---- one-dispatch pass (variant 'moments.pass' = 'fused'), every row encoding ----------------------------------
/** Largest R = (m+1)(c+1)+2 the fused kernel keeps in registers (its Kahan sums and their compensations). */
export const FUSED_MAX_R = 256;
export const FUSED_WG = 64;

/**
 * Numbers one moments pass sums: (m+1)(c+1) moments plus Σw and the objective (the fused kernel's sums
 * [P (m×(c+1)), g (c+1), Σw, Σo]).
 * @param m - groups.
 * @param c - labels.
 * @returns (m+1)(c+1)+2.
 */
export function momentsOutputs(m: number, c: number): number {
  return (m + 1) * (c + 1) + 2;
}

// The whole pass in one dispatch for R = (m+1)(c+1)+2 ≤ FUSED_MAX_R. Each invocation walks its workgroup's block
// of rows (rows l, l+64, …: neighbouring invocations read neighbouring rows), computes t, q, z = w q and the
// objective term, and adds them straight into its R Kahan sums; then the workgroup adds its 64 invocations' sums
// through workgroup memory (Kahan again) and writes one row of partials. No intermediate z/o buffer, no second
// read of the rows, one dispatch. Every loop has a compile-time trip count (m, c) and visits the sums in the
// same order on every invocation, so the sum index is uniform (no per-lane gathers; GPU compilers unroll it into
// registers). Measured on lavapipe (same run, 2^20 rows, m = 2, c = 10): 3× faster than rows + reduce on f32
// rows, 7–8× on u8 + bits; a fully unrolled source (named registers) ran at the same speed but compiled 2–3×
// slower (17 s at R = 95), and batching 16 plain f32 adds per Kahan fold was slower, not faster.
// Categorical S (u8/u16 group g) gives s_k = [k = g]; bit-packed labels give y_r = bit r of the row's words.
// Specialised on (m, c, s, y): the source depends on nothing else (the cache key).
export const fusedKernel = defineKernel({
  name: 'moments:fused',
  params: {
    n: 'u32',
    flags: 'u32',
    rowsPerBlock: 'u32',
    mu: 'f32',
    eta: 'f32',
    fixedQ: 'f32',
    sBase: 'u32',
    yBase: 'u32',
    uBase: 'u32',
    wBase: 'u32',
    qBase: 'u32',
  },
  constants: FLAG_CONSTANTS,
  source: ({ m, c, s, y }: RowSpec) => {
    const c1 = c + 1;
    const R = momentsOutputs(m, c);
    const G = m * c1; // offset of g[·] in the sums
    const cat = s !== 'f32';
    const sRead = cat ? groupOf(s) : `let sb = p.sBase + i * ${m}u;`;
    const sOf = (k: string) => (cat ? `select(0.0, 1.0, g == ${k})` : `S[sb + ${k}]`);
    const sums = blockSums(FUSED_WG, R, 'R', (j) => `acc[${j}] - cmp[${j}]`);
    return /* wgsl */ `
${rowInputs(s, y)}
@group(0) @binding(6) var<storage, read_write> Part: array<f32>; // [blocks, R]
@group(0) @binding(7) var<storage, read_write> Q: array<f32>;
const R = ${R}u;
${sums.decls}
var<private> acc: array<f32, ${R}>;
var<private> cmp: array<f32, ${R}>;
var<private> yv: array<f32, ${Math.max(1, c)}>;
fn kadd(j: u32, x: f32) {
  let yk = x - cmp[j];
  let tk = acc[j] + yk;
  cmp[j] = (tk - acc[j]) - yk;
  acc[j] = tk;
}
${sums.column}
@compute @workgroup_size(${FUSED_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) l: u32) {
  let i1 = min((wg.x + 1u) * p.rowsPerBlock, p.n);
  for (var i = wg.x * p.rowsPerBlock + l; i < i1; i += ${FUSED_WG}u) {
    ${sRead}
    ${readLabels(y, c, '')}
    var t = 0.0;
    for (var k = 0u; k < ${m}u; k++) {
      var dot = Dual[k * ${c1}u];
      for (var r = 0u; r < ${c}u; r++) { dot = fma(yv[r], Dual[k * ${c1}u + 1u + r], dot); }
      t = fma(${sOf('k')} - Dual[${G}u + k], dot, t);
    }
    ${baseAndWeight('    ')}
    var q = clamp(q0 - t - p.mu, 0.0, 1.0);
    if ((p.flags & FLAG_FIXED_Q) != 0u) { q = p.fixedQ; }
    if ((p.flags & FLAG_STORE_Q) != 0u) { Q[p.qBase + i] = q; }
    let dq = q - q0;
    let z = w * q;
    for (var k = 0u; k < ${m}u; k++) {
      let zk = z * ${sOf('k')};
      kadd(k * ${c1}u, zk);
      for (var r = 0u; r < ${c}u; r++) { kadd(k * ${c1}u + 1u + r, zk * yv[r]); }
    }
    kadd(${G}u, z);
    for (var r = 0u; r < ${c}u; r++) { kadd(${G + 1}u + r, z * yv[r]); }
    kadd(R - 2u, w);
    kadd(R - 1u, w * (0.5 * dq * dq + q * (t + p.mu)));
  }
${sums.tail}
}
`;
  },
});
