/**
 * Node entry: registers Dawn (the `webgpu` package, an optional peer dependency) as the GPU provider when imported
 * (declared in package.json `sideEffects`, so bundlers keep it). The only file that loads `webgpu`.
 *   import { init } from '@m4kit/kernels/node';
 * `webgpu` is loaded on first use by a `require` that bundlers cannot see (`process.getBuiltinModule('module')`'s
 * `createRequire`), so no bundler inlines or rewrites the native package: a bundled app (esbuild ESM or CJS,
 * Rollup, webpack, Vite SSR, Bun) resolves it at run time from this file's location, the entry script's or the
 * working directory's node_modules. A missing package is a typed `MissingDependencyError` saying what to install
 * and where it was looked for. Where `navigator.gpu` exists (Deno), it is used instead of Dawn.
 */
import { MissingDependencyError, NoAdapterError } from './runtime/errors.js';
import { setGpuProvider } from './runtime/gpu.js';

/** The `webgpu` version this release is tested with (peer range in package.json). */
export const DAWN_PACKAGE = 'webgpu@0.6.2';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

type NodeModuleApi = { createRequire(from: string): NodeJS.Require };

/** This module's own URL where the bundle kept it: ESM builds; a CJS bundle has no `import.meta` (esbuild: `{}`). */
function selfUrl(): string | undefined {
  try {
    const url = (import.meta as { url?: unknown }).url;
    return typeof url === 'string' && url.startsWith('file:') ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where `webgpu` is resolved from, in order: this file (an unbundled install), the entry script (a bundle next to
 * its node_modules) and the working directory.
 */
function searchBases(): string[] {
  const bases = [selfUrl(), process.argv[1], `${process.cwd()}/`].filter((b): b is string => !!b);
  return [...new Set(bases)];
}

function loadDawn(): DawnModule {
  const nodeModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('module') as
    NodeModuleApi | undefined;
  if (!nodeModule)
    throw new MissingDependencyError(
      'webgpu',
      `loading "webgpu" needs Node >= 20.19 (process.getBuiltinModule, require of ES modules); ` +
        `this is Node ${process.version}`,
    );
  const bases = searchBases();
  let resolved: { require: NodeJS.Require; path: string } | undefined;
  for (const base of bases) {
    try {
      const require = nodeModule.createRequire(base);
      resolved = { require, path: require.resolve('webgpu') };
      break;
    } catch {
      // not resolvable from this base: try the next
    }
  }
  if (!resolved)
    throw new MissingDependencyError(
      'webgpu',
      `@m4kit/kernels/node needs the optional peer dependency "webgpu" (Dawn for Node): ` +
        `npm install ${DAWN_PACKAGE} (looked for it from ${bases.join(', ')}; a bundled app loads it at run time ` +
        'from the node_modules beside the bundle or the working directory). ' +
        'In Deno or a browser import "@m4kit/kernels" instead (navigator.gpu); or pass { backend: "cpu" }.',
    );
  try {
    return resolved.require(resolved.path) as DawnModule;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'ERR_REQUIRE_ESM') {
      const msg = `loading "webgpu" needs Node >= 20.19 (require of ES modules); this is Node ${process.version}`;
      throw new MissingDependencyError('webgpu', msg, { cause: e });
    }
    throw new NoAdapterError(`cannot load Dawn (the "webgpu" package at ${resolved.path}): ${err?.message ?? e}`);
  }
}

let gpu: GPU | undefined;
/**
 * Dawn's `GPU` (installs the WebGPU globals such as `GPUBufferUsage` on first call); `MissingDependencyError`.
 * @param flags - Dawn toggles passed to `create()` on the first call only (e.g. `['enable-dawn-features=…']`).
 * @returns the process-wide Dawn `GPU` object.
 * @throws MissingDependencyError when the optional `webgpu` package cannot be resolved; NoAdapterError when it
 *   cannot be loaded.
 */
export function nodeGPU(flags: string[] = []): GPU {
  if (!gpu) {
    const { create, globals } = loadDawn();
    Object.assign(globalThis, globals);
    gpu = create(flags);
  }
  return gpu;
}

/**
 * Register Dawn as the GPU provider (done on import; call again after `setGpuProvider(undefined)`).
 * @param flags - Dawn toggles for `nodeGPU()`; ignored where `navigator.gpu` exists (Deno), which is preferred.
 */
export function registerDawn(flags: string[] = []): void {
  setGpuProvider(() => (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? nodeGPU(flags));
}
registerDawn();
export * from './index.js';
