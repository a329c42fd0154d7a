// The moments kernels (spec §1.5): the fused M4 pass (`rows`, then `reduce`) and the generalised Hessian of the
// dual (`hessian`). Launchers: moments.ts and hessian.ts.
import { defineKernel } from '../kernel.js';

export const WG = 64;

export interface ReduceSpec {
  [k: string]: number | boolean;
  m: number;
  /** columns per workgroup (reduceColumns(c)) */
  jw: number;
  /** skip zero labels (variant 'moments.reduce' = 'skip') */
  skip: boolean;
}
export interface HessianSpec {
  [k: string]: number | string;
  m: number;
  c: number;
  /** S encoding: 'f32' | 'u8' | 'u16' (encode.ts) */
  s: string;
  /** Y encoding: 'f32' | 'bits' */
  y: string;
}
export const HESSIAN_WG = 256;
const TILE_FLOATS = 4096; // 16 KiB of workgroup memory, the WebGPU minimum limit

/** `flags` bits of the moments uniforms, shared with the WGSL as FLAG_<NAME> constants */
export const FLAG = {
  /** a per-row utility u is bound (q0 = η + u_i) */
  U: 1,
  /** a per-row multiplicity w is bound */
  W: 2,
  /** q_i ≡ fixedQ instead of the closed form */
  FIXED_Q: 4,
  /** q_i is stored to Q */
  STORE_Q: 8,
} as const;
const FLAG_CONSTANTS = Object.fromEntries(Object.entries(FLAG).map(([k, v]) => [`FLAG_${k}`, v]));

/** The moments flag word for a chunk: which optional inputs and outputs are bound. */
export function momentsFlags(o: { u?: unknown; w?: unknown; fixedQ?: number; qOut?: unknown }): number {
  return (
    (o.u ? FLAG.U : 0) | (o.w ? FLAG.W : 0) | (o.fixedQ !== undefined ? FLAG.FIXED_Q : 0) | (o.qOut ? FLAG.STORE_Q : 0)
  );
}

// Per row, specialised on m: a_k = s_ik − π_k, then t = Σ_k a_k W[k][0] + Σ_r y_r Σ_k a_k W[k][1+r], so each y is
// read once and zero labels (sparse one-/multi-hot Y) skip their m multiply-adds.
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
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read> Dual: array<f32>;   // W (m×(c+1)) then π (m)
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
  var t = 0.0;
  for (var k = 0u; k < ${m}u; k++) {
    a[k] = S[sb + k] - Dual[piOff + k];
    t = fma(a[k], Dual[k * c1], t);
  }
  let yb = p.yBase + i * p.c;
  for (var r = 0u; r < p.c; r++) {
    let y = Y[yb + r];
    if (y == 0.0) { continue; }
    var wr = 0.0;
    for (var k = 0u; k < ${m}u; k++) { wr = fma(a[k], Dual[k * c1 + 1u + r], wr); }
    t = fma(y, wr, t);
  }
  var q0 = p.eta;
  if ((p.flags & FLAG_U) != 0u) { q0 += U[p.uBase + i]; }
  var w = 1.0;
  if ((p.flags & FLAG_W) != 0u) { w = Wt[p.wBase + i]; }
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

