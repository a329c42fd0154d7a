// The WebGPU context's option and result types (declared apart so tensor.ts, ops and the context share them
// without importing the context class).
/**
 * A storage binding of a compute kernel: a buffer or a range of one. (Spelled out rather than WebGPU's
 * `GPUBindingResource` alias, so the published declarations need only interfaces that merge with whichever WebGPU
 * declarations a consumer has: TypeScript 7's lib.dom or @webgpu/types.)
 */
export type BindingResource = GPUBuffer | GPUBufferBinding;

/** The matmul kernel variants (ops/matmul; declared here so the context's options need no import from ops/). */
export type MatmulVariant = 'simple' | 'tiled' | 'blocked' | 'vec4' | 'subgroup';

/** Options of a WebGPU context: the GPU object, the adapter preference, the binding-size cap and forced variants. */
export interface GpuContextOptions {
  /** Use this GPU object instead of the runtime seam (navigator.gpu / Dawn). */
  gpu?: GPU;
  /** the adapter to ask for (WebGPU's `GPUPowerPreference`) */
  powerPreference?: 'low-power' | 'high-performance';
  /**
   * Cap on the bytes bound per storage binding (default: the adapter's maxStorageBufferBindingSize).
   * Inputs larger than this are processed in row chunks; tests lower it to exercise chunking.
   */
  maxBindingSize?: number;
  /** Force kernel variants, e.g. { matmul: 'simple' }; otherwise chosen per adapter. */
  variants?: KernelVariants;
  /** Request f16/subgroups/timestamp-query when the adapter has them (default true). */
  optionalFeatures?: boolean;
}

/** Kernel variants a caller may force (typed per op; checked again by the op at run time). */
export interface KernelVariants {
  matmul?: MatmulVariant;
  /** the balance moments pass: column reduce with or without skipping empty blocks */
  'moments.reduce'?: 'plain' | 'skip';
  /** the balance moments pass: one fused dispatch (R ≤ 256, every row encoding) or rows + reduce (f32 rows) */
  'moments.pass'?: 'fused' | 'split';
  /** the Hessian pass: per-group label moments (categorical S, default there) or the tiled z zᵀ kernel */
  'moments.hessian'?: 'groups' | 'tiled';
}

/** The WebGPU adapter a `Kernels` runs on (vendor, architecture, device, description; software or not). */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for CPU implementations (lavapipe, SwiftShader, WARP) */
  isSoftware: boolean;
}

/**
 * One compute dispatch of a submit: pipeline, bindings and workgroup counts (what `kernel.dispatch()` returns).
 */
export interface DispatchSpec {
  op: string;
  pipeline: GPUComputePipeline;
  /** bindings in @binding order (group 0; `kernel.dispatch` matches them by name) */
  bindings: BindingResource[];
  workgroups: [number, number?, number?];
}
