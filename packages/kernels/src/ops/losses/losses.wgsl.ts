import { defineKernel } from '../kernel.js';
import { isFiniteWgsl } from '../wgsl.js';

// WGSL for the contrastive losses (spec §3). The launcher in losses.ts strip-mines the N×N logit matrix in
// row blocks S_b = X_b Yᵀ (B×N, from matmul) and runs these kernels on each block.
//
// Aux (f32, 12·N) holds per-row / per-column vectors at offsets k·N:
//   0 r_i = lse_j Z_ij           1 1 − R_ii (off-diagonal row softmax mass)   2 ω_i (r_i − Z_ii)  (SigLIP: ω_i Σ_j softplus)
//   3 Z_ii                       4 row share of Σ ∂L/∂Z ⊙ Z (CLIP) / Σ ∂L/∂Z ⊙ S (SigLIP)    5 row share of Σ ∂L/∂Z (SigLIP)
//   6 running column max M_j     7 (unused)     8 running off-diagonal column Σ exp(Z − M_j), then 1 − C_jj
//   9 c_j = lse_i Z_ij          10 ω_j (c_j − Z_jj)
// Sc (f32, 8): 0 τ, 1 b, 2 1/Σω, 3 ∂τ/∂t (τ, or 0 when the clamp is active).
// Status (u32, 4): 0 flags (1 zero/non-finite embedding row, 2 bad weights, 4 bad t/b, 8 non-finite loss or
//   scalar gradient, 16 non-finite dU/dW), 1 first bad row of U, 2 first bad row of W.
//
// WGSL lets implementations assume no Inf/NaN, so finiteness is tested on the bits and every exp() gets a
// non-positive argument (or one below 20); the column max starts at -3e38, not -inf.

export const WG = 64;
export const WG_SMALL = 256;

/** status-word flag bits (word 0), shared with the WGSL as STATUS_<NAME> constants */
export const STATUS = { ROW: 1, WEIGHTS: 2, SCALARS: 4, NONFINITE: 8, GRAD: 16 } as const;
const STATUS_CONSTANTS = Object.fromEntries(Object.entries(STATUS).map(([k, v]) => [`STATUS_${k}`, v]));
/** `kind` uniform of the finalize kernel */
export const LOSS_KIND = { clip: 0, siglip: 1 } as const;

const helpers = /* wgsl */ `
const NEG_BIG: f32 = -3.0e38;
${isFiniteWgsl}
// log(1 + x), x ≥ 0: series below 0.05 (no reliance on (1 + x) − 1 surviving the compiler)
fn log1pPos(x: f32) -> f32 {
  if (x < 0.05) { return x * (1.0 - x * (0.5 - x * (0.33333334 - x * (0.25 - x * (0.2 - x * (0.16666667 - x * 0.14285715)))))); }
  return log(1.0 + x);
}
// log(e^{-a} + s) + a = log(1 + s e^{a}) for a ≥ 0, s ≥ 0: the row term lse − Z_ii without cancellation
fn lseTerm(s: f32, a: f32) -> f32 {
  if (a < 20.0) { return log1pPos(s * exp(a)); }
  return a + log(s + exp(-a));
}
fn softplus(a: f32) -> f32 { return max(a, 0.0) + log1pPos(exp(-abs(a))); }
fn sigmoid(a: f32) -> f32 {
  if (a >= 0.0) { return 1.0 / (1.0 + exp(-a)); }
  let e = exp(a);
  return e / (1.0 + e);
}
`;

