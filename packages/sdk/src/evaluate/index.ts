export * from './metrics.js';
export * from './search.js';
export * from './tasks.js';
export * from './prompts.js';
