// Entry of dist/browser/m4kit.js (built by tsup.config.ts onSuccess with esbuild): the runtime-neutral SDK plus
// the kernels as `kernels`, one ES module with every dependency inside, for a plain <script type="module">:
//   import { kernels, parseTableBytes, TableEncoder, balanceEncoded } from './m4kit.js';
//   const k = await kernels.init();
export * from './index.js';
export * as kernels from '@m4kit/kernels';