// Generalised Hessian (see hessian.ts): each workgroup (256 invocations) owns a block of rows and all
// T = K(K+1)/2 upper-triangle entries: invocation l keeps the entries l, l+256, … (NO = ⌈T/256⌉ registers). Rows
// are staged in tiles of TR rows in workgroup memory as √w_i·z_i (one invocation builds one row's z), then every
// invocation adds its products over the tile. Specialised on (m, c), so K, TR and NO are compile-time constants.
export const hessianKernel = defineKernel({
  name: 'moments:hessian',
  params: {
    n: 'u32',
    flags: 'u32',
    rowsPerBlock: 'u32',
    T: 'u32',
    mu: 'f32',
    eta: 'f32',
    sBase: 'u32',
    yBase: 'u32',
    uBase: 'u32',
    wBase: 'u32',
    stride: 'u32',
  },
  constants: FLAG_CONSTANTS,
  source: ({ m, c, s, y }: HessianSpec) => {
    const c1 = c + 1;
    const cat = s !== 'f32';
    const bits = y === 'bits';
    const lw = Math.ceil(c / 32);
    const [sh, per, gb, mask] = s === 'u8' ? [2, 3, 8, 0xff] : [1, 1, 16, 0xffff];
    // s_k − π_k and y_r of row i in the chunk's encoding
    const aOf = cat
      ? `let g = (S[p.sBase + (i >> ${sh}u)] >> ((i & ${per}u) * ${gb}u)) & ${mask}u;
        for (var k = 0u; k < ${m}u; k++) { a[k] = select(0.0, 1.0, g == k) - Dual[${m * c1}u + k]; }`
      : `let sb = p.sBase + i * ${m}u;
        for (var k = 0u; k < ${m}u; k++) { a[k] = S[sb + k] - Dual[${m * c1}u + k]; }`;
    const yOf = (r: string) => (bits ? `f32((Y[yb + (${r} >> 5u)] >> (${r} & 31u)) & 1u)` : `Y[yb + ${r}]`);
    const K = m * c1 + 1;
    const T = (K * (K + 1)) / 2;
    const NO = Math.ceil(T / HESSIAN_WG);
    const TR = Math.min(HESSIAN_WG, Math.floor(TILE_FLOATS / K));
    return /* wgsl */ `
@group(0) @binding(1) var<storage, read> S: array<${cat ? 'u32' : 'f32'}>;
@group(0) @binding(2) var<storage, read> Y: array<${bits ? 'u32' : 'f32'}>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read> Dual: array<f32>;   // W (m×(c+1)) then π (m)
@group(0) @binding(6) var<storage, read> Pairs: array<u32>;  // entry o → a | b << 16 (a ≤ b)
@group(0) @binding(7) var<storage, read_write> Part: array<f32>;
const K = ${K}u;
const TR = ${TR}u;
var<workgroup> zt: array<f32, ${TR * K}>;
@compute @workgroup_size(${HESSIAN_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) l: u32) {
  let i0 = wg.x * p.rowsPerBlock;
  let i1 = min(i0 + p.rowsPerBlock, p.n);
  var acc: array<f32, ${NO}>;
  var ia: array<u32, ${NO}>;
  var ib: array<u32, ${NO}>;
  for (var j = 0u; j < ${NO}u; j++) {
    let o = l + j * ${HESSIAN_WG}u;
    if (o < p.T) { let pr = Pairs[o]; ia[j] = pr & 0xffffu; ib[j] = pr >> 16u; }
  }
  for (var base = i0; base < i1; base += TR) {
    workgroupBarrier();
    if (l < TR) {
      let j = base + l;
      let zo = l * K;
      if (j < i1) {
        let i = j * p.stride;
        var a: array<f32, ${m}>;
        var t = 0.0;
        ${aOf}
        for (var k = 0u; k < ${m}u; k++) { t = fma(a[k], Dual[k * ${c1}u], t); }
        let yb = p.yBase + i * ${bits ? lw : c}u;
        for (var r = 0u; r < ${c}u; r++) {
          let y = ${yOf('r')};
          if (y == 0.0) { continue; }
          var wr = 0.0;
          for (var k = 0u; k < ${m}u; k++) { wr = fma(a[k], Dual[k * ${c1}u + 1u + r], wr); }
          t = fma(y, wr, t);
        }
        var q0 = p.eta;
        if ((p.flags & FLAG_U) != 0u) { q0 += U[p.uBase + i]; }
        var w = 1.0;
        if ((p.flags & FLAG_W) != 0u) { w = Wt[p.wBase + i]; }
        let qh = q0 - t - p.mu;
        var sw = 0.0;
        if (qh > 0.0 && qh < 1.0) { sw = sqrt(w); }
        for (var k = 0u; k < ${m}u; k++) {
          let f = sw * a[k];
          zt[zo + k * ${c1}u] = f;
          for (var r = 0u; r < ${c}u; r++) { zt[zo + k * ${c1}u + 1u + r] = f * ${yOf('r')}; }
        }
        zt[zo + K - 1u] = sw;
      } else {
        for (var j = 0u; j < K; j++) { zt[zo + j] = 0.0; }
      }
    }
    workgroupBarrier();
    let rows = min(TR, i1 - base);
    for (var rr = 0u; rr < rows; rr++) {
      let zo = rr * K;
      for (var j = 0u; j < ${NO}u; j++) { acc[j] = fma(zt[zo + ia[j]], zt[zo + ib[j]], acc[j]); }
    }
  }
  for (var j = 0u; j < ${NO}u; j++) {
    let o = l + j * ${HESSIAN_WG}u;
    if (o < p.T) { Part[wg.x * p.T + o] = acc[j]; }
  }
}
`;
  },
});

