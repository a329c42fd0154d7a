// M4 data balancing: engines, pattern compression, batch and streaming dual solvers, bias metrics.
export type { BalanceData, MomentsSums, MomentsEngine } from './types.js';
export { createCpuEngine, validateBalanceData, validatePi } from './engine-cpu.js';
export { compressPatterns, expandPatternQ, type CompressedPatterns } from './patterns.js';
export {
  solveBatch,
  maxFeasibleEta,
  type SolveOptions,
  type SolveResult,
  type SolveStatus,
  type SolveMethod,
  type SolverInfo,
  type SolveProgress,
  type MaxFeasibleEtaOptions,
  type MaxFeasibleEtaResult,
} from './solve.js';
export {
  SQL_DIALECTS,
  patternCountSql,
  joinBackSql,
  uniformSql,
  keepHashStages,
  type SqlDialect,
  type SqlSpec,
} from './sql.js';
export { newtonCore, solveModel, dualityGap, type NewtonArgs, type NewtonResult } from './newton.js';
export { solveStreaming, type StreamOptions, type StreamResult } from './stream.js';
export {
  biasReport,
  formatBiasReport,
  type BiasReport,
  type BiasSummary,
  type GroupBias,
  type LabelBias,
} from './metrics.js';
export * from './options.js';
export {
  feasibleEtaOptionsFrom,
  resolveFeasibleEtaOptions,
  resolveSolveOptions,
  resolveStreamOptions,
  solverOptionsFrom,
  streamEpochs,
  type ResolvedFeasibleEtaOptions,
  type ResolvedSolveOptions,
  type ResolvedStreamOptions,
} from './solver-options.js';

export { InfeasibleError, NotConvergedError, violatedConstraints, type ViolatedConstraint } from './infeasible.js';
