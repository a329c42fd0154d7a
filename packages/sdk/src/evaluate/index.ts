export * from './metrics.js';
export { l2normalizeRows, searchTopK, type Embeddings, type TopKResult, type SearchOptions } from './search.js';
export * from './tasks.js';
export * from './prompts.js';
