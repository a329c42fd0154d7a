export * from './types.js';
export { train } from './train.js';
