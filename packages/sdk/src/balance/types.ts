// The contract between the M4 solver (solve.ts, stream.ts) and the engines that evaluate moment sums
// over rows or patterns (engine-cpu.ts: float64; engine-gpu.ts: the fused WGSL moments kernel).
// Notation follows shared/spec/ALGORITHMS.md §1.4–1.6.

/** Encoded balancing data, row-major. A "row" is one example, or one pattern carrying a multiplicity w. */
export interface BalanceData {
  /** number of rows (or patterns) */
  n: number;
  /** sensitive attributes */
  m: number;
  /** labels / proxies to decorrelate from the attributes */
  c: number;
  /** n×m attribute indicators or probabilities in [0,1] */
  S: Float64Array | Float32Array;
  /** n×c label indicators or probabilities in [0,1] */
  Y: Float64Array | Float32Array;
  /** optional per-row utility u_i (q0_i = η + u_i) */
  u?: Float64Array | Float32Array;
  /** optional multiplicity (pattern counts); default 1 */
  w?: Float64Array | Float32Array;
}

/** Weighted sums from one fused pass over the data. */
export interface MomentsSums {
  /** Σ w_i */
  sumW: number;
  /** Σ w_i q_i */
  sumQ: number;
  /** m×(c+1), row-major (attribute k, then r = 0..c with r = 0 first-order): Σ w_i q_i (s_ik − π_k)·[1, y_i]_r */
  D: Float64Array;
  /** length c: Σ w_i q_i y_ir (for conditional group shares per label) */
  qy: Float64Array;
  /** Σ w_i [ ½ (q_i − q0_i)² + q_i ((s_i − π)ᵀ W [1; y_i] + µ) ]  (the data part of the dual objective, unnormalised) */
  obj: number;
}

/**
 * Evaluates the closed-form q and its moment sums for a dual point, without materialising the bias vectors:
 *   q_i = clip(η + u_i − (s_i − π)ᵀ W [1; y_i] − µ, 0, 1),   W = v⁺ − v⁻  (m×(c+1)).
 * Every method is a reduction over rows, so engines may stream rows from disk or the GPU in chunks.
 */
export interface MomentsEngine {
  readonly n: number;
  readonly m: number;
  readonly c: number;
  readonly pi: Float64Array;
  /** One pass at (W, µ, η). With `fixedQ` every q_i is that constant instead (raw-data statistics use 1). */
  pass(W: Float64Array, mu: number, eta: number, fixedQ?: number): Promise<MomentsSums>;
  /** q per row (or pattern) at (W, µ, η). */
  q(W: Float64Array, mu: number, eta: number): Promise<Float64Array>;
  /** Σ w_i (2‖d_i‖² + 1) with d_i = (s_i − π)⊗[1, y_i]: a Frobenius bound on ‖[A, 1]‖₂² (safe step 1/L). */
  frobenius(): Promise<number>;
  /**
   * Optional second-order statistic for the Newton solver (newton.ts): the generalised Hessian of the dual's data
   * term, H = Σ_{i: 0 < q̂_i < 1} w_i z_i z_iᵀ with z_i = [(s_i − π) ⊗ [1, y_i]; 1] (K×K row-major, K = m(c+1)+1),
   * q̂_i = η + u_i − (s_i − π)ᵀ W [1; y_i] − µ, over rows 0, stride, 2·stride, … (default stride 1: every row).
   * Engines without it are solved by the first-order method.
   */
  hessian?(W: Float64Array, mu: number, eta: number, stride?: number): Promise<Float64Array>;
  dispose(): void;
}
