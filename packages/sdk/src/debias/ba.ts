// Bias-alignment (BA) module of "Joint Vision-Language Social Bias Removal for CLIP" (spec §2.2–2.4):
// residual MLPs, forward pass, the bank losses L_ba + L_cd and their hand-written gradients, float64.
// The heavy products (batch × (B+Q) logits against the banks, and the MLP matmuls) go through a `Backend`
// (backend.ts): float64 loops here, or WebGPU kernels.
import { ArgumentError, ShapeError } from '@m4kit/kernels';

/**
 * A two-layer MLP, ReLU(W2·ReLU(W1·x + b1) + b2) (`mlpForward`), weights in PyTorch's Linear layout.
 */
export interface Mlp {
  /** input/output dimension */
  D: number;
  /** hidden width */
  h: number;
  /** h×D, row-major (PyTorch Linear weight layout) */
  W1: Float64Array;
  b1: Float64Array;
  /** D×h */
  W2: Float64Array;
  b2: Float64Array;
}

/**
 * The BA debiasing module's parameters (spec §2.4): an image-only residual MLP and a shared one.
 */
export interface BaParams {
  /** image-only MLP (spec: h = 512) */
  mlp1: Mlp;
  /** shared MLP (spec: h = 1024) */
  mlp2: Mlp;
}

/** Seeded PRNG (mulberry32), uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a uniform PRNG. */
export function gaussian(rnd: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = rnd();
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** PyTorch nn.Linear default init: weights and biases U(−1/√fan_in, 1/√fan_in). */
export function initMlp(D: number, h: number, rnd: () => number): Mlp {
  const u = (fanIn: number, n: number) => {
    const b = 1 / Math.sqrt(fanIn);
    return Float64Array.from({ length: n }, () => (2 * rnd() - 1) * b);
  };
  return { D, h, W1: u(D, h * D), b1: u(D, h), W2: u(h, D * h), b2: u(h, D) };
}

/**
 * Seeded initialisation of the BA module: every Linear as PyTorch's default, weights and biases
 * U(−1/√fan_in, 1/√fan_in), drawn in a fixed order from `seed`.
 * @param D - embedding dimension.
 * @param hidden1 - hidden width of the image-only MLP.
 * @param hidden2 - hidden width of the shared MLP.
 * @param seed - PRNG seed.
 * @returns new parameters.
 * @throws ArgumentError for a non-positive dimension or width.
 */
export function initBaParams(D: number, hidden1: number, hidden2: number, seed: number): BaParams {
  for (const [name, v] of [
    ['dimension', D],
    ['hidden1', hidden1],
    ['hidden2', hidden2],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`${name} must be a positive integer, got ${v}`);
  }
  const rnd = mulberry32(seed);
  return { mlp1: initMlp(D, hidden1, rnd), mlp2: initMlp(D, hidden2, rnd) };
}

/**
 * A deep copy of BA parameters (the momentum model starts as one).
 * @param p - the parameters.
 * @returns new arrays with the same values.
 */
export function cloneParams(p: BaParams): BaParams {
  const c = (m: Mlp): Mlp => ({
    D: m.D,
    h: m.h,
    W1: m.W1.slice(),
    b1: m.b1.slice(),
    W2: m.W2.slice(),
    b2: m.b2.slice(),
  });
  return { mlp1: c(p.mlp1), mlp2: c(p.mlp2) };
}

/**
 * Flat views of every parameter array, in a fixed order (mlp1.W1, b1, W2, b2, mlp2.…).
 * @param p - the parameters.
 * @returns the eight arrays (views, not copies) in `PARAM_NAMES` order.
 */
export function paramList(p: BaParams): Float64Array[] {
  return [p.mlp1.W1, p.mlp1.b1, p.mlp1.W2, p.mlp1.b2, p.mlp2.W1, p.mlp2.b1, p.mlp2.W2, p.mlp2.b2];
}
export const PARAM_NAMES = ['mlp1.W1', 'mlp1.b1', 'mlp1.W2', 'mlp1.b2', 'mlp2.W1', 'mlp2.b1', 'mlp2.W2', 'mlp2.b2'];

/**
 * θ_m ← m·θ_m + (1 − m)·θ (ALBEF momentum update).
 * @param target - the momentum parameters, updated in place.
 * @param source - the trained parameters.
 * @param momentum - m in [0, 1].
 */
export function emaUpdate(target: BaParams, source: BaParams, momentum: number): void {
  const t = paramList(target);
  const s = paramList(source);
  for (let k = 0; k < t.length; k++)
    for (let i = 0; i < t[k].length; i++) t[k][i] = momentum * t[k][i] + (1 - momentum) * s[k][i];
}

/** Dense products used by the module; `C = A·Bᵀ` (nt), `C = A·B` (nn), `C = Aᵀ·B` (tn). Row-major. */
export interface MatmulBackend {
  /** A: m×k, B: n×k → m×n */
  nt(A: Float64Array, B: Float64Array, m: number, k: number, n: number): Promise<Float64Array>;
  /** A: m×k, B: k×n → m×n */
  nn(A: Float64Array, B: Float64Array, m: number, k: number, n: number): Promise<Float64Array>;
  /** A: k×m, B: k×n → m×n */
  tn(A: Float64Array, B: Float64Array, k: number, m: number, n: number): Promise<Float64Array>;
}

export const cpuMatmul: MatmulBackend = {
  async nt(A, B, m, k, n) {
    const C = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      const a = i * k;
      for (let j = 0; j < n; j++) {
        const b = j * k;
        let s = 0;
        for (let t = 0; t < k; t++) s += A[a + t] * B[b + t];
        C[i * n + j] = s;
      }
    }
    return C;
  },
  async nn(A, B, m, k, n) {
    const C = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      const c = i * n;
      for (let t = 0; t < k; t++) {
        const a = A[i * k + t];
        if (a === 0) continue;
        const b = t * n;
        for (let j = 0; j < n; j++) C[c + j] += a * B[b + j];
      }
    }
    return C;
  },
  async tn(A, B, k, m, n) {
    const C = new Float64Array(m * n);
    for (let t = 0; t < k; t++) {
      for (let i = 0; i < m; i++) {
        const a = A[t * m + i];
        if (a === 0) continue;
        const c = i * n;
        const b = t * n;
        for (let j = 0; j < n; j++) C[c + j] += a * B[b + j];
      }
    }
    return C;
  },
};