/** One workgroup: Σω and weight checks, τ from t (clamped), b; writes Sc. */
export const prepKernel = defineKernel({
  name: 'losses:prep',
  params: { n: 'u32', hasW: 'u32', maxLog: 'f32', wBase: 'u32' },
  constants: STATUS_CONSTANTS,
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read> In: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> Sc: array<f32>;
@group(0) @binding(4) var<storage, read_write> St: array<atomic<u32>>;
var<workgroup> red: array<f32, ${WG_SMALL}>;
var<workgroup> badW: atomic<u32>;
@compute @workgroup_size(${WG_SMALL})
fn main(@builtin(local_invocation_id) l: vec3u) {
  var s = 0.0;
  if (p.hasW != 0u) {
    for (var i = l.x; i < p.n; i += ${WG_SMALL}u) {
      let w = Wt[p.wBase + i];
      if (!isFinite(w) || w < 0.0) { atomicOr(&badW, 1u); } else { s += w; }
    }
  } else if (l.x == 0u) { s = f32(p.n); }
  red[l.x] = s;
  workgroupBarrier();
  for (var k = ${WG_SMALL / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  let bad = atomicLoad(&badW);
  if (l.x == 0u) {
    let sw = red[0];
    var inv = 0.0;
    if (bad != 0u || !(sw > 0.0) || !isFinite(sw)) { atomicOr(&St[0], STATUS_WEIGHTS); } else { inv = 1.0 / sw; }
    let t = In[0];
    let b = In[1];
    var tau = 1.0;
    var dtau = 0.0;
    var bb = 0.0;
    if (!isFinite(t) || !isFinite(b)) {
      atomicOr(&St[0], STATUS_SCALARS);
    } else {
      tau = exp(min(t, p.maxLog));
      if (!isFinite(tau)) { atomicOr(&St[0], STATUS_SCALARS); tau = 1.0; }
      dtau = select(0.0, tau, t <= p.maxLog);
      bb = b;
    }
    Sc[0] = tau;
    Sc[1] = bb;
    Sc[2] = inv;
    Sc[3] = dtau;
  }
}
`,
});

/** Thread per row: flag rows that are not unit-norm (mode 0: zero/non-finite input) or hold non-finite values. */
export const rowCheckKernel = defineKernel({
  name: 'losses:rowcheck',
  params: { rows: 'u32', cols: 'u32', base: 'u32', mode: 'u32', bit: 'u32', slot: 'u32', row0: 'u32' },
  constants: STATUS_CONSTANTS,
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> St: array<atomic<u32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r = g.x;
  if (r >= p.rows) { return; }
  var bad = false;
  var ss = 0.0;
  let o = p.base + r * p.cols;
  for (var c = 0u; c < p.cols; c++) {
    let x = X[o + c];
    if (!isFinite(x)) { bad = true; } else { ss = fma(x, x, ss); }
  }
  if (p.mode == 0u && !(ss > 0.25)) { bad = true; }
  if (bad) {
    atomicOr(&St[0], p.bit);
    if (p.slot > 0u) { atomicMin(&St[p.slot], p.row0 + r); }
  }
}
`,
});

/** CLIP, sweep 1, workgroup per block row: row max, off-diagonal Σexp, r_i, 1 − R_ii, row loss term, Z_ii. */
export const clipRowStatsKernel = defineKernel({
  name: 'clip:rowstats',
  params: { B: 'u32', n: 'u32', i0: 'u32', hasW: 'u32', wBase: 'u32' },
  constants: STATUS_CONSTANTS,
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Sc: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read_write> Aux: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = wg.x;
  let n = p.n;
  let i = p.i0 + r;
  let o = r * n;
  let tau = Sc[0];
  var m = NEG_BIG;
  for (var j = l.x; j < n; j += ${WG}u) { m = max(m, tau * S[o + j]); }
  red[l.x] = m;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] = max(red[l.x], red[l.x + k]); }
    workgroupBarrier();
  }
  m = red[0];
  workgroupBarrier();
  var acc = 0.0;
  for (var j = l.x; j < n; j += ${WG}u) {
    if (j != i) { acc += exp(tau * S[o + j] - m); }
  }
  red[l.x] = acc;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u) {
    let soff = red[0];
    let zii = tau * S[o + i];
    let a = max(m - zii, 0.0);
    let tot = soff + exp(-a);
    var w = 1.0;
    if (p.hasW != 0u) { w = Wt[p.wBase + i]; }
    Aux[i] = m + log(tot);
    Aux[n + i] = soff / tot;
    Aux[2u * n + i] = w * lseTerm(soff, a);
    Aux[3u * n + i] = zii;
  }
}
`,
});

/** CLIP, sweep 1, thread per column: merge the block's column max / off-diagonal Σexp into the running pair. */
export const clipColStatsKernel = defineKernel({
  name: 'clip:colstats',
  params: { B: 'u32', n: 'u32', i0: 'u32', first: 'u32' },
  constants: STATUS_CONSTANTS,
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Sc: array<f32>;
@group(0) @binding(3) var<storage, read_write> Aux: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x;
  let n = p.n;
  if (j >= n) { return; }
  let tau = Sc[0];
  var mb = NEG_BIG;
  for (var r = 0u; r < p.B; r++) { mb = max(mb, tau * S[r * n + j]); }
  var sb = 0.0;
  for (var r = 0u; r < p.B; r++) {
    if (p.i0 + r != j) { sb += exp(tau * S[r * n + j] - mb); }
  }
  var M = NEG_BIG;
  var so = 0.0;
  if (p.first == 0u) { M = Aux[6u * n + j]; so = Aux[8u * n + j]; }
  let M2 = max(M, mb);
  Aux[8u * n + j] = so * exp(M - M2) + sb * exp(mb - M2);
  Aux[6u * n + j] = M2;
}
`,
});