// ---- one-dispatch pass (variant 'moments.pass' = 'fused'), every row encoding ----------------------------------
/** Largest R = (m+1)(c+1)+2 the fused kernel keeps in registers (its Kahan sums and their compensations). */
export const FUSED_MAX_R = 256;
export const FUSED_WG = 64;
export interface FusedSpec {
  [k: string]: number | string;
  m: number;
  c: number;
  /** S encoding: 'f32' | 'u8' | 'u16' (encode.ts) */
  s: string;
  /** Y encoding: 'f32' | 'bits' */
  y: string;
}

/** Sums of the fused kernel for (m, c): [P (m×(c+1)), g (c+1), Σw, Σo]. */
function fusedOutputs(m: number, c: number): number {
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
  source: ({ m, c, s, y }: FusedSpec) => {
    const c1 = c + 1;
    const R = fusedOutputs(m, c);
    const G = m * c1; // offset of g[·] in the sums
    const cat = s !== 'f32';
    const lw = Math.ceil(c / 32);
    const CH = Math.min(R, Math.floor(4096 / FUSED_WG));
    const [sh, per, gb, mask] = s === 'u8' ? [2, 3, 8, 0xff] : [1, 1, 16, 0xffff];
    const sRead = cat
      ? `let g = (S[p.sBase + (i >> ${sh}u)] >> ((i & ${per}u) * ${gb}u)) & ${mask}u;`
      : `let sb = p.sBase + i * ${m}u;`;
    const sOf = (k: string) => (cat ? `select(0.0, 1.0, g == ${k})` : `S[sb + ${k}]`);
    const yRead =
      y === 'bits'
        ? `let yb = p.yBase + i * ${lw}u;
    for (var r = 0u; r < ${c}u; r++) { yv[r] = f32((Y[yb + (r >> 5u)] >> (r & 31u)) & 1u); }`
        : `let yb = p.yBase + i * ${c}u;
    for (var r = 0u; r < ${c}u; r++) { yv[r] = Y[yb + r]; }`;
    return /* wgsl */ `
@group(0) @binding(1) var<storage, read> S: array<${cat ? 'u32' : 'f32'}>;
@group(0) @binding(2) var<storage, read> Y: array<${y === 'bits' ? 'u32' : 'f32'}>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read> Dual: array<f32>;   // W (m×(c+1)), π (m)
@group(0) @binding(6) var<storage, read_write> Part: array<f32>; // [blocks, R]
@group(0) @binding(7) var<storage, read_write> Q: array<f32>;
const R = ${R}u;
const CH = ${CH}u;
var<workgroup> red: array<f32, ${FUSED_WG * CH}>;
var<private> acc: array<f32, ${R}>;
var<private> cmp: array<f32, ${R}>;
var<private> yv: array<f32, ${Math.max(1, c)}>;
fn kadd(j: u32, x: f32) {
  let yk = x - cmp[j];
  let tk = acc[j] + yk;
  cmp[j] = (tk - acc[j]) - yk;
  acc[j] = tk;
}
fn column(j: u32) -> f32 {
  var sum = 0.0;
  var e = 0.0;
  for (var ln = 0u; ln < ${FUSED_WG}u; ln++) {
    let yk = red[ln * CH + j] - e;
    let tk = sum + yk;
    e = (tk - sum) - yk;
    sum = tk;
  }
  return sum;
}
@compute @workgroup_size(${FUSED_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) l: u32) {
  let i1 = min((wg.x + 1u) * p.rowsPerBlock, p.n);
  let hasU = (p.flags & FLAG_U) != 0u;
  let hasW = (p.flags & FLAG_W) != 0u;
  for (var i = wg.x * p.rowsPerBlock + l; i < i1; i += ${FUSED_WG}u) {
    ${sRead}
    ${yRead}
    var t = 0.0;
    for (var k = 0u; k < ${m}u; k++) {
      var dot = Dual[k * ${c1}u];
      for (var r = 0u; r < ${c}u; r++) { dot = fma(yv[r], Dual[k * ${c1}u + 1u + r], dot); }
      t = fma(${sOf('k')} - Dual[${G}u + k], dot, t);
    }
    var q0 = p.eta;
    if (hasU) { q0 += U[p.uBase + i]; }
    var w = 1.0;
    if (hasW) { w = Wt[p.wBase + i]; }
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
  for (var j0 = 0u; j0 < R; j0 += CH) {
    for (var j = 0u; j < CH; j++) {
      if (j0 + j < R) { red[l * CH + j] = acc[j0 + j] - cmp[j0 + j]; }
    }
    workgroupBarrier();
    if (l < CH && j0 + l < R) { Part[wg.x * R + j0 + l] = column(l); }
    workgroupBarrier();
  }
}
`;
  },
});

