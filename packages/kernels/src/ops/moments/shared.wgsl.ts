// What every moments kernel (moments.wgsl.ts: the M4 pass; hessian.wgsl.ts: the generalised Hessian) reads and
// writes alike, written once: the flag bits, the row inputs and the dual, a row's group index and labels in its
// encoding (encode.ts), q0 / w of a row, t = (s − π)ᵀ W [1; y], and the workgroup's Kahan fold of block sums.

/** `flags` bits of the moments uniforms, shared with the WGSL as FLAG_<NAME> constants */
export const FLAG = {
  /** a per-row utility u is bound (q0 = η + u_i) */
  U: 1,
  /** a per-row multiplicity w is bound */
  W: 2,
  /** q_i ≡ fixedQ instead of the closed form */
  FIXED_Q: 4,
  /** q_i is stored to Q */
  STORE_Q: 8,
} as const;
export const FLAG_CONSTANTS = Object.fromEntries(Object.entries(FLAG).map(([k, v]) => [`FLAG_${k}`, v]));

/** The moments flag word for a chunk: which optional inputs and outputs are bound. */
export function momentsFlags(o: { u?: unknown; w?: unknown; fixedQ?: number; qOut?: unknown }): number {
  return (
    (o.u ? FLAG.U : 0) | (o.w ? FLAG.W : 0) | (o.fixedQ !== undefined ? FLAG.FIXED_Q : 0) | (o.qOut ? FLAG.STORE_Q : 0)
  );
}

/** Bindings 1–5 of every moments kernel: S and Y in their encodings, u, w, and the dual (W m×(c+1), then π m). */
export function rowInputs(s: string, y: string): string {
  return `@group(0) @binding(1) var<storage, read> S: array<${s === 'f32' ? 'f32' : 'u32'}>;
@group(0) @binding(2) var<storage, read> Y: array<${y === 'bits' ? 'u32' : 'f32'}>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read> Dual: array<f32>;   // W (m×(c+1)) then π (m)`;
}

/** `let g = …`: the group index of row `i` in a u8 / u16 packed S (encode.ts). */
export function groupOf(s: string): string {
  const [sh, per, gb, mask] = s === 'u8' ? [2, 3, 8, 0xff] : [1, 1, 16, 0xffff];
  return `let g = (S[p.sBase + (i >> ${sh}u)] >> ((i & ${per}u) * ${gb}u)) & ${mask}u;`;
}

/** Label `r` of the row whose Y starts at `yb`: an f32, or bit r of the row's u32 words. */
export function labelOf(y: string, r: string): string {
  return y === 'bits' ? `f32((Y[yb + (${r} >> 5u)] >> (${r} & 31u)) & 1u)` : `Y[yb + ${r}]`;
}

/** `let yb = …` and yv[off + r] = label r for r < c (labels read once per row into a private array). */
export function readLabels(y: string, c: number, off: string): string {
  return `let yb = p.yBase + i * ${y === 'bits' ? Math.ceil(c / 32) : c}u;
    for (var r = 0u; r < ${c}u; r++) { yv[${off}r] = ${labelOf(y, 'r')}; }`;
}

/** q0 = η (+ u_i when bound) and the multiplicity w (w_i when bound, else 1) of row i. */
export function baseAndWeight(indent: string): string {
  return [
    'var q0 = p.eta;',
    'if ((p.flags & FLAG_U) != 0u) { q0 += U[p.uBase + i]; }',
    'var w = 1.0;',
    'if ((p.flags & FLAG_W) != 0u) { w = Wt[p.wBase + i]; }',
  ].join(`\n${indent}`);
}

/**
 * t = Σ_k a_k W[k][0] + Σ_r y_r Σ_k a_k W[k][1+r] for a_k = s_ik − π_k already in `a`, so each y is read once and
 * zero labels (sparse one-/multi-hot Y) skip their m multiply-adds. `c1` / `c` are WGSL u32 expressions, `yb` the
 * row's first Y word, `y` its encoding.
 */
export function dualDot(o: { m: number; c1: string; c: string; yb: string; y: string }, indent: string): string {
  return [
    'var t = 0.0;',
    `for (var k = 0u; k < ${o.m}u; k++) { t = fma(a[k], Dual[k * ${o.c1}], t); }`,
    `let yb = ${o.yb};`,
    `for (var r = 0u; r < ${o.c}; r++) {`,
    `  let y = ${labelOf(o.y, 'r')};`,
    '  if (y == 0.0) { continue; }',
    '  var wr = 0.0;',
    `  for (var k = 0u; k < ${o.m}u; k++) { wr = fma(a[k], Dual[k * ${o.c1} + 1u + r], wr); }`,
    '  t = fma(y, wr, t);',
    '}',
  ].join(`\n${indent}`);
}

/**
 * The end of a per-invocation-sums kernel (fused pass, Hessian groups): `count` sums per invocation, `value(j)` the
 * WGSL of sum j, are written to workgroup memory `CH` at a time and folded over the `wg` invocations (Kahan) into
 * one row of block partials, Part[block, total] (`total`: the WGSL constant = count). `decls` declares CH and `red`,
 * `column` the fold, `tail` is main's end.
 */
export function blockSums(wg: number, count: number, total: string, value: (j: string) => string) {
  const CH = Math.min(count, Math.floor(4096 / wg));
  return {
    decls: `const CH = ${CH}u;
var<workgroup> red: array<f32, ${wg * CH}>;`,
    column: `fn column(j: u32) -> f32 {
  var sum = 0.0;
  var e = 0.0;
  for (var ln = 0u; ln < ${wg}u; ln++) {
    let yk = red[ln * CH + j] - e;
    let tk = sum + yk;
    e = (tk - sum) - yk;
    sum = tk;
  }
  return sum;
}`,
    tail: `  for (var j0 = 0u; j0 < ${total}; j0 += CH) {
    for (var jj = 0u; jj < CH; jj++) {
      if (j0 + jj < ${total}) { red[l * CH + jj] = ${value('j0 + jj')}; }
    }
    workgroupBarrier();
    if (l < CH && j0 + l < ${total}) { Part[wg.x * ${total} + j0 + l] = column(l); }
    workgroupBarrier();
  }`,
  };
}
