import { defineKernel } from '../kernel.js';

export const WG = 256;
/** invocations per dispatch row (2-D grid) */
export const PER_ROW = WG * 1024;

/** The element types `cast` converts between on the device. */
export type CastDType = 'f16' | 'f32';

// One source per direction. f32 → f16: each invocation owns one 32-bit word of the output (two halves), so no two
// invocations store into the same word; finite values saturate at ±65504 like the host conversion (runtime/half.ts).
export const castKernel = defineKernel({
  name: 'cast',
  params: { n: 'u32', xBase: 'u32', zBase: 'u32', width: 'u32' },
  enables: () => ['f16'],
  source: ({ to }: { to: CastDType }) => (to === 'f32' ? toF32 : toF16),
});

const toF32 = /* wgsl */ `@group(0) @binding(1) var<storage, read> X: array<f16>;
@group(0) @binding(2) var<storage, read_write> Z: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  Z[p.zBase + i] = f32(X[p.xBase + i]);
}
`;

const toF16 = /* wgsl */ `@group(0) @binding(1) var<storage, read> X: array<f32>;
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
