/** Base class of every error m4kit throws on purpose. `code` is stable and machine-readable. */
export class M4kitError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Arguments with incompatible shapes, dtypes or values; thrown on the host before any GPU work. */
export class ShapeError extends M4kitError {
  constructor(message: string) {
    super('E_SHAPE', message);
  }
}

/** Invalid argument value (not a shape problem). */
export class ArgumentError extends M4kitError {
  constructor(message: string) {
    super('E_ARGUMENT', message);
  }
}

/** No WebGPU implementation or no adapter. */
export class NoAdapterError extends M4kitError {
  constructor(message: string) {
    super('E_NO_ADAPTER', message);
  }
}

/** A GPU validation error (e.g. bad WGSL, bad binding) carrying the implementation's message verbatim. */
export class GpuValidationError extends M4kitError {
  readonly gpuMessage: string;
  constructor(op: string, gpuMessage: string) {
    super('E_GPU_VALIDATION', `WebGPU validation error in ${op}: ${gpuMessage}`);
    this.gpuMessage = gpuMessage;
  }
}

/** The GPU ran out of memory while running an op. */
export class GpuOutOfMemoryError extends M4kitError {
  readonly gpuMessage: string;
  constructor(op: string, gpuMessage: string) {
    super('E_GPU_OOM', `WebGPU out of memory in ${op}: ${gpuMessage}`);
    this.gpuMessage = gpuMessage;
  }
}

/** The device was lost or destroyed; every later call fails fast with this error instead of hanging. */
export class DeviceLostError extends M4kitError {
  readonly reason: string;
  constructor(reason: string, gpuMessage: string) {
    super('E_DEVICE_LOST', `WebGPU device lost (${reason})${gpuMessage ? `: ${gpuMessage}` : ''}`);
    this.reason = reason;
  }
}

/** An optional peer dependency an entry point needs is not installed (e.g. `webgpu` for `@m4kit/kernels/node`). */
export class MissingDependencyError extends M4kitError {
  readonly dependency: string;
  constructor(dependency: string, message: string, options?: { cause?: unknown }) {
    super('E_MISSING_DEPENDENCY', message, options);
    this.dependency = dependency;
  }
}
