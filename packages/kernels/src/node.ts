/**
 * Node entry: registers Dawn (the `webgpu` package) as the GPU provider. The only file that imports `webgpu`.
 *   import { init } from '@m4kit/kernels/node';
 */
import { create, globals } from 'webgpu';
import { setGpuProvider } from './runtime/gpu.js';

let gpu: GPU | undefined;
export function nodeGPU(flags: string[] = []): GPU {
  if (!gpu) {
    Object.assign(globalThis, globals);
    gpu = create(flags) as GPU;
  }
  return gpu;
}
setGpuProvider(() => nodeGPU());
export * from './index.js';