/** CLIP, between sweeps, thread per column: c_j, 1 − C_jj, column loss term. */
export const clipColFinalKernel = defineKernel({
  name: 'clip:colfinal',
  params: { n: 'u32', hasW: 'u32', wBase: 'u32' },
  constants: STATUS_CONSTANTS,
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> Aux: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x;
  let n = p.n;
  if (j >= n) { return; }
  let M = Aux[6u * n + j];
  let so = Aux[8u * n + j];
  let zjj = Aux[3u * n + j];
  let a = max(M - zjj, 0.0);
  let tot = so + exp(-a);
  var w = 1.0;
  if (p.hasW != 0u) { w = Wt[p.wBase + j]; }
  Aux[9u * n + j] = M + log(tot);
  Aux[8u * n + j] = so / tot;
  Aux[10u * n + j] = w * lseTerm(so, a);
}
`,
});

/**
 * CLIP, sweep 2, workgroup per block row: S_b ← ∂L/∂S = τ [ω_i (R − I) + ω_j (C − I)] / (2Σω) in place, and the
 * row's share of Σ ∂L/∂Z ⊙ Z = Σ_{j≠i} ω_i R_ij (Z_ij − Z_ii) + ω_j C_ij (Z_ij − Z_jj) (uses Σ_j R_ij = 1).
 */
export const clipGradKernel = defineKernel({
  name: 'clip:grad',
  params: { B: 'u32', n: 'u32', i0: 'u32', hasW: 'u32', wBase: 'u32' },
  constants: STATUS_CONSTANTS,
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read> Sc: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read_write> Aux: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
fn weight(i: u32) -> f32 { if (p.hasW != 0u) { return Wt[p.wBase + i]; } return 1.0; }
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = wg.x;
  let n = p.n;
  let i = p.i0 + r;
  let o = r * n;
  let tau = Sc[0];
  let half = 0.5 * Sc[2];
  let wi = weight(i);
  let ri = Aux[i];
  let offi = Aux[n + i];
  let zii = Aux[3u * n + i];
  var acc = 0.0;
  for (var j = l.x; j < n; j += ${WG}u) {
    let z = tau * S[o + j];
    let wj = weight(j);
    var gz = 0.0;
    if (j == i) {
      gz = -(wi * offi + wj * Aux[8u * n + j]);
    } else {
      let R = exp(min(z - ri, 0.0));
      let C = exp(min(z - Aux[9u * n + j], 0.0));
      gz = wi * R + wj * C;
      acc += wi * R * (z - zii) + wj * C * (z - Aux[3u * n + j]);
    }
    S[o + j] = tau * half * gz;
  }
  red[l.x] = acc;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { Aux[4u * n + i] = half * red[0]; }
}
`,
});

