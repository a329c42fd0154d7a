import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';
import { GELU_A, GELU_C, type Activation } from './reference.js';

// Projection-head kernels for training (definitions and float64 references in reference.ts):
//  - biasAct: Y = act(X + b) (bias broadcast over rows; act none | gelu, tanh form)
//  - biasActBackward: dZ = dY ⊙ act′(X + b) and the bias gradient db = Σ_rows dZ, fused: each workgroup owns
//    64 columns × RB rows (consecutive threads read consecutive columns), writes dZ and one partial column
//    sum per row block; a second pass folds the partials in a fixed order (deterministic, no atomics).
//  - gatherRows: Y[i] = X[idx[i]] (a minibatch from device-resident features).
// Shapes travel in uniforms; one pipeline per kernel whatever the shapes.

const WG = 256;
const CW = 64;
const RB = 32;
const PER_ROW = WG * 1024;

const gelu = /* wgsl */ `
const GELU_C: f32 = ${GELU_C};
const GELU_A: f32 = ${GELU_A};
// gelu(z) = ½z(1 + tanh u) = z·σ(2u); σ from e = exp(−2|u|) ∈ (0, 1] so neither tail cancels or overflows
fn sig2(u: f32) -> vec2f {
  let e = exp(-2.0 * abs(u));
  let r = 1.0 / (1.0 + e);
  return select(vec2f(e * r, r), vec2f(r, e * r), u >= 0.0); // (σ(2u), 1 − σ(2u))
}
fn geluU(z: f32) -> f32 { return GELU_C * (z + GELU_A * z * z * z); }
fn gelu(z: f32) -> f32 { return z * sig2(geluU(z)).x; }
fn geluGrad(z: f32) -> f32 {
  let s = sig2(geluU(z));
  // the tail term vanishes when 1 − σ underflows (also keeps 0·∞ out for |z| near f32 max)
  let tail = select(z * s.x * s.y * 2.0 * GELU_C * (1.0 + 3.0 * GELU_A * z * z), 0.0, s.y == 0.0 || s.x == 0.0);
  return s.x + tail;
}
`;

const biasActSource = /* wgsl */ `
${gelu}
struct Params { n: u32, cols: u32, xBase: u32, yBase: u32, bBase: u32, act: u32, width: u32, p0: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  let z = X[p.xBase + i] + B[p.bBase + i % p.cols];
  Y[p.yBase + i] = select(z, gelu(z), p.act == 1u);
}
`;

const backwardSource = /* wgsl */ `
${gelu}
struct Params { rows: u32, cols: u32, dyBase: u32, xBase: u32, dxBase: u32, bBase: u32, act: u32, writeDx: u32, blk0: u32, p0: u32, p1: u32, p2: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
@group(0) @binding(5) var<storage, read_write> Part: array<f32>;
@compute @workgroup_size(${CW})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let j = wg.x * ${CW}u + l.x;
  if (j >= p.cols) { return; }
  let r0 = wg.y * ${RB}u;
  let r1 = min(r0 + ${RB}u, p.rows);
  var s = 0.0;
  var bj = 0.0;
  if (p.act == 1u) { bj = B[p.bBase + j]; }
  for (var r = r0; r < r1; r++) {
    let k = r * p.cols + j;
    var gv = DY[p.dyBase + k];
    if (p.act == 1u) { gv = gv * geluGrad(X[p.xBase + k] + bj); }
    if (p.writeDx != 0u) { DX[p.dxBase + k] = gv; }
    s += gv;
  }
  Part[(p.blk0 + wg.y) * p.cols + j] = s;
}
`;

const foldSource = /* wgsl */ `
struct Params { blocks: u32, cols: u32, p0: u32, p1: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Part: array<f32>;
@group(0) @binding(2) var<storage, read_write> DB: array<f32>;
@compute @workgroup_size(${CW})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x;
  if (j >= p.cols) { return; }
  var s = 0.0;
  for (var b = 0u; b < p.blocks; b++) { s += Part[b * p.cols + j]; }
  DB[j] = s;
}
`;

const gatherSource = /* wgsl */ `
struct Params { n: u32, d: u32, rows: u32, yBase: u32, iBase: u32, width: u32, p0: u32, p1: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> I: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  let row = i / p.d;
  let src = I[p.iBase + row];
  var v = 0.0;
  if (src < p.rows) { v = X[src * p.d + i % p.d]; }
  Y[p.yBase + i] = v;
}
`;