/** Saved activations of one MLP call (for the backward pass). */
export interface MlpTape {
  x: Float64Array;
  a1: Float64Array;
  r1: Float64Array;
  a2: Float64Array;
  rows: number;
}

/** MLP(x) = ReLU(W2·ReLU(W1·x + b1) + b2) for each row of x (rows×D). */
export async function mlpForward(
  mm: MatmulBackend,
  p: Mlp,
  x: Float64Array,
  rows: number,
): Promise<{ out: Float64Array; tape: MlpTape }> {
  const a1 = await mm.nt(x, p.W1, rows, p.D, p.h);
  const r1 = new Float64Array(a1.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < p.h; j++) {
      const v = a1[i * p.h + j] + p.b1[j];
      a1[i * p.h + j] = v;
      r1[i * p.h + j] = v > 0 ? v : 0;
    }
  const a2 = await mm.nt(r1, p.W2, rows, p.h, p.D);
  const out = new Float64Array(a2.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < p.D; j++) {
      const v = a2[i * p.D + j] + p.b2[j];
      a2[i * p.D + j] = v;
      out[i * p.D + j] = v > 0 ? v : 0;
    }
  return { out, tape: { x, a1, r1, a2, rows } };
}

/** Backward through one MLP call: accumulates into `grad` (same layout as the MLP) and returns ∂L/∂x. */
export async function mlpBackward(
  mm: MatmulBackend,
  p: Mlp,
  tape: MlpTape,
  dOut: Float64Array,
  grad: Mlp,
  needDx = true,
): Promise<Float64Array | undefined> {
  const { rows } = tape;
  const dA2 = new Float64Array(dOut.length);
  for (let i = 0; i < dOut.length; i++) dA2[i] = tape.a2[i] > 0 ? dOut[i] : 0;
  const dW2 = await mm.tn(dA2, tape.r1, rows, p.D, p.h);
  for (let i = 0; i < dW2.length; i++) grad.W2[i] += dW2[i];
  for (let i = 0; i < rows; i++) for (let j = 0; j < p.D; j++) grad.b2[j] += dA2[i * p.D + j];
  const dR1 = await mm.nn(dA2, p.W2, rows, p.D, p.h);
  for (let i = 0; i < dR1.length; i++) if (!(tape.a1[i] > 0)) dR1[i] = 0;
  const dW1 = await mm.tn(dR1, tape.x, rows, p.h, p.D);
  for (let i = 0; i < dW1.length; i++) grad.W1[i] += dW1[i];
  for (let i = 0; i < rows; i++) for (let j = 0; j < p.h; j++) grad.b1[j] += dR1[i * p.h + j];
  return needDx ? mm.nn(dR1, p.W1, rows, p.h, p.D) : undefined;
}

