import { NoAdapterError } from './errors.js';

/**
 * The one seam through which m4kit finds a `GPU` object (gpuweb/cts style):
 *  - Deno and browsers: `navigator.gpu`
 *  - Node: `@m4kit/kernels/node` registers Dawn (the `webgpu` package) through `setGpuProvider`.
 *  - Callers may pass their own `GPU` (or a device, see `initFromDevice`).
 */
type GpuProvider = () => GPU | Promise<GPU>;
// on globalThis under a registered symbol, so the ESM and the CommonJS builds of this package loaded side by side
// (an app that `require`s one entry and `import`s another) share the one provider
const SLOT = Symbol.for('@m4kit/kernels.gpuProvider');
type Slot = { [SLOT]?: GpuProvider };

/**
 * Register where `getGPU()` takes the `GPU` from (`@m4kit/kernels/node` registers Dawn); `undefined` removes it.
 *
 * @param p - a function returning the `GPU` object (or a promise of it), or undefined
 */
export function setGpuProvider(p: GpuProvider | undefined): void {
  (globalThis as Slot)[SLOT] = p;
}

/**
 * The `GPU` m4kit uses: the registered provider (Dawn, once `@m4kit/kernels/node` is imported), else
 * `navigator.gpu`.
 *
 * @returns the WebGPU entry object
 * @throws NoAdapterError when there is neither
 */
export async function getGPU(): Promise<GPU> {
  const provider = (globalThis as Slot)[SLOT];
  if (provider) return provider();
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  throw new NoAdapterError(
    'No WebGPU implementation found: navigator.gpu is missing. In Node, import "@m4kit/kernels/node" (Dawn); ' +
      'in Chromium start with --enable-unsafe-webgpu; or pass { backend: "cpu" }.',
  );
}

/**
 * True when the process runs under CI (then a missing adapter must fail, never fall back).
 * @returns true when `CI` is 'true' or '1' (Node or Deno env) or `globalThis.__M4KIT_CI__` is set.
 */
export function isCI(): boolean {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env: { get(k: string): string | undefined } };
    __M4KIT_CI__?: boolean;
  };
  if (g.__M4KIT_CI__) return true;
  let v: string | undefined;
  try {
    v = g.process?.env?.CI ?? g.Deno?.env.get('CI');
  } catch {
    v = undefined;
  }
  return v === 'true' || v === '1';
}
