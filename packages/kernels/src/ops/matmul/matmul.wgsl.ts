// Hand-written WGSL for C = op(A)·op(B), batched, with an optional epilogue fused into the store (the `linear`
// op: C = gelu(A·B + bias) + residual). Shapes, offsets and strides travel in the uniform block, so a new shape
// never recompiles; the source depends only on (variant, transA, transB) and the epilogue's parts.
import { defineKernel } from '../kernel.js';
import { geluWgsl } from '../gelu/gelu.wgsl.js';
import type { GeluKind } from '../gelu/reference.js';

/** A matmul kernel variant (default: picked for the adapter). */
import type { MatmulVariant } from '../../runtime/context.js';

export type { MatmulVariant };

export const matmulKernel = defineKernel({
  name: 'matmul',
  params: {
    M: 'u32',
    K: 'u32',
    N: 'u32',
    batch: 'u32',
    aBase: 'u32',
    bBase: 'u32',
    cBase: 'u32',
    acc: 'u32',
    sA: 'u32',
    sB: 'u32',
    sC: 'u32',
    biasBase: 'u32',
    rBase: 'u32',
  },
  enables: ({ variant }: MatmulSpec) => (variant === 'subgroup' ? ['subgroups'] : []),
  source: (spec: MatmulSpec) => {
    const { variant, transA, transB } = spec;
    const body =
      variant === 'simple'
        ? simpleSource(transA, transB)
        : variant === 'tiled'
          ? tiledSource(transA, transB)
          : variant === 'subgroup' || variant === 'vec4'
            ? subgroupSource(variant === 'subgroup')
            : blockedSource(transA, transB);
    return epilogueSource(spec) + body;
  },
});

export interface MatmulSpec {
  [k: string]: string | boolean;
  variant: MatmulVariant;
  transA: boolean;
  transB: boolean;
  /** epilogue: + bias[n] (binding `Bias`), then GELU of this kind ('none': no activation), then + residual[m, n]
   * (binding `Res`, laid out like C) */
  bias: boolean;
  gelu: GeluKind | 'none';
  residual: boolean;
}

/**
 * The epilogue every variant's store calls: `fin(i, n, v)` for output element i (row-major index into C with its
 * base) in column n. Plain matmul: v (or C[i] + v when accumulating a split K). The residual shares C's layout,
 * bound at its own base (rBase).
 */
function epilogueSource({ bias, gelu, residual }: MatmulSpec): string {
  const lines = [
    bias ? '@group(0) @binding(4) var<storage, read> Bias: array<f32>;' : '',
    residual ? '@group(0) @binding(5) var<storage, read> Res: array<f32>;' : '',
    gelu !== 'none' ? geluWgsl(gelu) : '',
    `fn fin(i: u32, n: u32, v: f32) -> f32 {
  var z = v;
  ${bias ? 'z = z + Bias[p.biasBase + n];' : ''}
  ${gelu !== 'none' ? 'z = act(z);' : ''}
  ${residual ? 'z = z + Res[p.rBase + i - p.cBase];' : ''}
  return z;
}`,
  ];
  return lines.filter((l) => l).join('\n') + '\n';
}

const header = `
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
`;

function accessors(ta: boolean, tb: boolean): string {
  return `
fn idxA(b: u32, m: u32, k: u32) -> u32 { return p.aBase + b * p.sA + ${ta ? 'k * p.M + m' : 'm * p.K + k'}; }
fn idxB(b: u32, k: u32, n: u32) -> u32 { return p.bBase + b * p.sB + ${tb ? 'n * p.K + k' : 'k * p.N + n'}; }
fn store(b: u32, m: u32, n: u32, v: f32) {
  let i = p.cBase + b * p.sC + m * p.N + n;
  if (p.acc != 0u) { C[i] = C[i] + v; } else { C[i] = fin(i, n, v); }
}
`;
}

/** One output per invocation, no workgroup memory. Reference-quality baseline. */
export function simpleSource(ta: boolean, tb: boolean): string {
  return `${header}${accessors(ta, tb)}
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = g.x; let m = g.y; let b = g.z;
  if (m >= p.M || n >= p.N) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) { s = fma(A[idxA(b, m, k)], B[idxB(b, k, n)], s); }
  store(b, m, n, s);
}
`;
}

