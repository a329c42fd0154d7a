// Full-batch M4 dual solver (spec ALGORITHMS.md §1.5–1.6b) on
//   g(v, µ) = (1/N) Σ_i w_i [ ½(q_i − q0_i)² + q_i (a_iᵀv + µ) ] − vᵀε − µη,   0 ≤ v ≤ V,
// with q_i = clip(q0_i − a_iᵀv − µ, 0, 1). It talks to the data only through a MomentsEngine.
// Two methods: a second-order proximal Newton method (newton.ts; needs engine.hessian), the default, and
// accelerated projected dual ascent (fista.ts), used when the engine has no Hessian pass, when
// K = m(c+1)+1 is too large for the host model solve, or to finish a Newton run that stalls.
// This file is the door for direct callers: it resolves and checks the options once, then runs solve-core.ts.
// The pipelines resolve at their own door (balance/options.ts) and call solve-core.ts directly.
import { ArgumentError } from '@m4kit/kernels';
import { validatePi } from './pi.js';
import {
  resolveFeasibleEtaOptions,
  resolveSolveOptions,
  type ResolvedFeasibleEtaOptions,
  type ResolvedSolveOptions,
} from './solver-options.js';
import { maxFeasibleEtaResolved, solveResolved } from './solve-core.js';
import type { MaxFeasibleEtaOptions, MaxFeasibleEtaResult, SolveOptions, SolveResult } from './solve-types.js';
import type { MomentsEngine } from './types.js';

export type * from './solve-types.js';

function validateEngine(engine: MomentsEngine): void {
  if (engine == null || typeof engine.pass !== 'function') throw new ArgumentError('engine: expected a MomentsEngine');
  validatePi(engine.pi, engine.m, 'engine.pi');
}

/**
 * The largest keep-rate η for which the hard constraints (V = ∞) are satisfiable:
 *   max (1/N) Σ w q   s.t.  q ∈ [0,1]ⁿ,  |(1/N) Σ w q (s − π)_k [1, y]_r| ≤ ε_{kr}        ('joint')
 *                                    or  |Σ w q (s − π)_k [1, y]_r| ≤ ε_{kr} Σ w q           ('balanced', default).
 * The balanced constraints are a cone (scaling q keeps them), so feasibility stays monotone in η.
 * Solved through the engine as a quadratically regularised LP with continuation (see maxFeasibleEtaCore).
 * The returned value is attained by a q whose violation is ≤ 10·tol (a lower bound, accurate to ~1e-7).
 * @param engine - the data as a `MomentsEngine`.
 * @param options - the tolerances and the stopping rule.
 * @returns the largest feasible η and its dual point.
 * @throws OptionError for bad options; ArgumentError for an invalid engine.
 */
export async function maxFeasibleEta(
  engine: MomentsEngine,
  options: MaxFeasibleEtaOptions | ResolvedFeasibleEtaOptions = {},
): Promise<MaxFeasibleEtaResult> {
  validateEngine(engine);
  return maxFeasibleEtaResolved(engine, resolveFeasibleEtaOptions(options));
}

/**
 * Full-batch M4 solve (spec §1.6b): FISTA on the dual with backtracking and adaptive restart.
 * Returns the dual point; q = engine.q(result.W, result.mu, result.eta).
 * @param engine - the data as a `MomentsEngine` (`createGpuEngine`, `createCpuEngine`, …).
 * @param options - η, π, tolerances, method and stopping rule.
 * @returns the dual point, the status and the solver report.
 * @throws OptionError for bad options; ArgumentError for an engine whose π differs from `options.pi`.
 *
 * @example
 * ```js
 * import { createCpuEngine, solveBatch } from '@m4kit/sdk/advanced';
 * // 6 rows, one attribute pair (one-hot S) and one label; keep half of them with balanced shares and no association
 * const S = Float64Array.from([1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1]);
 * const Y = Float64Array.from([1, 1, 0, 0, 1, 0]);
 * const engine = createCpuEngine({ n: 6, m: 2, c: 1, S, Y }, [0.5, 0.5]);
 * const res = await solveBatch(engine, { eta: 0.5, pi: [0.5, 0.5], epsRep: 0, epsAssoc: 0 });
 * const q = await engine.q(res.W, res.mu, 0.5); // keep probability per row
 * console.log(res.status, Array.from(q, (x) => x.toFixed(3)));
 * ```
 */
export async function solveBatch(
  engine: MomentsEngine,
  options: SolveOptions | ResolvedSolveOptions,
): Promise<SolveResult> {
  validateEngine(engine);
  const opts = resolveSolveOptions(options);
  if (opts.pi !== undefined) {
    validatePi(opts.pi, engine.m);
    for (let k = 0; k < engine.m; k++) {
      if (Math.abs(opts.pi[k] - engine.pi[k]) > 1e-12) {
        throw new ArgumentError(`pi[${k}] = ${opts.pi[k]} differs from the engine's π[${k}] = ${engine.pi[k]}`);
      }
    }
  }
  const P = engine.m * (engine.c + 1);
  if (opts.warmStart) {
    const ws = opts.warmStart;
    if (!ws.v || ws.v.length !== 2 * P)
      throw new ArgumentError(`warmStart.v: length ${ws.v?.length} ≠ 2m(c+1) = ${2 * P}`);
  }
  return solveResolved(engine, opts);
}
