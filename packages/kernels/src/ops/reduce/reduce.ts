import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { elementwise } from '../elementwise/elementwise.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';

export type ReduceOp = 'sum' | 'mean' | 'max' | 'logsumexp';
const OPS: ReduceOp[] = ['sum', 'mean', 'max', 'logsumexp'];
const WG = 64;

// One invocation per row, barrier-free (CPU drivers pay for barriers); max-subtracted logsumexp.
const rowSource = `
struct Params { rows: u32, cols: u32, xBase: u32, yBase: u32, op: u32, total: u32, p1: u32, p2: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r = g.x;
  if (r >= p.rows) { return; }
  let o = p.xBase + r * p.cols;
  // a flat array viewed as rows of cols elements may end in a short row (total elements in this chunk)
  let len = min(p.cols, p.total - r * p.cols);
  var res = 0.0;
  if (p.op == 0u || p.op == 1u) {
    var s = 0.0;
    for (var c = 0u; c < len; c++) { s += X[o + c]; }
    res = select(s, s / f32(len), p.op == 1u);
  } else {
    var m = -3.4028234663852886e38;
    for (var c = 0u; c < len; c++) { m = max(m, X[o + c]); }
    if (p.op == 2u || len == 0u) { res = select(m, -3.4028234663852886e38, len == 0u); }
    else {
      var s = 0.0;
      for (var c = 0u; c < len; c++) { s += exp(X[o + c] - m); }
      res = m + log(s);
    }
  }
  Y[p.yBase + r] = res;
}
`;

// One invocation per column; rows arrive in chunks. State (a, b) per column carries
// sum / running max / online (max, sum-exp) across chunks; the last chunk writes the result.
const colSource = `
struct Params { rows: u32, cols: u32, xBase: u32, yBase: u32, op: u32, first: u32, last: u32, total: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> S: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let c = g.x;
  if (c >= p.cols) { return; }
  var a = 0.0; var b = 0.0;
  if (p.op >= 2u) { a = -3.4028234663852886e38; }
  if (p.first == 0u) { a = S[c]; b = S[p.cols + c]; }
  for (var r = 0u; r < p.rows; r++) {
    let x = X[p.xBase + r * p.cols + c];
    if (p.op <= 1u) { a += x; }
    else if (p.op == 2u) { a = max(a, x); }
    else { let m = max(a, x); b = b * exp(a - m) + exp(x - m); a = m; }
  }
  if (p.last != 0u) {
    var res = a;
    if (p.op == 1u) { res = a / f32(p.total); }
    if (p.op == 3u) { res = select(a + log(b), -3.4028234663852886e38, p.total == 0u); }
    Y[p.yBase + c] = res;
  } else { S[c] = a; S[p.cols + c] = b; }
}
`;

function check(op: string, x: GpuTensor, axis: number): void {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`${op}: axis must be 0 or 1, got ${axis}`);
}

/** Reduce a [rows, cols] tensor along `axis` (1: per row → [rows]; 0: per column → [cols]). Empty max/logsumexp = -FLT_MAX. */
export function reduce(ctx: GpuContext, x: GpuTensor, op: ReduceOp, axis: 0 | 1): GpuTensor {
  if (!OPS.includes(op)) throw new ArgumentError(`reduce: unknown op "${op}"`);
  check(op, x, axis);
  const [rows, cols] = x.shape;
  const code = OPS.indexOf(op);
  if (axis === 1) {
    const y = ctx.empty([rows]);
    if (rows === 0) return y;
    const pipeline = ctx.pipeline('reduce:row', () => rowSource);
    const temps: GPUBuffer[] = [];
    const ds: DispatchSpec[] = [];
    for (const [r0, rc] of planRows(ctx, op, rows, [cols], MAX_WG * WG)) {
      const rx = bindRange(x, r0 * cols, rc * cols);
      const ry = bindRange(y, r0, rc);
      const u = ctx.uniform(uniforms([{ u: rc }, { u: cols }, { u: rx.base }, { u: ry.base }, { u: code }, { u: rc * cols }, { u: 0 }, { u: 0 }]));
      temps.push(u);
      ds.push({ op, pipeline, bindings: [{ buffer: u }, rx.resource, ry.resource], workgroups: [ceilDiv(rc, WG)] });
    }
    ctx.submit(`reduce.${op}`, ds, temps);
    return y;
  }
  const y = ctx.empty([cols]);
  if (cols === 0) return y;
  if (ceilDiv(cols, WG) > MAX_WG) throw new ShapeError(`${op}: too many columns (${cols})`);
  const state = ctx.acquire(Math.max(8, cols * 8));
  const pipeline = ctx.pipeline('reduce:col', () => colSource);
  const temps: GPUBuffer[] = [state];
  const ds: DispatchSpec[] = [];
  const chunks = rows === 0 ? [[0, 0] as [number, number]] : planRows(ctx, op, rows, [cols]);
  chunks.forEach(([r0, rc], i) => {
    const rx = bindRange(x, r0 * cols, Math.max(1, rc * cols));
    const u = ctx.uniform(
      uniforms([{ u: rc }, { u: cols }, { u: rx.base }, { u: 0 }, { u: code }, { u: i === 0 ? 1 : 0 }, { u: i === chunks.length - 1 ? 1 : 0 }, { u: rows }]),
    );
    temps.push(u);
    ds.push({ op, pipeline, bindings: [{ buffer: u }, rx.resource, { buffer: y.buffer }, { buffer: state }], workgroups: [ceilDiv(cols, WG)] });
  });
  ctx.submit(`reduce.${op}`, ds, temps);
  return y;
}

/** Reduce every element to a [1] tensor: rows of up to 1024 elements first (short last row), then their results. */
export function reduceAll(ctx: GpuContext, x: GpuTensor, op: 'sum' | 'mean' | 'max'): GpuTensor {
  const n = x.size;
  if (n === 0) return ctx.tensor([op === 'max' ? -3.4028234663852886e38 : 0], [1]);
  const W = Math.max(1, Math.min(1024, n, Math.floor(ctx.maxBindingSize / 4 / 2)));
  const rows = Math.ceil(n / W);
  const inner = ctx.empty([rows]);
  const pipeline = ctx.pipeline('reduce:row', () => rowSource);
  const code = op === 'max' ? 2 : 0;
  const temps: GPUBuffer[] = [];
  const ds: DispatchSpec[] = [];
  for (const [r0, rc] of planRows(ctx, op, rows, [W], MAX_WG * WG)) {
    const count = Math.min(rc * W, n - r0 * W);
    const rx = bindRange(x, r0 * W, count);
    const ry = bindRange(inner, r0, rc);
    const u = ctx.uniform(uniforms([{ u: rc }, { u: W }, { u: rx.base }, { u: ry.base }, { u: code }, { u: count }, { u: 0 }, { u: 0 }]));
    temps.push(u);
    ds.push({ op, pipeline, bindings: [{ buffer: u }, rx.resource, ry.resource], workgroups: [ceilDiv(rc, WG)] });
  }
  ctx.submit(`reduce.${op}`, ds, temps);
  const out = reduce(ctx, inner.view([rows, 1]), op === 'max' ? 'max' : 'sum', 0);
  inner.dispose();
  if (op !== 'mean') return out;
  const m = elementwise(ctx, 'scale', out, { alpha: 1 / n });
  out.dispose();
  return m;
}
