import { defineKernel } from '../kernel.js';

export const TR = 16;
export const ACC_WG = 256;

/** Out[c, r] = In[r, c] for an [rows, cols] matrix, through a padded workgroup tile. */
export const transposeKernel = defineKernel({
  name: 'transpose',
  params: { rows: 'u32', cols: 'u32', inBase: 'u32', outBase: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> In: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;
var<workgroup> tile: array<array<f32, ${TR + 1}>, ${TR}>;
@compute @workgroup_size(${TR}, ${TR})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let c = wg.x * ${TR}u + l.x;
  let r = wg.y * ${TR}u + l.y;
  if (r < p.rows && c < p.cols) { tile[l.y][l.x] = In[p.inBase + r * p.cols + c]; }
  workgroupBarrier();
  let oc = wg.y * ${TR}u + l.x;
  let orow = wg.x * ${TR}u + l.y;
  if (orow < p.cols && oc < p.rows) { Out[p.outBase + orow * p.rows + oc] = tile[l.x][l.y]; }
}
`,
});

/** D[i] += A[i] (2-D grid: row width `width` elements). */
export const accumulateKernel = defineKernel({
  name: 'accumulate',
  params: { n: 'u32', aBase: 'u32', dBase: 'u32', width: 'u32' },
  source: () => /* wgsl */ `
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@compute @workgroup_size(${ACC_WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y * p.width + g.x;
  if (i >= p.n) { return; }
  D[p.dBase + i] += A[p.aBase + i];
}
`,
});
