// @m4kit/sdk — runtime-neutral entry (browser, Deno, Node): the user API. File IO that needs node:fs lives in
// ./node; the solvers, engines and training internals the pipelines are built from live in ./advanced (not stable).
export * from './selfcheck.js';
export type { SolveStatus, SolveMethod, SolverInfo, SolveProgress } from './balance/solve.js';
export {
  SQL_DIALECTS,
  patternCountSql,
  joinBackSql,
  uniformSql,
  type SqlDialect,
  type SqlSpec,
} from './balance/sql.js';
export {
  biasReport,
  formatBiasReport,
  type BiasReport,
  type BiasSummary,
  type GroupBias,
  type LabelBias,
} from './balance/metrics.js';
export * from './balance/options.js';
export {
  InfeasibleError,
  NotConvergedError,
  violatedConstraints,
  type ViolatedConstraint,
} from './balance/infeasible.js';
export * from './io/errors.js';
export { OptionError, type OptionLabels } from './options.js';
export * from './io/encode.js';
export {
  uniformAt,
  balanceEncoded,
  type BalanceOptions,
  type BalanceReport,
  type BalanceResult,
} from './pipeline/balance.js';
export * from './evaluate/index.js';
export * from './debias/index.js';
export * from './train/index.js';
export * from './io/parse-bytes.js';
export { TABLE_FORMATS, tableFile, type TableFile, type TableFormatSpec } from './io/formats.js';
export {
  openSafetensors,
  bytesReader,
  blobReader,
  type ByteRangeReader,
  type SafetensorsEntry,
  type SafetensorsFail,
  type SafetensorsFile,
  type SafetensorsFloat,
  type SafetensorsHeader,
  type SafetensorsTensor,
} from './io/safetensors.js';
export * from './clip/image/index.js';
export * from './clip/index.js';
export * from './clip/images.js';
export { npyBytes, type NpyDType } from './io/tensor-bytes.js';
export type * from './clip/types.js';
export { ClipAbortedError } from './clip/towers-gpu.js';
