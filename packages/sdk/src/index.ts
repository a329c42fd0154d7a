// @m4kit/sdk — runtime-neutral entry (browser, Deno, Node). File IO that needs node:fs lives in ./node.
export * from './selfcheck.js';
export * from './balance/index.js';
export {
  createGpuEngine,
  type GpuEngineOptions,
  type GpuRowEncoding,
  type GpuMomentsEngineHandle,
} from './balance/engine-gpu.js';
export * from './io/errors.js';
export { OptionError, type OptionLabels } from './options.js';
export * from './io/encode.js';
export * from './pipeline/balance.js';
export { mergeEngines, addMomentsSums } from './balance/engine-merge.js';
export * from './evaluate/index.js';
export * from './debias/index.js';
export * from './train/index.js';
export * from './io/parse-bytes.js';
export { TABLE_FORMATS, tableFile, type TableFile, type TableFormatSpec } from './io/formats.js';
export {
  categoryOf,
  numberOf,
  probabilityOf,
  idOf,
  embeddingValueOf,
  isMissing,
  nearDuplicateWarnings,
  checkExactColumns,
  type Where as ValueWhere,
} from './io/values.js';
export {
  openSafetensors,
  bytesReader,
  blobReader,
  safetensorsHeaderOf,
  safetensorsHeaderLength,
  parseSafetensorsHeader,
  decodeF32,
  decodeF64,
  SAFETENSORS_DTYPE_BYTES,
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
export { createGpuTowers, ClipAbortedError } from './clip/towers-gpu.js';