export interface ImageTape {
  m1: MlpTape;
  m2: MlpTape;
}

/** g_I = mlp2(mlp1(e_I) + e_I) + e_I */
export async function imageForward(
  mm: MatmulBackend,
  p: BaParams,
  e: Float64Array,
  rows: number,
): Promise<{ g: Float64Array; tape: ImageTape }> {
  const a = await mlpForward(mm, p.mlp1, e, rows);
  const u = a.out;
  for (let i = 0; i < u.length; i++) u[i] += e[i];
  const b = await mlpForward(mm, p.mlp2, u, rows);
  const g = b.out;
  for (let i = 0; i < g.length; i++) g[i] += e[i];
  return { g, tape: { m1: a.tape, m2: b.tape } };
}

/** g_T = mlp2(e_T) + e_T */
export async function textForward(
  mm: MatmulBackend,
  p: BaParams,
  e: Float64Array,
  rows: number,
): Promise<{ g: Float64Array; tape: MlpTape }> {
  const b = await mlpForward(mm, p.mlp2, e, rows);
  const g = b.out;
  for (let i = 0; i < g.length; i++) g[i] += e[i];
  return { g, tape: b.tape };
}

/** Row L2 normalisation; returns the unit rows and the norms. Zero rows are an error (named by `what`). */
export function normalizeRows(
  x: Float64Array,
  rows: number,
  D: number,
  what: string,
): { u: Float64Array; norms: Float64Array } {
  const u = new Float64Array(x.length);
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += x[i * D + j] ** 2;
    const n = Math.sqrt(s);
    if (!(n > 0) || !Number.isFinite(n))
      throw new ArgumentError(`${what}: row ${i} has ${n > 0 ? 'a non-finite' : 'zero'} norm`);
    norms[i] = n;
    for (let j = 0; j < D; j++) u[i * D + j] = x[i * D + j] / n;
  }
  return { u, norms };
}

/** ∂/∂g = (I − ĝĝᵀ)(∂/∂ĝ)/‖g‖, row-wise */
export function normalizeBackward(
  u: Float64Array,
  norms: Float64Array,
  dU: Float64Array,
  rows: number,
  D: number,
): Float64Array {
  const out = new Float64Array(dU.length);
  for (let i = 0; i < rows; i++) {
    let dot = 0;
    for (let j = 0; j < D; j++) dot += u[i * D + j] * dU[i * D + j];
    for (let j = 0; j < D; j++) out[i * D + j] = (dU[i * D + j] - u[i * D + j] * dot) / norms[i];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Bank losses, one batch row at a time (the row operation the GPU kernel mirrors).

// The per-row BA loss (KL + soft cross-entropy and ∂L/∂z) is the kernels' float64 reference, `debiasRowLossRef`
// in @m4kit/kernels/advanced (ops/debias-loss/reference.ts): one definition for the CPU bank and the kernel's oracle.

/** Shapes and finiteness of a feature matrix; errors name the input. */
export function checkMatrix(name: string, x: ArrayLike<number>, rows: number, D: number): void {
  if (x.length !== rows * D) throw new ShapeError(`${name}: ${x.length} values, expected ${rows}×${D}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]))
      throw new ArgumentError(`${name}: row ${Math.floor(i / D)} has a non-finite value (column ${i % D})`);
  }
}
