// The float64 MomentsEngine (spec ALGORITHMS.md §1.5): the CPU backend of `k.moments`, and the data checks.
import { ArgumentError, CpuKernels, ShapeError } from '@m4kit/kernels';
import { createGpuEngine } from './engine-gpu.js';
import { validatePi } from './pi.js';
import type { BalanceData, MomentsEngine } from './types.js';

export { validatePi };

type Arr = ArrayLike<number>;

function isArrayLikeNumber(x: unknown): x is Arr {
  return x != null && typeof (x as Arr).length === 'number';
}

/**
 * Checks the shapes and values of `data` (and `pi` when given). Throws `ShapeError` for shape mismatches and
 * `ArgumentError` for bad values; messages name the offending argument. Shared by every consumer of BalanceData.
 * @param data - the rows (n, m, c, S, Y and optional u, w, weights).
 * @param pi - optional target shares to check against m.
 */
export function validateBalanceData(data: BalanceData, pi?: Arr): void {
  if (data == null || typeof data !== 'object') throw new ArgumentError('data: expected a BalanceData object');
  const { n, m, c } = data;
  for (const [name, v, min] of [
    ['n', n, 1],
    ['m', m, 1],
    ['c', c, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min)
      throw new ArgumentError(`data.${name}: expected an integer ≥ ${min}, got ${v}`);
  }
  if (!isArrayLikeNumber(data.S)) throw new ShapeError('data.S: missing (expected n*m values)');
  if (data.S.length !== n * m) throw new ShapeError(`data.S: length ${data.S.length} ≠ n*m = ${n}*${m} = ${n * m}`);
  if (!isArrayLikeNumber(data.Y)) throw new ShapeError('data.Y: missing (expected n*c values)');
  if (data.Y.length !== n * c) throw new ShapeError(`data.Y: length ${data.Y.length} ≠ n*c = ${n}*${c} = ${n * c}`);
  if (data.u != null && data.u.length !== n) throw new ShapeError(`data.u: length ${data.u.length} ≠ n = ${n}`);
  if (data.w != null && data.w.length !== n) throw new ShapeError(`data.w: length ${data.w.length} ≠ n = ${n}`);
  const checkRange = (name: string, a: Arr) => {
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (!(x >= 0 && x <= 1)) throw new ArgumentError(`data.${name}[${i}] = ${x}: expected a value in [0, 1]`);
    }
  };
  checkRange('S', data.S);
  checkRange('Y', data.Y);
  if (data.u != null) {
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(data.u[i])) throw new ArgumentError(`data.u[${i}] = ${data.u[i]}: expected a finite number`);
  }
  if (data.w != null) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const x = data.w[i];
      if (!(x >= 0 && Number.isFinite(x))) throw new ArgumentError(`data.w[${i}] = ${x}: expected a finite weight ≥ 0`);
      s += x;
    }
    if (!(s > 0)) throw new ArgumentError('data.w: the weights sum to 0');
  }
  if (pi !== undefined) validatePi(pi, m);
}

/**
 * Float64 MomentsEngine over the rows (or patterns) of `data`, with target shares `pi` (length m, in (0,1)).
 * The data arrays are referenced, not copied: do not mutate them while the engine is in use.
 */
export interface CpuEngineOptions {
  /**
   * 'auto' (default): rows with a one-hot S and 0/1 labels take the categorical path (group index + label list per
   * row, so a row costs 1 + its label count instead of m(c+1)); 'dense': always the dense loops (tests compare).
   */
  layout?: 'auto' | 'dense';
}

/**
 * The float64 moments engine over rows (or patterns) held in memory: the solver's reference and CPU backend —
 * the Kernels engine (engine-gpu.ts) over the CPU backend, whose `k.moments` runs the float64 loops (dense rows,
 * or categorical rows when S is one-hot and Y 0/1: u8/u16 groups + label bits). The data is validated (values
 * in range, π in (0, 1)) before anything else.
 *
 * @param data - attribute and label indicators (and utility, multiplicities) per row
 * @param pi - the target share per group
 * @param opts - engine options
 * @returns a `MomentsEngine` for `solveBatch` / `maxFeasibleEta`
 */
export function createCpuEngine(data: BalanceData, pi: ArrayLike<number>, opts: CpuEngineOptions = {}): MomentsEngine {
  validateBalanceData(data, pi);
  if (opts.layout !== undefined && opts.layout !== 'auto' && opts.layout !== 'dense')
    throw new ArgumentError(`layout must be 'auto' or 'dense', got '${opts.layout}'`);
  return createGpuEngine(new CpuKernels(), data, pi, { encoding: opts.layout === 'dense' ? 'f32' : 'categorical' });
}
