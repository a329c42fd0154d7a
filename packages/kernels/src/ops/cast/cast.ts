import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, planRows, uniforms } from '../common.js';

const WG = 256;
const PER_ROW = WG * 1024; // invocations per dispatch row (2-D grid)

// One source per direction. f32 → f16: each invocation owns one 32-bit word of the output (two halves), so no two
// invocations store into the same word; finite values saturate at ±65504 like the host conversion (runtime/half.ts).
function source(to: 'f16' | 'f32'): string {
  const head = `enable f16;
struct Params { n: u32, xBase: u32, zBase: u32, width: u32 };
@group(0) @binding(0) var<uniform> p: Params;
`;
  if (to === 'f32') {
    return `${head}@group(0) @binding(1) var<storage, read> X: array<f16>;
@group(0) @binding(2) var<storage, read_write> Z: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  Z[p.zBase + i] = f32(X[p.xBase + i]);
}
`;
  }
  return `${head}@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Z: array<f16>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let w = g.y * p.width + g.x;
  for (var h = 0u; h < 2u; h++) {
    let e = 2u * w + h;
    if (e >= p.zBase && e < p.zBase + p.n) {
      Z[e] = f16(clamp(X[p.xBase + e - p.zBase], -65504.0, 65504.0));
    }
  }
}
`;
}

/**
 * Convert a tensor between f32 and f16 (round to nearest; f32 → f16 saturates finite values at ±65504).
 * Needs the adapter's shader-f16 feature. Returns a new tensor; casting to the tensor's own dtype copies it.
 */
export function cast(ctx: GpuContext, x: GpuTensor, to: 'f16' | 'f32'): GpuTensor {
  if (to !== 'f16' && to !== 'f32') throw new ArgumentError(`cast: unknown dtype "${to}" (f16 or f32)`);
  if (x.dtype !== 'f16' && x.dtype !== 'f32') throw new ArgumentError(`cast: cannot cast a ${x.dtype} tensor`);
  if (!ctx.features.f16) throw new ArgumentError(`cast: f16 needs the adapter's shader-f16 feature, which this adapter lacks`);
  const z = ctx.empty(x.shape, to);
  const n = x.size;
  if (n === 0) return z;
  if (x.dtype === to) {
    ctx.submit('cast', [], [], (enc) => enc.copyBufferToBuffer(x.buffer, 0, z.buffer, 0, Math.min(x.buffer.size, z.buffer.size)));
    return z;
  }
  const pipeline = ctx.pipeline(`cast:${to}`, () => source(to));
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [s0, sc] of planRows(ctx, 'cast', n, [1], PER_ROW * MAX_WG)) {
    const rx = bindRange(x, s0, sc, { f16: true });
    const rz = bindRange(z, s0, sc, { f16: true });
    // f32 → f16 runs one invocation per output word (covering zBase + sc halves)
    const inv = to === 'f16' ? ceilDiv(rz.base + sc, 2) : sc;
    const rows = ceilDiv(inv, PER_ROW);
    const u = ctx.uniform(uniforms([{ u: sc }, { u: rx.base }, { u: rz.base }, { u: PER_ROW }]));
    temps.push(u);
    ds.push({ op: 'cast', pipeline, bindings: [{ buffer: u }, rx.resource, rz.resource], workgroups: [rows > 1 ? PER_ROW / WG : ceilDiv(inv, WG), rows] });
  }
  ctx.submit('cast', ds, temps);
  return z;
}
