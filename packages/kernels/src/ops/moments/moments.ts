import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, shapeStr, uniforms } from '../common.js';

// M4 moment statistics in two dispatches over a chunk of rows (spec §1.5), never materialising the bias
// vectors a_i:
//  1. per row: t_i = (s_i − π)ᵀ W [1; y_i];  q_i = clip(η + u_i − t_i − µ, 0, 1) (or a fixed q);
//     z_i = w_i q_i;  o_i = w_i (½ (q_i − q0_i)² + q_i (t_i + µ));  optionally q_i is stored.
//  2. per (row block, output j): Kahan-compensated partial sums of
//       j <  m(c+1)            P[k][r] = Σ z_i s_ik [1, y_i]_r
//       j <  (m+1)(c+1)        g[r]    = Σ z_i [1, y_i]_r        (g[0] = Σ w q, g[1..] = Σ w q y)
//       j == (m+1)(c+1)        Σ w_i
//       j == (m+1)(c+1) + 1    Σ o_i
//     The host adds the block partials in float64 and forms D = P − π gᵀ.
const WG = 64;

const rowSource = `
struct Params { n: u32, m: u32, c: u32, flags: u32, mu: f32, eta: f32, fixedQ: f32, sBase: u32, yBase: u32, uBase: u32, wBase: u32, qBase: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read> Dual: array<f32>;   // W (m×(c+1)) then π (m)
@group(0) @binding(6) var<storage, read_write> Z: array<f32>; // z (n) then o (n)
@group(0) @binding(7) var<storage, read_write> Q: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x;
  if (i >= p.n) { return; }
  let c1 = p.c + 1u;
  let piOff = p.m * c1;
  var t = 0.0;
  for (var k = 0u; k < p.m; k++) {
    let wk = k * c1;
    var acc = Dual[wk];
    for (var r = 0u; r < p.c; r++) { acc = fma(Dual[wk + 1u + r], Y[p.yBase + i * p.c + r], acc); }
    t = fma(S[p.sBase + i * p.m + k] - Dual[piOff + k], acc, t);
  }
  var q0 = p.eta;
  if ((p.flags & 1u) != 0u) { q0 += U[p.uBase + i]; }
  var w = 1.0;
  if ((p.flags & 2u) != 0u) { w = Wt[p.wBase + i]; }
  var q = clamp(q0 - t - p.mu, 0.0, 1.0);
  if ((p.flags & 4u) != 0u) { q = p.fixedQ; }
  if ((p.flags & 8u) != 0u) { Q[p.qBase + i] = q; }
  let d = q - q0;
  Z[i] = w * q;
  Z[p.n + i] = w * (0.5 * d * d + q * (t + p.mu));
}
`;

const reduceSource = `
struct Params { n: u32, m: u32, c: u32, flags: u32, rowsPerBlock: u32, R: u32, sBase: u32, yBase: u32, wBase: u32, p0: u32, p1: u32, p2: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read> Z: array<f32>;
@group(0) @binding(5) var<storage, read_write> Part: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let j = wg.x * ${WG}u + l.x;
  if (j >= p.R) { return; }
  let block = wg.y;
  let c1 = p.c + 1u;
  let i0 = block * p.rowsPerBlock;
  let i1 = min(i0 + p.rowsPerBlock, p.n);
  // which sum this invocation owns
  let nP = p.m * c1;
  var kind = 0u; var k = 0u; var r = 0u;
  if (j < nP) { k = j / c1; r = j % c1; }
  else if (j < nP + c1) { kind = 1u; r = j - nP; }
  else if (j == nP + c1) { kind = 2u; }
  else { kind = 3u; }
  var sum = 0.0; var comp = 0.0;   // Kahan
  for (var i = i0; i < i1; i++) {
    var x = 0.0;
    if (kind == 0u) {
      x = Z[i] * S[p.sBase + i * p.m + k];
      if (r > 0u) { x *= Y[p.yBase + i * p.c + r - 1u]; }
    } else if (kind == 1u) {
      x = Z[i];
      if (r > 0u) { x *= Y[p.yBase + i * p.c + r - 1u]; }
    } else if (kind == 2u) {
      x = select(1.0, Wt[p.wBase + i], (p.flags & 2u) != 0u);
    } else {
      x = Z[p.n + i];
    }
    let yk = x - comp;
    let tk = sum + yk;
    comp = (tk - sum) - yk;
    sum = tk;
  }
  Part[block * p.R + j] = sum;
}
`;

export interface MomentsChunk {
  /** [rows, m] */
  S: GpuTensor;
  /** [rows, c] */
  Y: GpuTensor;
  /** [rows] utility, optional */
  u?: GpuTensor;
  /** [rows] multiplicity, optional */
  w?: GpuTensor;
}

export interface MomentsParams {
  /** W = v⁺ − v⁻, m×(c+1) row-major */
  W: ArrayLike<number>;
  pi: ArrayLike<number>;
  mu: number;
  eta: number;
  /** when set, q_i ≡ fixedQ (raw-data statistics) */
  fixedQ?: number;
  /** store q_i here ([rows]) */
  qOut?: GpuTensor;
}

export function momentsOutputs(m: number, c: number): number {
  return (m + 1) * (c + 1) + 2;
}

