import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, shapeStr, uniforms } from '../common.js';
import { adamwHyper, CLIP_NORM_EPS, type AdamWHyper } from './reference.js';

// AdamW over flat parameter tensors and global gradient-norm clipping, all on the device so a training
// step needs no host round trip: clipGradNorm leaves its scale in a [1] tensor that adamw can consume.
// Definitions (and float64 references) in reference.ts.

const WG = 256;
/** elements per workgroup in the sum-of-squares pass */
const PER_WG = WG * 16;

const isFinite = `fn isFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

const adamwSource = /* wgsl */ `
struct Params {
  n: u32, width: u32, pBase: u32, gBase: u32, mBase: u32, vBase: u32, hasScale: u32, p0: u32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, decay: f32, bc1: f32, bc2: f32, p1: f32,
};
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> M: array<f32>;
@group(0) @binding(4) var<storage, read_write> V: array<f32>;
@group(0) @binding(5) var<storage, read> Scale: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.width + gid.x;
  if (i >= p.n) { return; }
  var g = G[p.gBase + i];
  if (p.hasScale != 0u) { let s = Scale[0]; g = select(g * s, 0.0, s == 0.0); }
  let m = fma(p.beta1, M[p.mBase + i], (1.0 - p.beta1) * g);
  let v = fma(p.beta2, V[p.vBase + i], (1.0 - p.beta2) * g * g);
  let w = P[p.pBase + i] * p.decay;
  P[p.pBase + i] = w - p.lr * (m / p.bc1) / (sqrt(v / p.bc2) + p.eps);
  M[p.mBase + i] = m;
  V[p.vBase + i] = v;
}
`;

const sumSquaresSource = /* wgsl */ `
struct Params { n: u32, base: u32, out: u32, p0: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> Part: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let blk = wg.y * ${MAX_WG}u + wg.x;
  let i0 = blk * ${PER_WG}u;
  var s = 0.0;
  for (var k = 0u; k < ${PER_WG / WG}u; k++) {
    let i = i0 + k * ${WG}u + l.x;
    if (i < p.n) { let g = G[p.base + i]; s = fma(g, g, s); }
  }
  red[l.x] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u && i0 < p.n) { Part[p.out + blk] = red[0]; }
}
`;

const normFinalSource = /* wgsl */ `
${isFinite}
struct Params { parts: u32, maxNorm: f32, eps: f32, p0: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Part: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) l: vec3u) {
  var s = 0.0;
  for (var i = l.x; i < p.parts; i += ${WG}u) { s += Part[i]; }
  red[l.x] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (l.x < k) { red[l.x] += red[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u) {
    let norm = sqrt(red[0]);
    var scale = 0.0;
    if (isFinite(red[0])) { scale = min(1.0, p.maxNorm / (norm + p.eps)); }
    Out[0] = norm;
    Out[1] = scale;
  }
}
`;

const scaleSource = /* wgsl */ `
struct Params { n: u32, width: u32, base: u32, p0: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;
@group(0) @binding(2) var<storage, read> Out: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.width + gid.x;
  if (i >= p.n) { return; }
  let s = Out[1];
  G[p.base + i] = select(G[p.base + i] * s, 0.0, s == 0.0);
}
`;

/** Element chunks [start, count) whose bindings stay within the context's limit. */
function chunks(ctx: GpuContext, n: number): [number, number][] {
  const per = Math.max(WG, Math.floor((ctx.maxBindingSize / 4 - 64) / WG) * WG);
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += per) out.push([s, Math.min(per, n - s)]);
  return out;
}

function grid2(count: number): { width: number; wg: [number, number] } {
  const x = Math.min(ceilDiv(count, WG), MAX_WG);
  return { width: x * WG, wg: [x, ceilDiv(count, x * WG)] };
}

export interface AdamWOptions extends AdamWHyper {
  /** multiply the gradients by this [1] tensor first (e.g. `clipGradNorm(...).scale`); 0 zeroes them */
  gradScale?: GpuTensor;
}

/**
 * One AdamW step (decoupled weight decay, bias correction; PyTorch semantics), in place on `params`, `m`, `v`
 * (flat f32 tensors of equal size; `m`, `v` start at zero). `step` counts from 1.
 */
export function adamw(ctx: GpuContext, params: GpuTensor, grads: GpuTensor, m: GpuTensor, v: GpuTensor, step: number, hp: AdamWOptions): void {
  const op = 'adamw';
  const h = adamwHyper(hp, op);
  const n = params.size;
  for (const [name, t] of Object.entries({ grads, m, v })) {
    if (t.size !== n) throw new ShapeError(`${op}: ${name} ${shapeStr(t.shape)} must have as many elements as params ${shapeStr(params.shape)}`);
  }
  for (const t of [params, grads, m, v]) if (t.dtype !== 'f32') throw new ArgumentError(`${op}: tensors must be f32`);
  if (new Set([params.buffer, grads.buffer, m.buffer, v.buffer]).size !== 4) throw new ArgumentError(`${op}: params, grads, m and v must be distinct buffers`);
  if (!(Number.isInteger(step) && step >= 1)) throw new ArgumentError(`${op}: step = ${step} must be an integer ≥ 1`);
  if (hp.gradScale && hp.gradScale.size < 1) throw new ShapeError(`${op}: gradScale must hold one element`);
  if (n === 0) return;
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  const pipeline = ctx.pipeline('optim:adamw', () => adamwSource);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const scaleRes = hp.gradScale ? bindRange(hp.gradScale, 0, 1).resource : bindRange(grads, 0, 1).resource;
  for (const [s0, cnt] of chunks(ctx, n)) {
    const rp = bindRange(params, s0, cnt);
    const rg = bindRange(grads, s0, cnt);
    const rm = bindRange(m, s0, cnt);
    const rv = bindRange(v, s0, cnt);
    const g = grid2(cnt);
    const u = ctx.uniform(
      uniforms([
        { u: cnt }, { u: g.width }, { u: rp.base }, { u: rg.base }, { u: rm.base }, { u: rv.base }, { u: hp.gradScale ? 1 : 0 }, { u: 0 },
        { f: h.lr }, { f: h.beta1 }, { f: h.beta2 }, { f: h.eps }, { f: 1 - h.lr * h.weightDecay }, { f: bc1 }, { f: bc2 }, { f: 0 },
      ]),
    );
    temps.push(u);
    ds.push({ op, pipeline, bindings: [{ buffer: u }, rp.resource, rg.resource, rm.resource, rv.resource, scaleRes], workgroups: g.wg });
  }
  ctx.submit(op, ds, temps);
}

export interface ClipGradNormResult {
  /** [1] global L2 norm before clipping */
  norm: GpuTensor;
  /** [1] the factor applied: min(1, maxNorm / (norm + 1e-6)); 0 when the norm is not finite */
  scale: GpuTensor;
}

/**
 * Global gradient-norm clipping over a set of f32 tensors (PyTorch `clip_grad_norm_`): scales every tensor in
 * place and returns the norm and the factor as device tensors (no read-back).
 */
export function clipGradNorm(ctx: GpuContext, grads: GpuTensor[], maxNorm: number): ClipGradNormResult {
  const op = 'clipGradNorm';
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) throw new ArgumentError(`${op}: maxNorm = ${maxNorm} must be finite and > 0`);
  for (const g of grads) if (g.dtype !== 'f32') throw new ArgumentError(`${op}: gradients must be f32`);
  if (new Set(grads.map((g) => g.buffer)).size !== grads.length) throw new ArgumentError(`${op}: gradient tensors must be distinct buffers`);
  const plan: { g: GpuTensor; s0: number; cnt: number; out: number; blocks: number }[] = [];
  let parts = 0;
  for (const g of grads) {
    for (const [s0, cnt] of chunks(ctx, g.size)) {
      const blocks = ceilDiv(cnt, PER_WG);
      plan.push({ g, s0, cnt, out: parts, blocks });
      parts += blocks;
    }
  }
  const part = ctx.zeros([Math.max(1, parts)]);
  const res = ctx.empty([2]);
  const temps: GPUBuffer[] = [];
  const ds: DispatchSpec[] = [];
  const pSum = ctx.pipeline('optim:sumsq', () => sumSquaresSource);
  for (const c of plan) {
    const r = bindRange(c.g, c.s0, c.cnt);
    const u = ctx.uniform(uniforms([{ u: c.cnt }, { u: r.base }, { u: c.out }, { u: 0 }]));
    temps.push(u);
    ds.push({ op: `${op}.sumsq`, pipeline: pSum, bindings: [{ buffer: u }, r.resource, bindRange(part).resource], workgroups: [Math.min(c.blocks, MAX_WG), ceilDiv(c.blocks, MAX_WG)] });
  }
  const uf = ctx.uniform(uniforms([{ u: parts }, { f: maxNorm }, { f: CLIP_NORM_EPS }, { u: 0 }]));
  temps.push(uf);
  ds.push({ op: `${op}.final`, pipeline: ctx.pipeline('optim:normfinal', () => normFinalSource), bindings: [{ buffer: uf }, bindRange(part).resource, bindRange(res).resource], workgroups: [1] });
  const pScale = ctx.pipeline('optim:scale', () => scaleSource);
  for (const c of plan) {
    const r = bindRange(c.g, c.s0, c.cnt);
    const g = grid2(c.cnt);
    const u = ctx.uniform(uniforms([{ u: c.cnt }, { u: g.width }, { u: r.base }, { u: 0 }]));
    temps.push(u);
    ds.push({ op: `${op}.scale`, pipeline: pScale, bindings: [{ buffer: u }, r.resource, bindRange(res).resource], workgroups: g.wg });
  }
  ctx.submit(op, ds, temps);
  part.dispose();
  const norm = ctx.empty([1]);
  const scale = ctx.empty([1]);
  ctx.submit(`${op}.outputs`, [], [], (enc) => {
    enc.copyBufferToBuffer(res.buffer, 0, norm.buffer, 0, 4);
    enc.copyBufferToBuffer(res.buffer, 4, scale.buffer, 0, 4);
  });
  res.dispose();
  return { norm, scale };
}
