// WGSL for the BA bank loss (spec §2.4; semantics in reference.ts). The launcher (debias-loss.ts) forms the
// logits one bank tile at a time, S = X·tileᵀ ([B·R, Tc], matmul), and runs these kernels on each tile; the
// B × N logits never exist at once.
//
// Stat (f32, STAT_STRIDE per batch row i), the online state over the tiles seen so far:
//   [0, 8)  running max M_r of row r (r 0..3 = image-bank rows zI0..zI3, 4..7 = text-bank rows zT0..zT3)
//   [8, 16) running Σ_j exp(z_rj − M_r)
//   16      running A = Σ_j exp(zT0_j − M_4) ((zT0_j − M_4) − (zI0_j − M_0))  (KL numerator, shifted)
//   17, 18  Σ over tiles of the row's i2t and t2i cross-entropy (sweep 2)
// Final: lse_r = M_r + log S_r and KL = A/S_4 − log S_4 + log S_0 (no cancellation between two big lse).
//
// Sweep 1 (stats): per tile, the tile max per row first, then sums shifted by the new running max, so every
// exp() argument is ≤ 0 (large logits cannot overflow); the running sums are rescaled by exp(M_old − M_new).
// Sweep 2 (grad): G rows = ∂L/∂z / τ for rows 0 and 1 of each item ([B·2, Tc] per bank), then dX += G·tile.
// WGSL lets implementations assume no Inf/NaN: maxes start at -3e38, not -inf.
// Tiles of the bank are transposed and the partial gradients summed by the shared ops/transpose kernels.
import { defineKernel } from '../kernel.js';

export const WG = 128;
export const STAT_STRIDE = 20;

const common = /* wgsl */ `
const NEG_BIG: f32 = -3.0e38;
@group(0) @binding(1) var<storage, read> SI: array<f32>;
@group(0) @binding(2) var<storage, read> ST: array<f32>;
// logit r (0..7) of item i at tile column j
fn z(i: u32, r: u32, j: u32) -> f32 {
  let k = min(r & 3u, p.R - 1u);
  let o = (i * p.R + k) * p.cols + j;
  if (r < 4u) { return SI[o] * p.invTau; }
  return ST[o] * p.invTau;
}
fn zrows(i: u32, j: u32) -> array<f32, 8> {
  var v: array<f32, 8>;
  for (var r = 0u; r < 8u; r++) { v[r] = z(i, r, j); }
  return v;
}
`;

/** Sweep 1, workgroup per item: merge this tile's per-row max / Σexp / KL numerator into Stat. */
const params = {
  B: 'u32',
  R: 'u32',
  cols: 'u32',
  first: 'u32',
  invTau: 'f32',
  sBa: 'f32',
  sCd: 'f32',
  mix: 'f32',
} as const;