/** 64×64 output tile per workgroup of 16×16 invocations, 4×4 register block each, K staged through workgroup memory. */
export const TILED = { TM: 64, TN: 64, TK: 16, WX: 16, WY: 16 };
export function tiledSource(ta: boolean, tb: boolean): string {
  const { TM, TN, TK, WX, WY } = TILED;
  return `${header}${accessors(ta, tb)}
var<workgroup> As: array<array<f32, ${TM}>, ${TK}>;
var<workgroup> Bs: array<array<f32, ${TN}>, ${TK}>;
@compute @workgroup_size(${WX}, ${WY}, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u, @builtin(local_invocation_index) li: u32) {
  let b = wg.z;
  let m0 = wg.y * ${TM}u;
  let n0 = wg.x * ${TN}u;
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }
  let tiles = (p.K + ${TK - 1}u) / ${TK}u;
  for (var t = 0u; t < tiles; t++) {
    let k0 = t * ${TK}u;
    // ${TM * TK} A values and ${TN * TK} B values, ${(TM * TK) / (WX * WY)} each per invocation
    for (var r = 0u; r < ${(TM * TK) / (WX * WY)}u; r++) {
      let e = li + r * ${WX * WY}u;
      let kk = e / ${TM}u; let mm = e % ${TM}u;
      let gm = m0 + mm; let gk = k0 + kk;
      var va = 0.0;
      if (gm < p.M && gk < p.K) { va = A[idxA(b, gm, gk)]; }
      As[kk][mm] = va;
      let nn = e % ${TN}u; let kb = e / ${TN}u;
      let gn = n0 + nn; let gkb = k0 + kb;
      var vb = 0.0;
      if (gn < p.N && gkb < p.K) { vb = B[idxB(b, gkb, gn)]; }
      Bs[kb][nn] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      var ar: array<f32, 4>; var br: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { ar[i] = As[kk][l.y + i * ${WY}u]; }
      for (var j = 0u; j < 4u; j++) { br[j] = Bs[kk][l.x + j * ${WX}u]; }
      for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(ar[i], br[j], acc[i][j]); } }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + l.y + i * ${WY}u;
    if (m >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + l.x + j * ${WX}u;
      if (n < p.N) { store(b, m, n, acc[i][j]); }
    }
  }
}
`;
}

/**
 * Barrier-free register-blocked variant (wins on CPU drivers, where barriers are costly): each invocation
 * owns RM rows × RN columns; columns are strided by the workgroup width so neighbouring invocations read
 * neighbouring B elements; K unrolled by 4.
 */
export const BLOCKED = { RM: 4, RN: 4, WX: 16, WY: 4 };
export function blockedSource(ta: boolean, tb: boolean): string {
  const { RM, RN, WX, WY } = BLOCKED;
  const rows = [...Array(RM).keys()];
  const cols = [...Array(RN).keys()];
  const decl = rows.map((i) => cols.map((j) => `var c${i}${j} = 0.0;`).join(' ')).join('\n  ');
  const fmaLine = (kk: string) =>
    rows
      .map((i) => `let a${i} = A[idxA(b, mr${i}, ${kk})];`)
      .concat(cols.map((j) => `let b${j} = B[idxB(b, ${kk}, nc${j})];`))
      .concat(rows.flatMap((i) => cols.map((j) => `c${i}${j} = fma(a${i}, b${j}, c${i}${j});`)))
      .join(' ');
  return `${header}${accessors(ta, tb)}
@compute @workgroup_size(${WX}, ${WY}, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let b = wg.z;
  let mBase = (wg.y * ${WY}u + l.y) * ${RM}u;
  let nBase = wg.x * ${WX * RN}u + l.x;
  if (mBase >= p.M || nBase >= p.N) { return; }
  // clamp indices so loads stay in bounds; clamped lanes are never stored
  ${rows.map((i) => `let mr${i} = min(mBase + ${i}u, p.M - 1u);`).join(' ')}
  ${cols.map((j) => `let nc${j} = min(nBase + ${j * WX}u, p.N - 1u);`).join(' ')}
  ${decl}
  var k = 0u;
  for (; k + 4u <= p.K; k += 4u) {
    { let kk = k; ${fmaLine('kk')} }
    { let kk = k + 1u; ${fmaLine('kk')} }
    { let kk = k + 2u; ${fmaLine('kk')} }
    { let kk = k + 3u; ${fmaLine('kk')} }
  }
  for (; k < p.K; k++) { let kk = k; ${fmaLine('kk')} }
  ${rows
    .map(
      (i) =>
        `if (mBase + ${i}u < p.M) { ${cols
          .map((j) => `if (nBase + ${j * WX}u < p.N) { store(b, mBase + ${i}u, nBase + ${j * WX}u, c${i}${j}); }`)
          .join(' ')} }`,
    )
    .join('\n  ')}
}
`;
}