/**
 * SigLIP, one sweep, workgroup per block row: row loss ω_i Σ_j softplus(−z_ij Z_ij), S_b ← ∂L/∂S in place,
 * row shares of Σ ∂L/∂Z ⊙ S and Σ ∂L/∂Z.
 */
export const siglipGradKernel = defineKernel({
  name: 'siglip:grad',
  params: { B: 'u32', n: 'u32', i0: 'u32', hasW: 'u32', wBase: 'u32' },
  constants: STATUS_CONSTANTS,
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read> Sc: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read_write> Aux: array<f32>;
var<workgroup> red: array<vec3f, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = wg.x;
  let n = p.n;
  let i = p.i0 + r;
  let o = r * n;
  let tau = Sc[0];
  let b = Sc[1];
  var wi = 1.0;
  if (p.hasW != 0u) { wi = Wt[p.wBase + i]; }
  let gs = tau * wi * Sc[2];
  var acc = vec3f(0.0);
  for (var j = l.x; j < n; j += ${WG}u) {
    let s = S[o + j];
    let z = fma(tau, s, b);
    let sg = select(-1.0, 1.0, j == i);
    let gz = -sg * sigmoid(-sg * z);  // σ(Z) − δ
    acc += vec3f(softplus(-sg * z), gz * s, gz);
    S[o + j] = gs * gz;
  }
  red[l.x] = acc;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u) {
    let f = wi * Sc[2];
    Aux[2u * n + i] = wi * red[0].x;
    Aux[4u * n + i] = f * red[0].y;
    Aux[5u * n + i] = f * red[0].z;
  }
}
`,
});

/** One workgroup: loss, ∂L/∂t, ∂L/∂b from the per-row / per-column shares; flags non-finite results. */
export const finalizeKernel = defineKernel({
  name: 'losses:finalize',
  params: { n: 'u32', kind: 'u32' },
  constants: { ...STATUS_CONSTANTS, KIND_CLIP: LOSS_KIND.clip, KIND_SIGLIP: LOSS_KIND.siglip },
  source: () => /* wgsl */ `
${helpers}
@group(0) @binding(1) var<storage, read> Sc: array<f32>;
@group(0) @binding(2) var<storage, read> Aux: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;
@group(0) @binding(4) var<storage, read_write> St: array<atomic<u32>>;
var<workgroup> red: array<vec3f, ${WG_SMALL}>;
@compute @workgroup_size(${WG_SMALL})
fn main(@builtin(local_invocation_id) l: vec3u) {
  let n = p.n;
  var acc = vec3f(0.0);
  for (var i = l.x; i < n; i += ${WG_SMALL}u) {
    var lt = Aux[2u * n + i];
    if (p.kind == KIND_CLIP) { lt += Aux[10u * n + i]; }
    var bt = 0.0;
    if (p.kind == KIND_SIGLIP) { bt = Aux[5u * n + i]; }
    acc += vec3f(lt, Aux[4u * n + i], bt);
  }
  red[l.x] = acc;
  workgroupBarrier();
  for (var k = ${WG_SMALL / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u) {
    let tau = Sc[0];
    let inv = Sc[2];
    let dtau = Sc[3];
    var loss = 0.0;
    var dt = 0.0;
    var db = 0.0;
    if (p.kind == KIND_CLIP) {
      loss = 0.5 * inv * red[0].x;
      dt = (dtau / tau) * red[0].y;
    } else {
      loss = inv * red[0].x;
      dt = dtau * red[0].y;
      db = red[0].z;
    }
    if (!isFinite(loss) || !isFinite(dt) || !isFinite(db)) { atomicOr(&St[0], STATUS_NONFINITE); }
    Out[0] = loss;
    Out[1] = dt;
    Out[2] = db;
    Out[3] = 0.0;
  }
}
`,
});
