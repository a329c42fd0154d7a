export * from './runtime/errors.js';
export { getGPU, setGpuProvider, isCI } from './runtime/gpu.js';
export { GpuContext, GpuTensor, dtypeBytes, type GpuContextOptions, type AdapterDescription, type DType, type NumArray } from './runtime/context.js';
export { init, initFromDevice, CpuKernels, CpuTensor, type Kernels, type Tensor, type InitOptions, type BackendKind, type Axis } from './api.js';
export { matmul, matmulDims, MATMUL_VARIANTS, defaultMatmulVariant, type MatmulOptions, type MatmulVariant } from './ops/matmul/matmul.js';
export { reduce, reduceAll, type ReduceOp } from './ops/reduce/reduce.js';
export { softmax } from './ops/softmax/softmax.js';
export { l2normalize, l2normalizeBackward } from './ops/normalize/normalize.js';
export { elementwise, type ElementwiseOp } from './ops/elementwise/elementwise.js';
export { topk } from './ops/topk/topk.js';
export { bindRange, planRows, uniforms, ceilDiv } from './ops/common.js';
export * as ref from './ops/references.js';
export { momentsPass, foldMomentsPartials, momentsOutputs, checkMomentsChunk, type MomentsChunk, type MomentsParams } from './ops/moments/moments.js';
export {
  momentsHessianPass, foldHessianPartials, hessianOutputs, HESSIAN_MAX_K, type HessianParams,
} from './ops/moments/hessian.js';
export { clipLoss, siglipLoss, lossStatusError, LOSS_VARIANTS, type LossVariant, type LossOptions, type ClipLossResult, type SiglipLossResult } from './ops/losses/losses.js';
export { adamw, clipGradNorm, type AdamWOptions, type ClipGradNormResult } from './ops/optim/optim.js';
export * from './ops/mlp/index.js';
export { cast } from './ops/cast/cast.js';
export { f32ToF16Bits, f16BitsToF32, roundToF16, F16_MAX } from './runtime/half.js';
