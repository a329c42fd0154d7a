export * from './runtime/errors.js';
export { getGPU, setGpuProvider, isCI } from './runtime/gpu.js';
export {
  dtypeBytes,
  type GpuContextOptions,
  type KernelVariants,
  type AdapterDescription,
  type DType,
  type NumArray,
} from './runtime/context.js';
export {
  init,
  initFromDevice,
  CpuKernels,
  CpuTensor,
  type Kernels,
  type LossOps,
  type OptimOps,
  type MlpOps,
  type MomentsOps,
  type TransformerOps,
  type DebiasInputs,
  type DebiasResult,
  type MomentsChunkTensors,
  type MomentsPassOptions,
  type MomentsHessianOptions,
  type MomentsChunks,
  type MomentsDual,
  type MomentsSums,
  type KernelsCore,
  type CopyOptions,
  type Tensor,
  type InitOptions,
  type BackendKind,
  type Axis,
} from './api.js';
// The user API: `init()` → `Kernels` and the types of its options and results. The free launchers that take a
// `GpuContext`, `defineKernel` / `defineOp`, the op registry and the float64 references are the advanced,
// WebGPU-only layer: `@m4kit/kernels/advanced` (not stable).
export { MATMUL_VARIANTS, type MatmulOptions, type MatmulVariant } from './ops/matmul/matmul.js';
export type { ReduceOp } from './ops/reduce/reduce.js';
export type { ElementwiseOp } from './ops/elementwise/elementwise.js';
export type { TopK, TopKOptions } from './ops/topk/topk.js';
export type {
  PreprocessImage,
  PreprocessOptions,
  ResizeMode,
  Interpolation,
  ResizePlan,
} from './ops/image-preprocess/reference.js';
export type { SEncoding, YEncoding } from './ops/moments/encode.js';
export {
  LOSS_VARIANTS,
  type LossVariant,
  type LossLayout,
  type LossOptions,
  type ClipLossResult,
  type SiglipLossResult,
} from './ops/losses/losses.js';
export type { AdamWOptions, ClipGradNormResult } from './ops/optim/optim.js';
export type { BiasActBackwardResult } from './ops/mlp/mlp.js';
export type { Activation } from './ops/mlp/reference.js';
export type { CastDType } from './ops/cast/cast.wgsl.js';
export { f32ToF16Bits, f16BitsToF32, roundToF16, F16_MAX } from './runtime/half.js';
export type { DebiasLossInputs, DebiasLossOptions, DebiasLossResult } from './ops/debias-loss/debias-loss.js';
export type { AttentionOptions } from './ops/attention/attention.js';
export type { LinearOptions } from './ops/linear/linear.js';