/**
 * `subgroup` variant: barrier-free, built for CPU drivers (lavapipe/llvmpipe), where every per-invocation
 * (divergent) storage load is scalarised into a bounds-checked load per SIMD lane and dominates the cost.
 * It minimises loaded floats per FMA:
 *  - A is read as vec4 along K (one load per 4 K steps) and shared across the subgroup: invocation with
 *    subgroup lane s loads row m0 + (s % 8), and `subgroupBroadcast(a, i)` hands row m0 + i to every lane
 *    (a register shuffle), so 8 rows cost each lane 1/8 of their loads;
 *  - B is read as vec4 along N: each invocation owns 4 consecutive columns (consecutive invocations read
 *    consecutive 16-byte blocks) and RM = 8 rows, i.e. 8 vec4 accumulators (32 outputs).
 * Workgroup: 64 × 1 invocations covering 8 rows × 256 columns; rows depend only on workgroup_id, so all
 * lanes of a subgroup share them. Larger register blocks (16 rows, 8 columns) spill and lose on lavapipe.
 * Needs the `subgroups` feature, A·B without transposes, K % 4 == 0 and N % 4 == 0 (vec4 bindings; the
 * launcher checks and otherwise falls back to `blocked`). With subgroups narrower than 8 lanes the shader
 * takes a uniform branch that loads the 8 A rows per invocation instead of broadcasting.
 */
export const SUBGROUP = { RM: 8, WX: 64 };
/**
 * `useSubgroups = false` gives the `vec4` variant: the same register block and vec4 bindings, but every
 * invocation loads its 8 A rows itself (for devices without the `subgroups` feature, e.g. Deno's wgpu).
 */
export function subgroupSource(useSubgroups = true): string {
  const { RM, WX } = SUBGROUP;
  const rows = [...Array(RM).keys()];
  const comps = ['x', 'y', 'z', 'w'];
  // one K step (kk = k + u): load the B vec4, then 8 rank-1 updates with row i's A value
  const step = (u: number, aOf: (i: number, c: string) => string) =>
    `{ let bv = B[bq + (k + ${u}u) * nq]; ${rows.map((i) => `c${i} = fma(vec4(${aOf(i, comps[u])}), bv, c${i});`).join(' ')} }`;
  const body = (aOf: (i: number, c: string) => string) => [0, 1, 2, 3].map((u) => step(u, aOf)).join('\n      ');
  const direct = `${rows.map((i) => `let mr${i} = min(m0 + ${i}u, p.M - 1u);`).join(' ')}
    for (var k = 0u; k < p.K; k += 4u) {
      ${rows.map((i) => `let a${i} = A[aq + mr${i} * kq + (k >> 2u)];`).join(' ')}
      ${body((i, c) => `a${i}.${c}`)}
    }`;
  const loop = useSubgroups
    ? `let mr = min(m0 + (sl % ${RM}u), p.M - 1u);
  if (sgs >= ${RM}u) {
    for (var k = 0u; k < p.K; k += 4u) {
      let av = A[aq + mr * kq + (k >> 2u)];
      ${body((i, c) => `subgroupBroadcast(av.${c}, ${i}u)`)}
    }
  } else {
    ${direct}
  }`
    : direct;
  return `
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
fn store(b: u32, m: u32, n: u32, v: f32) {
  let i = p.cBase + b * p.sC + m * p.N + n;
  if (p.acc != 0u) { C[i] = C[i] + v; } else { C[i] = fin(i, n, v); }
}
@compute @workgroup_size(${WX}, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u${
    useSubgroups
      ? `,
        @builtin(subgroup_invocation_id) sl: u32, @builtin(subgroup_size) sgs: u32`
      : ''
  }) {
  let b = wg.z;
  let m0 = wg.y * ${RM}u;
  let kq = p.K >> 2u;
  let nq = p.N >> 2u;
  // A/B vec4 row bases (aBase, bBase, sA, sB are multiples of 4: checked by the launcher)
  let aq = (p.aBase + b * p.sA) >> 2u;
  let bq0 = (p.bBase + b * p.sB) >> 2u;
  let q = wg.x * ${WX}u + l.x;          // this invocation's vec4 column
  let bq = bq0 + min(q, nq - 1u);       // clamped: out-of-range lanes load valid data and never store
  ${rows.map((i) => `var c${i} = vec4<f32>();`).join(' ')}
  ${loop}
  if (q < nq) {
    let n = q * 4u;
    ${rows.map((i) => `if (m0 + ${i}u < p.M) { store(b, m0 + ${i}u, n, c${i}.x); store(b, m0 + ${i}u, n + 1u, c${i}.y); store(b, m0 + ${i}u, n + 2u, c${i}.z); store(b, m0 + ${i}u, n + 3u, c${i}.w); }`).join('\n    ')}
  }
}
`;
}
