// @m4kit/sdk/node — Node entry: registers Dawn and adds filesystem IO.
import '@m4kit/kernels/node';
export * from './index.js';
