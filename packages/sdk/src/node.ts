// @m4kit/sdk/node — Node entry: registers Dawn and adds filesystem IO.
import '@m4kit/kernels/node';
export * from './index.js';
import './clip/image/node.js';
export { readImageFile } from './clip/image/node.js';
export * from './io/read.js';
export * from './io/write.js';
export * from './pipeline/balance-file.js';
export * from './io/embeddings.js';
export * from './pipeline/evaluate-file.js';
export { evalReportHtml } from './report/html.js';
export * from './debias/io.js';
export * from './train/node.js';
export * from './pipeline/balance-duckdb.js';
export { loadDuckDB, openDuckDB, MissingDependencyError, type DuckOptions, type DuckSession } from './io/duckdb.js';
export { fileReader, openSafetensorsFile } from './io/safetensors-file.js';
export { loadClip, loadClipTokenizer, clipFolder } from './clip/node.js';
