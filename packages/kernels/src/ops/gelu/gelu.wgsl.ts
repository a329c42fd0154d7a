import { defineKernel } from '../kernel.js';
import { QUICK_GELU_ALPHA, type GeluKind } from './reference.js';

export const WG = 256;
/** elements per dispatch row (a 2-D grid keeps any size within the workgroup limits) */
export const PER_ROW = WG * 1024;

/** WGSL `fn act(x: f32) -> f32`: GELU of `kind` (with its erfc helper); shared with the matmul epilogue. */
export function geluWgsl(kind: GeluKind): string {
  return /* wgsl */ `
// erfc(z) for z ≥ 0
fn erfcPos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(poly - z * z);
}

fn act(x: f32) -> f32 {
${
  kind === 'quick'
    ? `  let v = ${QUICK_GELU_ALPHA} * x;
  let e = exp(-abs(v));
  let s = select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
  return x * s;`
    : `  let h = 0.5 * erfcPos(abs(x) * 0.7071067811865476);
  return x * select(1.0 - h, h, x < 0.0);`
}
}
`;
}

/**
 * Y = gelu(X): 'erf' x·Φ(x) with Φ(x) = ½·erfc(−x/√2), erfc from Numerical Recipes' erfcc (fractional error
 * < 1.2e-7 for every z ≥ 0, so the negative tail keeps its relative accuracy); 'quick' x·σ(1.702·x) with σ
 * computed on the side where exp cannot overflow.
 */
export const geluKernel = defineKernel<{ n: 'u32'; xBase: 'u32'; yBase: 'u32'; width: 'u32' }, { kind: GeluKind }>({
  name: 'gelu',
  params: { n: 'u32', xBase: 'u32', yBase: 'u32', width: 'u32' },
  source: ({ kind }) => /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;

${geluWgsl(kind)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  Y[p.yBase + i] = act(X[p.xBase + i]);
}
`,
});
