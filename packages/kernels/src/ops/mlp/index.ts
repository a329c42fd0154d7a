export { biasAct, biasActBackward, gatherRows, type BiasActBackwardResult } from './mlp.js';
export { biasActRef, biasActBackwardRef, gatherRowsRef, geluRef, geluGradRef, GELU_A, GELU_C, type Activation } from './reference.js';
