// The generalised Hessian kernels of the M4 dual (spec §1.5): `hessian` (tiled, any rows) and `hessian-groups`
// (categorical rows). Launcher: hessian.ts. What they share with the M4 pass kernels is in shared.wgsl.ts.
import { defineKernel } from '../kernel.js';
import { FUSED_WG, type RowSpec } from './moments.wgsl.js';
import {
  baseAndWeight,
  blockSums,
  dualDot,
  FLAG_CONSTANTS,
  groupOf,
  labelOf,
  readLabels,
  rowInputs,
} from './shared.wgsl.js';

export const HESSIAN_WG = 256;
const TILE_FLOATS = 4096; // 16 KiB of workgroup memory, the WebGPU minimum limit

/** The Hessian's parameters: the moments uniforms' row inputs, μ, η and the row stride (sub-sampled Hessian). */
const HESSIAN_PARAMS = {
  mu: 'f32',
  eta: 'f32',
  sBase: 'u32',
  yBase: 'u32',
  uBase: 'u32',
  wBase: 'u32',
  stride: 'u32',
} as const;

// Generalised Hessian (see hessian.ts): each workgroup (256 invocations) owns a block of rows and all
// T = K(K+1)/2 upper-triangle entries: invocation l keeps the entries l, l+256, … (NO = ⌈T/256⌉ registers). Rows
// are staged in tiles of TR rows in workgroup memory as √w_i·z_i (one invocation builds one row's z), then every
// invocation adds its products over the tile. Specialised on (m, c, s, y), so K, TR and NO are compile-time
// constants.
export const hessianKernel = defineKernel({
  name: 'moments:hessian',
  params: { n: 'u32', flags: 'u32', rowsPerBlock: 'u32', T: 'u32', ...HESSIAN_PARAMS },
  constants: FLAG_CONSTANTS,
  source: ({ m, c, s, y }: RowSpec) => {
    const c1 = c + 1;
    // s_k − π_k of row i in the chunk's encoding
    const aOf =
      s !== 'f32'
        ? `${groupOf(s)}
        for (var k = 0u; k < ${m}u; k++) { a[k] = select(0.0, 1.0, g == k) - Dual[${m * c1}u + k]; }`
        : `let sb = p.sBase + i * ${m}u;
        for (var k = 0u; k < ${m}u; k++) { a[k] = S[sb + k] - Dual[${m * c1}u + k]; }`;
    const yb = `p.yBase + i * ${y === 'bits' ? Math.ceil(c / 32) : c}u`;
    const K = m * c1 + 1;
    const T = (K * (K + 1)) / 2;
    const NO = Math.ceil(T / HESSIAN_WG);
    const TR = Math.min(HESSIAN_WG, Math.floor(TILE_FLOATS / K));
    return /* wgsl */ `
${rowInputs(s, y)}
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
        ${aOf}
        ${dualDot({ m, c1: `${c1}u`, c: `${c}u`, yb, y }, '        ')}
        ${baseAndWeight('        ')}
        let qh = q0 - t - p.mu;
        var sw = 0.0;
        if (qh > 0.0 && qh < 1.0) { sw = sqrt(w); }
        for (var k = 0u; k < ${m}u; k++) {
          let f = sw * a[k];
          zt[zo + k * ${c1}u] = f;
          for (var r = 0u; r < ${c}u; r++) { zt[zo + k * ${c1}u + 1u + r] = f * ${labelOf(y, 'r')}; }
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

// ---- generalised Hessian for categorical rows (variant 'moments.hessian' = 'groups') ----------------------------
/** Largest A = m(c+1)(c+2)/2 (per-group label second moments) the groups kernel keeps per invocation. */
export const HESSIAN_GROUPS_MAX = 512;

// With a categorical S (row i in group g_i), z_i = [(e_g − π) ⊗ ỹ_i; 1], ỹ = [1, y], so
//   H = Σ_free w z zᵀ is fixed by the per-group label second moments  M_g = Σ_{free, g_i = g} w_i ỹ_i ỹ_iᵀ
// (m upper triangles of (c+1)², A = m(c+1)(c+2)/2 numbers, against K(K+1)/2 for the tiled kernel) and π: the
// host expands them (foldHessianGroupPartials in hessian.ts). Each invocation walks its block's rows (strided as
// the tiled kernel), decides whether the row is free (0 < q̂ < 1) and adds w ỹ ỹᵀ to its group's triangle: loops
// with compile-time trip counts and invocation-uniform indices, as the fused moments kernel; no workgroup-memory
// tiles. Block sums through workgroup memory (Kahan), blocks in float64 on the host.
export const hessianGroupsKernel = defineKernel({
  name: 'moments:hessian-groups',
  params: { n: 'u32', flags: 'u32', rowsPerBlock: 'u32', ...HESSIAN_PARAMS },
  constants: FLAG_CONSTANTS,
  source: ({ m, c, s, y }: RowSpec) => {
    const c1 = c + 1;
    const E = (c1 * (c1 + 1)) / 2;
    const A = m * E;
    const sums = blockSums(FUSED_WG, A, 'A', (j) => `acc[${j}]`);
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
${rowInputs(s, y)}
@group(0) @binding(6) var<storage, read_write> Part: array<f32>; // [blocks, A]
const A = ${A}u;
${sums.decls}
var<private> acc: array<f32, ${A}>;
var<private> yv: array<f32, ${c1}>;
${sums.column}
@compute @workgroup_size(${FUSED_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) l: u32) {
  let j1 = min((wg.x + 1u) * p.rowsPerBlock, p.n);
  yv[0] = 1.0;
  for (var j = wg.x * p.rowsPerBlock + l; j < j1; j += ${FUSED_WG}u) {
    let i = j * p.stride;
    ${groupOf(s)}
    ${readLabels(y, c, '1u + ')}
    var t = 0.0;
    for (var k = 0u; k < ${m}u; k++) {
      var dot = 0.0;
      for (var r = 0u; r < ${c1}u; r++) { dot = fma(yv[r], Dual[k * ${c1}u + r], dot); }
      t = fma(select(0.0, 1.0, g == k) - Dual[${m * c1}u + k], dot, t);
    }
    ${baseAndWeight('    ')}
    let qh = q0 - t - p.mu;
    let wf = select(0.0, w, qh > 0.0 && qh < 1.0);
${accumulate}
  }
${sums.tail}
}
`;
  },
});
