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

// Per row, specialised on m: a_k = s_ik − π_k, then t = Σ_k a_k W[k][0] + Σ_r y_r Σ_k a_k W[k][1+r], so each y is
// read once and zero labels (sparse one-/multi-hot Y) skip their m multiply-adds.
function rowSource(m: number): string {
  return `
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
  let piOff = ${m}u * c1;
  let sb = p.sBase + i * ${m}u;
  var a: array<f32, ${m}>;
  var t = 0.0;
  for (var k = 0u; k < ${m}u; k++) {
    a[k] = S[sb + k] - Dual[piOff + k];
    t = fma(a[k], Dual[k * c1], t);
  }
  let yb = p.yBase + i * p.c;
  for (var r = 0u; r < p.c; r++) {
    let y = Y[yb + r];
    if (y == 0.0) { continue; }
    var wr = 0.0;
    for (var k = 0u; k < ${m}u; k++) { wr = fma(a[k], Dual[k * c1 + 1u + r], wr); }
    t = fma(y, wr, t);
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
}

// Reduce: one invocation per label column r ∈ [0, c] (r = 0 is the constant 1) keeps all m+1 Kahan sums of that
// column (P[0..m-1][r] and g[r]); one extra column c+1 keeps Σw and Σo. So z, s and y are each read once per
// (row, column) instead of once per output, and there is no per-output branching. Columns run along x
// (JW = a power of two ≥ c+2, ≤ 64); when c+2 < 64 the workgroup's spare lanes (y, LANES = 64/JW) split the
// block's rows (interleaved) and are combined through workgroup memory, lane 0 writing the block's partials.
// The source depends on (m, JW) only, so m is a compile-time constant and the sums live in registers.
function reduceSource(m: number, jw: number, skip = false): string {
  const lanes = WG / jw;
  const K = m + 1;
  const combine =
    lanes === 1
      ? ''
      : `
  if (l.y > 0u) {
    let o = ((l.y - 1u) * ${jw}u + l.x) * ${K}u;
    for (var k = 0u; k < ${K}u; k++) { red[o + k] = s[k]; }
  }
  workgroupBarrier();
  if (l.y > 0u) { return; }
  for (var ln = 1u; ln < ${lanes}u; ln++) {
    let o = ((ln - 1u) * ${jw}u + l.x) * ${K}u;
    for (var k = 0u; k < ${K}u; k++) { s[k] += red[o + k]; }
  }`;
  return `
struct Params { n: u32, m: u32, c: u32, flags: u32, rowsPerBlock: u32, R: u32, sBase: u32, yBase: u32, wBase: u32, p0: u32, p1: u32, p2: u32 };
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read> Z: array<f32>;
@group(0) @binding(5) var<storage, read_write> Part: array<f32>;
${lanes === 1 ? '' : `var<workgroup> red: array<f32, ${(lanes - 1) * jw * K}>;`}
@compute @workgroup_size(${jw}, ${lanes})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = wg.x * ${jw}u + l.x;   // column: 0 = constant 1, 1..c = label r-1, c+1 = (Σw, Σo)
  let c1 = p.c + 1u;
  let i0 = wg.y * p.rowsPerBlock;
  let i1 = min(i0 + p.rowsPerBlock, p.n);
  var s: array<f32, ${K}>;   // Kahan sums: P[k][r] (k < m), g[r] (k = m); Σw, Σo in s[0], s[1] for r = c+1
  var e: array<f32, ${K}>;   // their compensations
  if (r <= p.c) {
    for (var i = i0 + l.y; i < i1; i += ${lanes}u) {
      var z = Z[i];
      if (r > 0u) {
        let y = Y[p.yBase + i * p.c + r - 1u];
        ${skip ? 'if (y == 0.0) { continue; }' : ''}
        z *= y;
      }
      let sb = p.sBase + i * ${m}u;
      for (var k = 0u; k < ${m}u; k++) {
        let yk = z * S[sb + k] - e[k];
        let tk = s[k] + yk;
        e[k] = (tk - s[k]) - yk;
        s[k] = tk;
      }
      let yk = z - e[${m}];
      let tk = s[${m}] + yk;
      e[${m}] = (tk - s[${m}]) - yk;
      s[${m}] = tk;
    }
  } else if (r == c1) {
    let hasW = (p.flags & 2u) != 0u;
    for (var i = i0 + l.y; i < i1; i += ${lanes}u) {
      let x0 = select(1.0, Wt[p.wBase + i], hasW) - e[0];
      let t0 = s[0] + x0;
      e[0] = (t0 - s[0]) - x0;
      s[0] = t0;
      let x1 = Z[p.n + i] - e[1];
      let t1 = s[1] + x1;
      e[1] = (t1 - s[1]) - x1;
      s[1] = t1;
    }
  }
  for (var k = 0u; k < ${K}u; k++) { s[k] -= e[k]; }
${combine}
  let base = wg.y * p.R;
  if (r <= p.c) {
    for (var k = 0u; k < ${K}u; k++) { Part[base + k * c1 + r] = s[k]; }
  } else if (r == c1) {
    Part[base + ${K}u * c1] = s[0];
    Part[base + ${K}u * c1 + 1u] = s[1];
  }
}
`;
}

/** Columns per reduce workgroup: the smallest power of two ≥ c+2 (label columns, the constant, Σw/Σo), ≤ 64. */
function reduceColumns(c: number): number {
  let jw = 2;
  while (jw < WG && jw < c + 2) jw *= 2;
  return jw;
}

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
  if (prm.W.length !== m * (c + 1))
    throw new ShapeError(`moments: W has ${prm.W.length} entries, expected m×(c+1) = ${m * (c + 1)}`);
  if (prm.pi.length !== m) throw new ShapeError(`moments: π has ${prm.pi.length} entries, expected m = ${m}`);
  if (prm.qOut && prm.qOut.size !== n)
    throw new ShapeError(`moments: qOut ${shapeStr(prm.qOut.shape)} must have ${n} entries`);
  const R = momentsOutputs(m, c);
  const limit = ctx.maxBindingSize - 256;
  for (const [name, t] of Object.entries({ S: ch.S, Y: ch.Y })) {
    if (t.size * 4 > limit)
      throw new ShapeError(
        `moments: chunk ${name} ${shapeStr(t.shape)} exceeds the binding limit (${ctx.maxBindingSize} B); split rows into chunks`,
      );
  }
  if (ceilDiv(n, WG) > MAX_WG)
    throw new ShapeError(`moments: chunk of ${n} rows exceeds one dispatch (${MAX_WG * WG}); split rows into chunks`);
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
      { u: n },
      { u: m },
      { u: c },
      { u: flags },
      { f: prm.mu },
      { f: prm.eta },
      { f: prm.fixedQ ?? 0 },
      { u: rs.base },
      { u: ry.base },
      { u: ru.base },
      { u: rw.base },
      { u: rq.base },
    ]),
  );
  const u2 = ctx.uniform(
    uniforms([
      { u: n },
      { u: m },
      { u: c },
      { u: flags },
      { u: rowsPerBlock },
      { u: R },
      { u: rs.base },
      { u: ry.base },
      { u: rw.base },
      { u: 0 },
      { u: 0 },
      { u: 0 },
    ]),
  );
  const p1 = ctx.pipeline(`moments:rows:${m}`, () => rowSource(m));
  const jw = reduceColumns(c);
  const skip = ctx.variant('moments.reduce', 'plain') === 'skip';
  const p2 = ctx.pipeline(`moments:reduce:${m}:${jw}:${skip}`, () => reduceSource(m, jw, skip));
  const ds: DispatchSpec[] = [
    {
      op: 'moments.rows',
      pipeline: p1,
      bindings: [
        { buffer: u1 },
        rs.resource,
        ry.resource,
        ru.resource,
        rw.resource,
        { buffer: dualT.buffer },
        { buffer: z.buffer },
        rq.resource,
      ],
      workgroups: [ceilDiv(n, WG)],
    },
    {
      op: 'moments.reduce',
      pipeline: p2,
      bindings: [{ buffer: u2 }, rs.resource, ry.resource, rw.resource, { buffer: z.buffer }, { buffer: part.buffer }],
      workgroups: [ceilDiv(c + 2, jw), blocks],
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
