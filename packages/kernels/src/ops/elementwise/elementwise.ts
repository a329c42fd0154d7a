import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, shapeStr, uniforms } from '../common.js';

export type ElementwiseOp = 'scale' | 'axpy' | 'clip';
const CODES: Record<ElementwiseOp, number> = { scale: 0, axpy: 1, clip: 2 };
const WG = 256;
const PER_ROW = WG * 1024; // elements per dispatch row (2-D grid keeps any size within the workgroup limits)

const source = `
struct Params { n: u32, xBase: u32, yBase: u32, zBase: u32, op: u32, alpha: f32, lo: f32, hi: f32, width: u32, p0: u32, p1: u32, p2: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> Z: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  let x = X[p.xBase + i];
  var z = 0.0;
  switch p.op {
    case 0u: { z = p.alpha * x; }
    case 1u: { z = fma(p.alpha, x, Y[p.yBase + i]); }
    default: { z = clamp(x, p.lo, p.hi); }
  }
  Z[p.zBase + i] = z;
}
`;

export interface ElementwiseParams {
  alpha?: number;
  lo?: number;
  hi?: number;
  /** second operand (axpy) */
  y?: GpuTensor;
}

/** scale: αx · axpy: αx + y · clip: min(max(x, lo), hi). Returns a new tensor of x's shape. */
export function elementwise(ctx: GpuContext, op: ElementwiseOp, x: GpuTensor, prm: ElementwiseParams = {}): GpuTensor {
  if (!(op in CODES)) throw new ArgumentError(`elementwise: unknown op "${op}"`);
  if (op === 'axpy') {
    if (!prm.y) throw new ArgumentError('axpy: missing y');
    if (prm.y.size !== x.size || prm.y.shape.join() !== x.shape.join())
      throw new ShapeError(`axpy: x ${shapeStr(x.shape)} and y ${shapeStr(prm.y.shape)} differ`);
  }
  if (op === 'clip' && !((prm.lo ?? -Infinity) <= (prm.hi ?? Infinity)))
    throw new ArgumentError(`clip: lo (${prm.lo}) > hi (${prm.hi})`);
  const z = ctx.empty(x.shape);
  const n = x.size;
  if (n === 0) return z;
  const y = prm.y ?? x;
  const pipeline = ctx.pipeline('elementwise', () => source);
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  const clampF = (v: number) => Math.max(-3.4028234663852886e38, Math.min(3.4028234663852886e38, v));
  for (const [s0, sc] of planRows(ctx, op, n, [1], PER_ROW * MAX_WG)) {
    const rx = bindRange(x, s0, sc);
    const ry = bindRange(y, s0, sc);
    const rz = bindRange(z, s0, sc);
    const u = ctx.uniform(
      uniforms([
        { u: sc }, { u: rx.base }, { u: ry.base }, { u: rz.base }, { u: CODES[op] },
        { f: prm.alpha ?? 1 }, { f: clampF(prm.lo ?? -Infinity) }, { f: clampF(prm.hi ?? Infinity) },
        { u: PER_ROW }, { u: 0 }, { u: 0 }, { u: 0 },
      ]),
    );
    temps.push(u);
    const rowsNeeded = ceilDiv(sc, PER_ROW);
    ds.push({ op, pipeline, bindings: [{ buffer: u }, rx.resource, ry.resource, rz.resource], workgroups: [rowsNeeded > 1 ? PER_ROW / WG : ceilDiv(sc, WG), rowsNeeded] });
  }
  ctx.submit(op, ds, temps);
  return z;
}