/** Validate a chunk; returns [rows, m, c]. */
export function checkMomentsChunk(ch: MomentsChunk): [number, number, number] {
  const [n, m] = ch.S.shape.length === 2 ? ch.S.shape : [-1, -1];
  if (n < 0) throw new ShapeError(`moments: S must be [rows, m], got ${shapeStr(ch.S.shape)}`);
  if (ch.Y.shape.length !== 2 || ch.Y.shape[0] !== n)
    throw new ShapeError(`moments: Y ${shapeStr(ch.Y.shape)} must be [${n}, c] to match S ${shapeStr(ch.S.shape)}`);
  if (ch.u && ch.u.size !== n) throw new ShapeError(`moments: u ${shapeStr(ch.u.shape)} must have ${n} entries`);
  if (ch.w && ch.w.size !== n) throw new ShapeError(`moments: w ${shapeStr(ch.w.shape)} must have ${n} entries`);
  return [n, m, ch.Y.shape[1]];
}

/**
 * Dispatch the fused moments pass for one chunk; returns the [blocks, R] partial sums tensor
 * (R = momentsOutputs(m, c)) to be read and added on the host in float64.
 */
export function momentsPass(ctx: GpuContext, ch: MomentsChunk, prm: MomentsParams): GpuTensor {
  const [n, m, c] = checkMomentsChunk(ch);
  if (m < 1 || m > 64) throw new ArgumentError(`moments: m must be in [1, 64], got ${m}`);
  if (prm.W.length !== m * (c + 1)) throw new ShapeError(`moments: W has ${prm.W.length} entries, expected m×(c+1) = ${m * (c + 1)}`);
  if (prm.pi.length !== m) throw new ShapeError(`moments: π has ${prm.pi.length} entries, expected m = ${m}`);
  if (prm.qOut && prm.qOut.size !== n) throw new ShapeError(`moments: qOut ${shapeStr(prm.qOut.shape)} must have ${n} entries`);
  const R = momentsOutputs(m, c);
  const limit = ctx.maxBindingSize - 256;
  for (const [name, t] of Object.entries({ S: ch.S, Y: ch.Y })) {
    if (t.size * 4 > limit) throw new ShapeError(`moments: chunk ${name} ${shapeStr(t.shape)} exceeds the binding limit (${ctx.maxBindingSize} B); split rows into chunks`);
  }
  if (ceilDiv(n, WG) > MAX_WG) throw new ShapeError(`moments: chunk of ${n} rows exceeds one dispatch (${MAX_WG * WG}); split rows into chunks`);
  // block size: keep partials ≤ 2^18 floats and the block count within one dispatch dimension
  let rowsPerBlock = Math.max(256, ceilDiv(n * R, 1 << 18));
  rowsPerBlock = Math.max(rowsPerBlock, ceilDiv(n, MAX_WG));
  const blocks = Math.max(1, ceilDiv(n, rowsPerBlock));
  const part = ctx.empty([blocks, R]);
  if (n === 0) {
    ctx.submit('moments.zero', [], [], (enc) => enc.clearBuffer(part.buffer));
    return part;
  }
  const dual = new Float32Array(m * (c + 1) + m);
  dual.set(Array.from(prm.W), 0);
  dual.set(Array.from(prm.pi), m * (c + 1));
  const dualT = ctx.tensor(dual, [dual.length]);
  const z = ctx.empty([2 * n]);
  const flags = (ch.u ? 1 : 0) | (ch.w ? 2 : 0) | (prm.fixedQ !== undefined ? 4 : 0) | (prm.qOut ? 8 : 0);
  const rs = bindRange(ch.S);
  const ry = bindRange(ch.Y);
  const ru = bindRange(ch.u ?? ch.S, 0, ch.u ? n : 1);
  const rw = bindRange(ch.w ?? ch.S, 0, ch.w ? n : 1);
  // Q must never alias Z (both writable): without qOut bind a scratch word
  const scratch = prm.qOut ? null : ctx.empty([1]);
  const rq = bindRange(prm.qOut ?? scratch!, 0, prm.qOut ? n : 1);
  const u1 = ctx.uniform(
    uniforms([
      { u: n }, { u: m }, { u: c }, { u: flags }, { f: prm.mu }, { f: prm.eta }, { f: prm.fixedQ ?? 0 },
      { u: rs.base }, { u: ry.base }, { u: ru.base }, { u: rw.base }, { u: rq.base },
    ]),
  );
  const u2 = ctx.uniform(
    uniforms([{ u: n }, { u: m }, { u: c }, { u: flags }, { u: rowsPerBlock }, { u: R }, { u: rs.base }, { u: ry.base }, { u: rw.base }, { u: 0 }, { u: 0 }, { u: 0 }]),
  );
  const p1 = ctx.pipeline('moments:rows', () => rowSource);
  const p2 = ctx.pipeline('moments:reduce', () => reduceSource);
  const ds: DispatchSpec[] = [
    {
      op: 'moments.rows',
      pipeline: p1,
      bindings: [{ buffer: u1 }, rs.resource, ry.resource, ru.resource, rw.resource, { buffer: dualT.buffer }, { buffer: z.buffer }, rq.resource],
      workgroups: [ceilDiv(n, WG)],
    },
    {
      op: 'moments.reduce',
      pipeline: p2,
      bindings: [{ buffer: u2 }, rs.resource, ry.resource, rw.resource, { buffer: z.buffer }, { buffer: part.buffer }],
      workgroups: [ceilDiv(R, WG), blocks],
    },
  ];
  ctx.submit('moments', ds, [u1, u2]);
  dualT.dispose();
  z.dispose();
  scratch?.dispose();
  return part;
}

/** Add [blocks, R] partials in float64 and unpack into (P, g, Σw, Σo). */
export function foldMomentsPartials(part: ArrayLike<number>, m: number, c: number, into?: Float64Array): Float64Array {
  const R = momentsOutputs(m, c);
  const acc = into ?? new Float64Array(R);
  const blocks = part.length / R;
  for (let b = 0; b < blocks; b++) for (let j = 0; j < R; j++) acc[j] += part[b * R + j];
  return acc;
}
