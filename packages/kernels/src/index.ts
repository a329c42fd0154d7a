export * from './runtime/errors.js';
export { getGPU, setGpuProvider, isCI } from './runtime/gpu.js';
export {
  GpuContext,
  GpuTensor,
  dtypeBytes,
  type GpuContextOptions,
  type KernelVariants,
  type AdapterDescription,
  type DType,
  type NumArray,
  type BufferPool,
  type ByteMeter,
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
// The free launchers below take a GpuContext: the advanced, WebGPU-only layer (also `@m4kit/kernels/advanced`).
// Application code uses the `Kernels` surface (`k.losses.clip`, `k.optim.adamw`, `k.mlp.biasAct`, ...).
export {
  matmul,
  matmulDims,
  MATMUL_VARIANTS,
  defaultMatmulVariant,
  type MatmulOptions,
  type MatmulVariant,
} from './ops/matmul/matmul.js';
export { reduce, reduceAll, type ReduceOp } from './ops/reduce/reduce.js';
export { softmax } from './ops/softmax/softmax.js';
export { l2normalize, l2normalizeBackward } from './ops/normalize/normalize.js';
export { elementwise, type ElementwiseOp } from './ops/elementwise/elementwise.js';
export { topk, type TopK, type TopKOptions } from './ops/topk/topk.js';
export { bindRange, planRows, ceilDiv } from './ops/common.js';
export { defineKernel, type Kernel, type KernelDefinition } from './ops/kernel.js';
export type { ParamType, ParamValues, Spec } from './ops/kernel.js';
export { transpose, accumulate } from './ops/transpose/transpose.js';
export { imagePreprocess, checkImagePreprocess } from './ops/image-preprocess/image-preprocess.js';
export {
  imagePreprocessRef,
  resizeCropRef,
  planResize,
  resampleCoeffs,
  type PreprocessImage,
  type PreprocessOptions,
  type ResizeMode,
  type Interpolation,
  type ResizePlan,
} from './ops/image-preprocess/reference.js';
/**
 * The float64 CPU references, one per kernel family (`ref.matmulRef`, `ref.clipLossRef`, …): the definitions the
 * WebGPU kernels are tested against, and what the `cpu` backend runs.
 */
export * as ref from './ops/references.js';
export { OPS, listOps, type OpSurface, type Surface } from './ops/registry.js';
export { gpuContextOf } from './backend-webgpu.js';
export { defineOp, type OpDeclaration, type OpCase, type OpTolerance, type TensorMaker } from './ops/op.js';
export {
  momentsPass,
  foldMomentsPartials,
  momentsOutputs,
  checkMomentsChunk,
  type MomentsChunk,
  type MomentsKernelOptions,
} from './ops/moments/moments.js';
export { FUSED_MAX_R } from './ops/moments/moments.wgsl.js';
export {
  packGroups,
  packLabels,
  isOneHot,
  isBinary,
  groupAt,
  groupWords,
  labelWords,
  type SEncoding,
  type YEncoding,
} from './ops/moments/encode.js';
export {
  momentsHessianPass,
  foldHessianPartials,
  hessianOutputs,
  HESSIAN_MAX_K,
  hessianLayout,
  hessianGroupOutputs,
  foldHessianGroupPartials,
  type HessianKernelOptions,
} from './ops/moments/hessian.js';
export { HESSIAN_GROUPS_MAX } from './ops/moments/moments.wgsl.js';
export {
  clipLoss,
  siglipLoss,
  lossStatusError,
  LOSS_VARIANTS,
  type LossVariant,
  type LossLayout,
  type LossOptions,
  type ClipLossResult,
  type SiglipLossResult,
} from './ops/losses/losses.js';
export { adamw, clipGradNorm, type AdamWOptions, type ClipGradNormResult } from './ops/optim/optim.js';
export { biasAct, biasActBackward, gatherRows, type BiasActBackwardResult } from './ops/mlp/mlp.js';
export {
  biasActRef,
  biasActBackwardRef,
  gatherRowsRef,
  geluRef,
  geluGradRef,
  GELU_A,
  GELU_C,
} from './ops/mlp/reference.js';
export type { Activation } from './ops/mlp/reference.js';
export { cast } from './ops/cast/cast.js';
export type { CastDType } from './ops/cast/cast.wgsl.js';
export { f32ToF16Bits, f16BitsToF32, roundToF16, F16_MAX } from './runtime/half.js';
export {
  debiasLoss,
  foldDebiasStats,
  type DebiasLossInputs,
  type DebiasLossOptions,
  type DebiasLossResult,
} from './ops/debias-loss/debias-loss.js';
export { layerNorm } from './ops/layernorm/layernorm.js';
export { attention, type AttentionOptions } from './ops/attention/attention.js';
export type { LinearOptions } from './ops/linear/linear.js';
export { unfold, classTokens, embedTokens } from './ops/patches/patches.js';
