// Float64 CPU references, one per kernel family (also the `cpu` backend).
export { matmulRef } from './matmul/reference.js';
export { reduceRef, reduceAllRef } from './reduce/reference.js';
export { softmaxRef } from './softmax/reference.js';
export { l2normalizeRef, l2normalizeBackwardRef } from './normalize/reference.js';
export { scaleRef, axpyRef, clipRef } from './elementwise/reference.js';
export { topkRef } from './topk/reference.js';
export { momentsRef, hessianRef } from './moments/reference.js';
export {
  clipLossRef,
  siglipLossRef,
  softplus,
  sigmoid,
  CLIP_MAX_LOG_SCALE,
  type LossRefOptions,
  type ClipLossRefResult,
  type SiglipLossRefResult,
} from './losses/reference.js';
export { adamwRef, adamwStepRef, clipGradNormRef } from './optim/reference.js';
export { biasActRef, biasActBackwardRef, gatherRowsRef } from './mlp/reference.js';
export { roundToF16 } from '../runtime/half.js';
export { castRef } from './cast/reference.js';
export { transposeRef, accumulateRef } from './transpose/reference.js';
export { debiasLossRef } from './debias-loss/reference.js';
import type { DebiasLossHyper as DHyper, DebiasLossRefResult as DResult } from './debias-loss/reference.js';
// local aliases: re-exported from the shared chunk, the .d.ts bundle would declare them as `typeof …` (TS2693)
export type DebiasLossHyper = DHyper;
export type DebiasLossRefResult = DResult;
export { layerNormRef } from './layernorm/reference.js';
export { attentionRef } from './attention/reference.js';
import type { AttentionShape as AShape } from './attention/reference.js';
export type AttentionShape = AShape;
export { unfoldRef, classTokensRef, embedTokensRef } from './patches/reference.js';
