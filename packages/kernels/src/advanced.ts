// `@m4kit/kernels/advanced`: the WebGPU-only layer under the `Kernels` surface. Free launchers that take a
// `GpuContext` (they skip the surface's tensor checks), `defineKernel` to declare a new kernel, and the
// runtime pieces a launcher needs. Application code should use `init()` → `Kernels` instead.
export {
  GpuContext,
  GpuTensor,
  noteGpuWork,
  type DispatchSpec,
  type BufferPool,
  type ByteMeter,
} from './runtime/context.js';
export {
  defineKernel,
  type Kernel,
  type KernelDefinition,
  type ParamType,
  type ParamValues,
  type Spec,
} from './ops/kernel.js';
export { bindRange, planRows, ceilDiv, checkRange, MAX_WG, type Range } from './ops/common.js';
export { isFiniteWgsl, F32_MAX_WGSL } from './ops/wgsl.js';
export { matmul, matmulDims, defaultMatmulVariant, resolveMatmulVariant } from './ops/matmul/matmul.js';
export { reduce, reduceAll } from './ops/reduce/reduce.js';
export { softmax } from './ops/softmax/softmax.js';
export { l2normalize, l2normalizeBackward } from './ops/normalize/normalize.js';
export { elementwise } from './ops/elementwise/elementwise.js';
export { topk } from './ops/topk/topk.js';
export { cast } from './ops/cast/cast.js';
export { transpose, accumulate } from './ops/transpose/transpose.js';
export { imagePreprocess, checkImagePreprocess } from './ops/image-preprocess/image-preprocess.js';
export { imagePreprocessRef, resizeCropRef, planResize, resampleCoeffs } from './ops/image-preprocess/reference.js';
export { clipLoss, siglipLoss, lossStatusError } from './ops/losses/losses.js';
export { STATUS as LOSS_STATUS } from './ops/losses/losses.wgsl.js';
export { adamw, clipGradNorm } from './ops/optim/optim.js';
export { biasAct, biasActBackward, gatherRows } from './ops/mlp/mlp.js';
export {
  biasActRef,
  biasActBackwardRef,
  gatherRowsRef,
  geluRef,
  geluGradRef,
  GELU_A,
  GELU_C,
} from './ops/mlp/reference.js';
export { debiasLoss, foldDebiasStats } from './ops/debias-loss/debias-loss.js';
export { debiasRowLossRef, type RowLoss, type RowLossOptions } from './ops/debias-loss/reference.js';
export { adamwStepRef, type AdamWHyperParams } from './ops/optim/reference.js';
/** The float64 reference of every kernel family (the CPU backend's implementations and the tests' oracles). */
export * as ref from './ops/references.js';
export { defineOp, type OpDeclaration, type OpCase, type OpTolerance, type TensorMaker } from './ops/op.js';
export { OPS, listOps, type OpSurface, type Surface } from './ops/registry.js';
export { gpuContextOf } from './backend-webgpu.js';
export {
  momentsPass,
  foldMomentsPartials,
  momentsOutputs,
  checkMomentsChunk,
  type MomentsChunk,
  type MomentsKernelOptions,
} from './ops/moments/moments.js';
export { FUSED_MAX_R } from './ops/moments/moments.wgsl.js';
export { HESSIAN_GROUPS_MAX } from './ops/moments/hessian.wgsl.js';
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
export { layerNorm } from './ops/layernorm/layernorm.js';
export { attention } from './ops/attention/attention.js';
export { unfold, classTokens, embedTokens } from './ops/patches/patches.js';
