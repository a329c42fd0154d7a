import { NoAdapterError } from './errors.js';

/**
 * The one seam through which m4kit finds a `GPU` object (gpuweb/cts style):
 *  - Deno and browsers: `navigator.gpu`
 *  - Node: `@m4kit/kernels/node` registers Dawn (the `webgpu` package) through `setGpuProvider`.
 *  - Callers may pass their own `GPU` (or a device, see `initFromDevice`).
 */
type GpuProvider = () => GPU | Promise<GPU>;
let provider: GpuProvider | undefined;

export function setGpuProvider(p: GpuProvider | undefined): void {
  provider = p;
}

export async function getGPU(): Promise<GPU> {
  if (provider) return provider();
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  throw new NoAdapterError(
    'No WebGPU implementation found: navigator.gpu is missing. In Node, import "@m4kit/kernels/node" (Dawn); ' +
      'in Chromium start with --enable-unsafe-webgpu; or pass { backend: "cpu" }.',
  );
}

/** True when the process runs under CI (then a missing adapter must fail, never fall back). */
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
