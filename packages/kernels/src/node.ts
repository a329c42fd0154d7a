/**
 * Node entry: registers Dawn (the `webgpu` package, an optional peer dependency) as the GPU provider when imported
 * (declared in package.json `sideEffects`, so bundlers keep it). The only file that loads `webgpu`.
 *   import { init } from '@m4kit/kernels/node';
 * `webgpu` is loaded on first use through `createRequire`, so a missing package is a typed `MissingDependencyError`
 * saying what to install, and a bundled app (esbuild, Rollup, webpack) resolves the native package from its own
 * node_modules at run time instead of inlining it. Where `navigator.gpu` exists (Deno), it is used instead of Dawn.
 */
import { createRequire } from 'node:module';
import { MissingDependencyError, NoAdapterError } from './runtime/errors.js';
import { setGpuProvider } from './runtime/gpu.js';

/** The `webgpu` version this release is tested with (peer range in package.json). */
export const DAWN_PACKAGE = 'webgpu@0.6.2';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

function loadDawn(): DawnModule {
  const require = createRequire(import.meta.url);
  try {
    return require('webgpu') as DawnModule;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'MODULE_NOT_FOUND' && /'webgpu'/.test(err.message)) {
      throw new MissingDependencyError(
        'webgpu',
        `@m4kit/kernels/node needs the optional peer dependency "webgpu" (Dawn for Node): ` +
          `npm install ${DAWN_PACKAGE}. ` +
          'In Deno or a browser import "@m4kit/kernels" instead (navigator.gpu); or pass { backend: "cpu" }.',
        { cause: e },
      );
    }
    if (err?.code === 'ERR_REQUIRE_ESM') {
      const msg = `loading "webgpu" needs Node >= 20.19 (require of ES modules); this is Node ${process.version}`;
      throw new MissingDependencyError('webgpu', msg, { cause: e });
    }
    throw new NoAdapterError(`cannot load Dawn (the "webgpu" package): ${err?.message ?? e}`);
  }
}

let gpu: GPU | undefined;
/** Dawn's `GPU` (installs the WebGPU globals such as `GPUBufferUsage` on first call); `MissingDependencyError`. */
export function nodeGPU(flags: string[] = []): GPU {
  if (!gpu) {
    const { create, globals } = loadDawn();
    Object.assign(globalThis, globals);
    gpu = create(flags);
  }
  return gpu;
}

/** Register Dawn as the GPU provider (done on import; call again after `setGpuProvider(undefined)`). */
export function registerDawn(flags: string[] = []): void {
  setGpuProvider(() => (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? nodeGPU(flags));
}
registerDawn();
export * from './index.js';