export const statsKernel = defineKernel({
  name: 'debiasLoss:stats',
  params,
  constants: { STAT_STRIDE },
  source: () => /* wgsl */ `
${common}
@group(0) @binding(3) var<storage, read_write> Stat: array<f32>;
var<workgroup> ra: array<vec4f, ${WG}>;
var<workgroup> rb: array<vec4f, ${WG}>;
var<workgroup> rc: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let i = wg.x;
  let t = l.x;
  let so = i * STAT_STRIDE;
  var mI = vec4f(NEG_BIG);
  var mT = vec4f(NEG_BIG);
  for (var j = t; j < p.cols; j += ${WG}u) {
    let v = zrows(i, j);
    mI = max(mI, vec4f(v[0], v[1], v[2], v[3]));
    mT = max(mT, vec4f(v[4], v[5], v[6], v[7]));
  }
  ra[t] = mI;
  rb[t] = mT;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (t < k) { ra[t] = max(ra[t], ra[t + k]); rb[t] = max(rb[t], rb[t + k]); }
    workgroupBarrier();
  }
  var oI = vec4f(NEG_BIG);
  var oT = vec4f(NEG_BIG);
  if (p.first == 0u) {
    oI = vec4f(Stat[so], Stat[so + 1u], Stat[so + 2u], Stat[so + 3u]);
    oT = vec4f(Stat[so + 4u], Stat[so + 5u], Stat[so + 6u], Stat[so + 7u]);
  }
  let nI = max(oI, ra[0]);
  let nT = max(oT, rb[0]);
  workgroupBarrier();
  var sI = vec4f(0.0);
  var sT = vec4f(0.0);
  var a = 0.0;
  for (var j = t; j < p.cols; j += ${WG}u) {
    let v = zrows(i, j);
    let dI = vec4f(v[0], v[1], v[2], v[3]) - nI;
    let dT = vec4f(v[4], v[5], v[6], v[7]) - nT;
    let eI = exp(dI);
    let eT = exp(dT);
    sI += eI;
    sT += eT;
    a += eT.x * (dT.x - dI.x);
  }
  ra[t] = sI;
  rb[t] = sT;
  rc[t] = a;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (t < k) { ra[t] += ra[t + k]; rb[t] += rb[t + k]; rc[t] += rc[t + k]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    var SI0 = ra[0];
    var ST0 = rb[0];
    var A = rc[0];
    if (p.first == 0u) {
      let sIo = vec4f(Stat[so + 8u], Stat[so + 9u], Stat[so + 10u], Stat[so + 11u]);
      let sTo = vec4f(Stat[so + 12u], Stat[so + 13u], Stat[so + 14u], Stat[so + 15u]);
      let fI = exp(oI - nI);
      let fT = exp(oT - nT);
      // old terms re-shifted: (z − M_new) = (z − M_old) + (M_old − M_new) on each side
      A += fT.x * (Stat[so + 16u] + sTo.x * ((oT.x - nT.x) - (oI.x - nI.x)));
      SI0 += sIo * fI;
      ST0 += sTo * fT;
    }
    for (var r = 0u; r < 4u; r++) {
      Stat[so + r] = nI[r];
      Stat[so + 4u + r] = nT[r];
      Stat[so + 8u + r] = SI0[r];
      Stat[so + 12u + r] = ST0[r];
    }
    Stat[so + 16u] = A;
    if (p.first != 0u) { Stat[so + 17u] = 0.0; Stat[so + 18u] = 0.0; }
  }
}
`,
});

/** Sweep 2, workgroup per item: ∂L/∂z / τ for rows 0, 1 into GI, GT ([B·2, cols]); adds the tile's CE to Stat. */
export const gradKernel = defineKernel({
  name: 'debiasLoss:grad',
  params,
  constants: { STAT_STRIDE },
  source: () => /* wgsl */ `
${common}
@group(0) @binding(3) var<storage, read_write> Stat: array<f32>;
@group(0) @binding(4) var<storage, read_write> GI: array<f32>;
@group(0) @binding(5) var<storage, read_write> GT: array<f32>;
var<workgroup> red: array<vec2f, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let i = wg.x;
  let t = l.x;
  let so = i * STAT_STRIDE;
  var L: array<f32, 8>;
  for (var r = 0u; r < 8u; r++) { L[r] = Stat[so + r] + log(Stat[so + 8u + r]); }
  let kl = Stat[so + 16u] / Stat[so + 12u] - log(Stat[so + 12u]) + log(Stat[so + 8u]);
  let useM = p.mix > 0.0;
  var ce = vec2f(0.0);
  let g0 = (2u * i) * p.cols;
  let g1 = g0 + p.cols;
  for (var j = t; j < p.cols; j += ${WG}u) {
    let v = zrows(i, j);
    var yT = (1.0 - p.mix) * exp(min(v[2] - L[2], 0.0));
    var yI = (1.0 - p.mix) * exp(min(v[6] - L[6], 0.0));
    if (useM) {
      yT += p.mix * exp(min(v[3] - L[3], 0.0));
      yI += p.mix * exp(min(v[7] - L[7], 0.0));
    }
    let lpI = v[0] - L[0];
    let lpT = v[4] - L[4];
    let lpt2i = v[1] - L[1];
    let lpi2t = v[5] - L[5];
    ce -= vec2f(yI * lpi2t, yT * lpt2i);
    let pT = exp(min(lpT, 0.0));
    GI[g0 + j] = p.invTau * p.sBa * (exp(min(lpI, 0.0)) - pT);
    GT[g0 + j] = p.invTau * p.sBa * pT * (lpT - lpI - kl);
    GT[g1 + j] = p.invTau * p.sCd * (exp(min(lpi2t, 0.0)) - yI);
    GI[g1 + j] = p.invTau * p.sCd * (exp(min(lpt2i, 0.0)) - yT);
  }
  red[t] = ce;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (t < k) { red[t] += red[t + k]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    Stat[so + 17u] += red[0].x;
    Stat[so + 18u] += red[0].y;
  }
}
`,
});