// ---- generalised Hessian for categorical rows (variant 'moments.hessian' = 'groups') ----------------------------
/** Largest A = m(c+1)(c+2)/2 (per-group label second moments) the groups kernel keeps per invocation. */
export const HESSIAN_GROUPS_MAX = 512;
export interface HessianGroupsSpec {
  [k: string]: number | string;
  m: number;
  c: number;
  /** S encoding: 'u8' | 'u16' (categorical rows only) */
  s: string;
  /** Y encoding: 'f32' | 'bits' */
  y: string;
}

// With a categorical S (row i in group g_i), z_i = [(e_g − π) ⊗ ỹ_i; 1], ỹ = [1, y], so
//   H = Σ_free w z zᵀ is fixed by the per-group label second moments  M_g = Σ_{free, g_i = g} w_i ỹ_i ỹ_iᵀ
// (m upper triangles of (c+1)², A = m(c+1)(c+2)/2 numbers, against K(K+1)/2 for the tiled kernel) and π: the
// host expands them (foldHessianGroupPartials in hessian.ts). Each invocation walks its block's rows (strided as
// the tiled kernel), decides whether the row is free (0 < q̂ < 1) and adds w ỹ ỹᵀ to its group's triangle: loops
// with compile-time trip counts and invocation-uniform indices, as the fused moments kernel; no workgroup-memory
// tiles. Block sums through workgroup memory (Kahan), blocks in float64 on the host.
export const hessianGroupsKernel = defineKernel({
  name: 'moments:hessian-groups',
  params: {
    n: 'u32',
    flags: 'u32',
    rowsPerBlock: 'u32',
    stride: 'u32',
    mu: 'f32',
    eta: 'f32',
    sBase: 'u32',
    yBase: 'u32',
    uBase: 'u32',
    wBase: 'u32',
  },
  constants: FLAG_CONSTANTS,
  source: ({ m, c, s, y }: HessianGroupsSpec) => {
    const c1 = c + 1;
    const E = (c1 * (c1 + 1)) / 2;
    const A = m * E;
    const CH = Math.min(A, Math.floor(4096 / FUSED_WG));
    const lw = Math.ceil(c / 32);
    const [sh, per, gb, mask] = s === 'u8' ? [2, 3, 8, 0xff] : [1, 1, 16, 0xffff];
    const yRead =
      y === 'bits'
        ? `let yb = p.yBase + i * ${lw}u;
    for (var r = 0u; r < ${c}u; r++) { yv[1u + r] = f32((Y[yb + (r >> 5u)] >> (r & 31u)) & 1u); }`
        : `let yb = p.yBase + i * ${c}u;
    for (var r = 0u; r < ${c}u; r++) { yv[1u + r] = Y[yb + r]; }`;
    // straight-line with constant indices (the triangle's inner loop has a varying trip count, which kept lavapipe
    // from unrolling it: dynamic indexing of acc, ~2× slower)
    const L: string[] = [];
    let o = 0;
    for (let gg = 0; gg < m; gg++) {
      L.push(`let wg${gg} = select(0.0, wf, g == ${gg}u);`);
      for (let r = 0; r < c1; r++) {
        L.push(`let w${gg}_${r} = wg${gg} * yv[${r}];`);
        for (let r2 = r; r2 < c1; r2++, o++) L.push(`acc[${o}] = fma(w${gg}_${r}, yv[${r2}], acc[${o}]);`);
      }
    }
    const accumulate = L.map((x) => `    ${x}`).join('\n');
    return /* wgsl */ `
@group(0) @binding(1) var<storage, read> S: array<u32>;
@group(0) @binding(2) var<storage, read> Y: array<${y === 'bits' ? 'u32' : 'f32'}>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read> Dual: array<f32>;   // W (m×(c+1)), π (m)
@group(0) @binding(6) var<storage, read_write> Part: array<f32>; // [blocks, A]
const A = ${A}u;
const CH = ${CH}u;
var<workgroup> red: array<f32, ${FUSED_WG * CH}>;
var<private> acc: array<f32, ${A}>;
var<private> yv: array<f32, ${c1}>;
fn column(j: u32) -> f32 {
  var sum = 0.0;
  var e = 0.0;
  for (var ln = 0u; ln < ${FUSED_WG}u; ln++) {
    let yk = red[ln * CH + j] - e;
    let tk = sum + yk;
    e = (tk - sum) - yk;
    sum = tk;
  }
  return sum;
}
@compute @workgroup_size(${FUSED_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) l: u32) {
  let j1 = min((wg.x + 1u) * p.rowsPerBlock, p.n);
  yv[0] = 1.0;
  for (var j = wg.x * p.rowsPerBlock + l; j < j1; j += ${FUSED_WG}u) {
    let i = j * p.stride;
    let g = (S[p.sBase + (i >> ${sh}u)] >> ((i & ${per}u) * ${gb}u)) & ${mask}u;
    ${yRead}
    var t = 0.0;
    for (var k = 0u; k < ${m}u; k++) {
      var dot = 0.0;
      for (var r = 0u; r < ${c1}u; r++) { dot = fma(yv[r], Dual[k * ${c1}u + r], dot); }
      t = fma(select(0.0, 1.0, g == k) - Dual[${m * c1}u + k], dot, t);
    }
    var q0 = p.eta;
    if ((p.flags & FLAG_U) != 0u) { q0 += U[p.uBase + i]; }
    var w = 1.0;
    if ((p.flags & FLAG_W) != 0u) { w = Wt[p.wBase + i]; }
    let qh = q0 - t - p.mu;
    let wf = select(0.0, w, qh > 0.0 && qh < 1.0);
${accumulate}
  }
  for (var j0 = 0u; j0 < A; j0 += CH) {
    for (var jj = 0u; jj < CH; jj++) {
      if (j0 + jj < A) { red[l * CH + jj] = acc[j0 + jj]; }
    }
    workgroupBarrier();
    if (l < CH && j0 + l < A) { Part[wg.x * A + j0 + l] = column(l); }
    workgroupBarrier();
  }
}
`;
  },
});