const ACTS: Record<Activation, number> = { none: 0, gelu: 1 };

function actCode(op: string, act: string): number {
  if (!(act in ACTS)) throw new ArgumentError(`${op}: unknown activation "${act}" (use 'none' or 'gelu')`);
  return ACTS[act as Activation];
}

function grid2(count: number): { width: number; wg: [number, number] } {
  const x = Math.min(ceilDiv(count, WG), MAX_WG);
  return { width: x * WG, wg: [x, ceilDiv(count, x * WG)] };
}

function rank2(op: string, name: string, t: GpuTensor): [number, number] {
  if (t.shape.length !== 2) throw new ShapeError(`${op}: ${name} must be rank 2 [rows, cols], got ${shapeStr(t.shape)}`);
  if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32`);
  return [t.shape[0], t.shape[1]];
}

function checkBias(op: string, bias: GpuTensor, N: number): void {
  if (bias.size !== N || bias.dtype !== 'f32') throw new ShapeError(`${op}: bias ${shapeStr(bias.shape)} must be f32 with ${N} elements (one per column)`);
}

/** Y = act(X + b) for X: [M, N], b: [N] (act 'none' | 'gelu', tanh form). */
export function biasAct(ctx: GpuContext, x: GpuTensor, bias: GpuTensor, act: Activation = 'none'): GpuTensor {
  const op = 'biasAct';
  const code = actCode(op, act);
  const [M, N] = rank2(op, 'x', x);
  checkBias(op, bias, N);
  const y = ctx.empty([M, N]);
  if (M === 0 || N === 0) return y;
  const pipeline = ctx.pipeline('mlp:biasact', () => biasActSource);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const rb = bindRange(bias);
  for (const [r0, rc] of planRows(ctx, op, M, [N], Math.floor((PER_ROW * MAX_WG) / N))) {
    const cnt = rc * N;
    const rx = bindRange(x, r0 * N, cnt);
    const ry = bindRange(y, r0 * N, cnt);
    const g = grid2(cnt);
    const u = ctx.uniform(uniforms([{ u: cnt }, { u: N }, { u: rx.base }, { u: ry.base }, { u: rb.base }, { u: code }, { u: g.width }, { u: 0 }]));
    temps.push(u);
    ds.push({ op, pipeline, bindings: [{ buffer: u }, rx.resource, rb.resource, ry.resource], workgroups: g.wg });
  }
  ctx.submit(op, ds, temps);
  return y;
}

export interface BiasActBackwardResult {
  /** [M, N] ∂L/∂X = dY ⊙ act′(X + b); null when act = 'none' (it equals dY) */
  dx: GpuTensor | null;
  /** [N] ∂L/∂b = Σ_rows ∂L/∂X */
  dbias: GpuTensor;
}

/**
 * Backward of `biasAct`: dX = dY ⊙ act′(X + b) and db = column sums of dX, fused in one sweep plus a fold of
 * per-row-block partials (fixed order: deterministic). With act 'none', X and b are not read (pass null).
 */
export function biasActBackward(ctx: GpuContext, dy: GpuTensor, x: GpuTensor | null, bias: GpuTensor | null, act: Activation = 'none'): BiasActBackwardResult {
  const op = 'biasActBackward';
  const code = actCode(op, act);
  const [M, N] = rank2(op, 'dy', dy);
  if (code === 1) {
    if (!x || !bias) throw new ArgumentError(`${op}: act 'gelu' needs the forward input x and the bias`);
    const [mx, nx] = rank2(op, 'x', x);
    if (mx !== M || nx !== N) throw new ShapeError(`${op}: x ${shapeStr(x.shape)} and dy ${shapeStr(dy.shape)} differ`);
    checkBias(op, bias, N);
  }
  const dbias = ctx.empty([N]);
  const dx = code === 1 ? ctx.empty([M, N]) : null;
  if (N === 0) return { dx, dbias };
  if (ceilDiv(N, CW) > MAX_WG) throw new ShapeError(`${op}: too many columns (${N})`);
  if (M === 0) {
    ctx.submit(op, [], [], (enc) => enc.clearBuffer(dbias.buffer));
    return { dx, dbias };
  }
  const blocks = ceilDiv(M, RB);
  if (blocks * N * 4 > ctx.maxBindingSize - 256) throw new ShapeError(`${op}: ${blocks}×${N} partial sums exceed the binding limit`);
  const part = ctx.empty([blocks, N]);
  const pipeline = ctx.pipeline('mlp:biasact-bwd', () => backwardSource);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const rbias = bindRange(bias ?? dy, 0, code === 1 ? N : 1);
  const byBinding = planRows(ctx, op, M, [N])[0][1];
  const per = Math.max(RB, Math.floor(Math.min(byBinding, RB * MAX_WG) / RB) * RB);
  for (let r0 = 0; r0 < M; r0 += per) {
    const rc = Math.min(per, M - r0);
    const cnt = rc * N;
    const rdy = bindRange(dy, r0 * N, cnt);
    const rx = code === 1 ? bindRange(x!, r0 * N, cnt) : rdy;
    const rdx = dx ? bindRange(dx, r0 * N, cnt) : bindRange(part, 0, 1);
    const u = ctx.uniform(
      uniforms([
        { u: rc }, { u: N }, { u: rdy.base }, { u: rx.base }, { u: rdx.base }, { u: rbias.base }, { u: code }, { u: dx ? 1 : 0 },
        { u: r0 / RB }, { u: 0 }, { u: 0 }, { u: 0 },
      ]),
    );
    temps.push(u);
    // DX aliases nothing it reads: when act = none a tiny scratch binding stands in (never written)
    const dxRes = dx ? rdx.resource : bindRange(dbias, 0, 1).resource;
    ds.push({ op, pipeline, bindings: [{ buffer: u }, rdy.resource, rx.resource, rbias.resource, dxRes, bindRange(part).resource], workgroups: [ceilDiv(N, CW), ceilDiv(rc, RB)] });
  }
  const uf = ctx.uniform(uniforms([{ u: blocks }, { u: N }, { u: 0 }, { u: 0 }]));
  temps.push(uf);
  ds.push({ op: `${op}.fold`, pipeline: ctx.pipeline('mlp:colfold', () => foldSource), bindings: [{ buffer: uf }, bindRange(part).resource, bindRange(dbias).resource], workgroups: [ceilDiv(N, CW)] });
  ctx.submit(op, ds, temps);
  part.dispose();
  return { dx, dbias };
}

/**
 * Y[i, :] = X[idx[i], :] for X: [n, d] (bound whole) and idx (u32 tensor or integer array) of length B.
 * Array indices are validated on the host; a device index ≥ n yields a zero row.
 */
export function gatherRows(ctx: GpuContext, x: GpuTensor, idx: GpuTensor | ArrayLike<number>): GpuTensor {
  const op = 'gatherRows';
  const [n, d] = rank2(op, 'x', x);
  let it: GpuTensor;
  let owned = false;
  if ((idx as GpuTensor).kind === 'gpu') {
    it = idx as GpuTensor;
    if (it.dtype !== 'u32') throw new ArgumentError(`${op}: idx must be a u32 tensor`);
  } else {
    const a = idx as ArrayLike<number>;
    for (let i = 0; i < a.length; i++) {
      if (!(Number.isInteger(a[i]) && a[i] >= 0 && a[i] < n)) throw new ArgumentError(`${op}: idx[${i}] = ${a[i]} is outside [0, ${n})`);
    }
    it = ctx.tensor(a, [a.length], 'u32');
    owned = true;
  }
  const B = it.size;
  const y = ctx.empty([B, d]);
  if (B === 0 || d === 0) {
    if (owned) it.dispose();
    return y;
  }
  if (x.size * 4 > ctx.maxBindingSize - 256) throw new ShapeError(`${op}: x ${shapeStr(x.shape)} exceeds the binding limit (${ctx.maxBindingSize} B); gather on the host`);
  const pipeline = ctx.pipeline('mlp:gather', () => gatherSource);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [r0, rc] of planRows(ctx, op, B, [d], Math.floor((PER_ROW * MAX_WG) / d))) {
    const cnt = rc * d;
    const ry = bindRange(y, r0 * d, cnt);
    const ri = bindRange(it, r0, rc);
    const g = grid2(cnt);
    const u = ctx.uniform(uniforms([{ u: cnt }, { u: d }, { u: n }, { u: ry.base }, { u: ri.base }, { u: g.width }, { u: 0 }, { u: 0 }]));
    temps.push(u);
    ds.push({ op, pipeline, bindings: [{ buffer: u }, bindRange(x).resource, ri.resource, ry.resource], workgroups: g.wg });
  }
  ctx.submit(op, ds, temps);
  if (owned) it.dispose();
  return y;
}
