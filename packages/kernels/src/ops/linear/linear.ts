// The CLIP towers' fused linear layer: Y = gelu(X·W + b) + R in one matmul dispatch, the bias, the activation
// (GELU erf or QuickGELU) and the residual add applied in the matmul's store (matmul.wgsl.ts `fin`), so the
// [rows, N] product is written once instead of four times (matmul, bias, GELU, residual). Any matmul variant the
// adapter picks runs it; the float64 reference is reference.ts.
import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import type { GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { rand } from '../cases.js';
import { shapeStr } from '../common.js';
import { GELU_KINDS, type GeluKind } from '../gelu/reference.js';
import { matmulWith, type MatmulVariant } from '../matmul/matmul.js';
import { defineOp, type OpDeclaration, type TensorMaker } from '../op.js';
import { linearRef } from './reference.js';

/** Options of `linear`: each epilogue part is optional. */
export interface LinearOptions<T = Tensor> {
  /** [N], added to every row */
  bias?: T;
  /** GELU after the bias: 'erf' (exact), 'quick' (QuickGELU), default 'none' */
  gelu?: GeluKind | 'none';
  /** [M, N], added last */
  residual?: T;
  /** force a matmul variant (tests); default: the adapter's */
  variant?: MatmulVariant;
}

/** The host checks of linear (both backends): X [M, K] · W [K, N], bias [N], residual [M, N], all f32. */
export function checkLinear(x: Tensor, w: Tensor, o: LinearOptions = {}): void {
  const op = 'linear';
  if (x.shape.length !== 2 || w.shape.length !== 2)
    throw new ShapeError(`${op}: X ${shapeStr(x.shape)} and W ${shapeStr(w.shape)} must be rank 2`);
  const [M, K] = x.shape;
  const [Kw, N] = w.shape;
  if (K !== Kw) throw new ShapeError(`${op}: X ${shapeStr(x.shape)} · W ${shapeStr(w.shape)}: inner sizes differ`);
  for (const [name, t] of [
    ['X', x],
    ['W', w],
    ['bias', o.bias],
    ['residual', o.residual],
  ] as const)
    if (t && t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32, got ${t.dtype}`);
  if (o.bias && (o.bias.shape.length !== 1 || o.bias.shape[0] !== N))
    throw new ShapeError(`${op}: bias has shape ${shapeStr(o.bias.shape)}, expected [${N}]`);
  if (o.residual && (o.residual.shape.length !== 2 || o.residual.shape[0] !== M || o.residual.shape[1] !== N))
    throw new ShapeError(`${op}: residual has shape ${shapeStr(o.residual.shape)}, expected [${M}, ${N}]`);
  const g = o.gelu ?? 'none';
  if (g !== 'none' && !GELU_KINDS.includes(g))
    throw new ArgumentError(`${op}: unknown gelu "${String(g)}" (use 'none', 'erf' or 'quick')`);
}

/** Y = gelu(X·W + bias) + residual on the device: one matmul dispatch (per row chunk) with the epilogue fused. */
export function linear(ctx: GpuContext, x: GpuTensor, w: GpuTensor, o: LinearOptions<GpuTensor> = {}): GpuTensor {
  return matmulWith(ctx, x, w, { variant: o.variant }, { bias: o.bias, gelu: o.gelu, residual: o.residual });
}

type LinearFn = (x: Tensor, w: Tensor, opts?: LinearOptions) => Tensor;

// f32 accumulation over K against float64: K·ulp-sized, plus GELU's 1.2e-7 erfc error
const TOL = { rel: 2e-5, abs: 2e-5 };
const mk = (M: number, K: number, N: number, o: { bias?: boolean; gelu?: GeluKind; res?: boolean; scale?: number }) =>
  ((k: TensorMaker, r: () => number) => [
    k.tensor(rand(r, M * K, o.scale ?? 1), [M, K]),
    k.tensor(rand(r, K * N), [K, N]),
    {
      bias: o.bias ? k.tensor(rand(r, N), [N]) : undefined,
      gelu: o.gelu ?? 'none',
      residual: o.res ? k.tensor(rand(r, M * N, o.scale ?? 1), [M, N]) : undefined,
    },
  ]) as (k: TensorMaker, r: () => number) => Parameters<LinearFn>;

/** Y = gelu(X·W + bias) + residual, fused (the CLIP towers' linear layers) */
export const linearOp: OpDeclaration<LinearFn> = defineOp<LinearFn>({
  name: 'linear',
  check: checkLinear,
  webgpu: linear,
  cpu: (x, w, o = {}) => {
    const [M, K] = x.shape;
    const N = w.shape[1];
    const y = linearRef(x.data, w.data, M, K, N, { bias: o.bias?.data, gelu: o.gelu, residual: o.residual?.data });
    return cpuF32(y, [M, N]);
  },
  cases: [
    {
      name: '67×44 · 44×36 + b, gelu erf',
      args: mk(67, 44, 36, { bias: true, gelu: 'erf' }),
      tol: TOL,
      selfcheck: true,
    },
    { name: '50×96 · 96×52 + b + residual', args: mk(50, 96, 52, { bias: true, res: true }), tol: TOL },
    {
      name: '37×45 · 45×33 + b, quick gelu + residual',
      args: mk(37, 45, 33, { bias: true, gelu: 'quick', res: true }),
      tol: TOL,
    },
    { name: '1×64 · 64×20, quick gelu, no bias', args: mk(1, 64, 20, { gelu: 'quick' }), tol: TOL },
    { name: '0×12 · 12×8 + b (empty)', args: mk(0, 12, 8, { bias: true, res: true }), tol: TOL },
    { name: '9×16 · 16×0 (no columns)', args: mk(9, 16, 0, {}), tol: TOL },
    {
      name: 'large values |x| < 1e3, gelu erf + residual',
      args: mk(19, 28, 24, { bias: true, gelu: 'erf', res: true, scale: 1e3 }),
      tol: { rel: 2e-5, abs: 1e-2 },
    },
    {
      name: 'row chunks under a 4 KiB binding limit + residual',
      args: mk(70, 8, 12, { bias: true, gelu: 'erf', res: true }),
      tol: TOL,
      maxBindingSize: 4096,
    },
    // the epilogue in every variant's store (the adapter's default is one of them)
    ...(['simple', 'tiled', 'blocked', 'vec4'] as const).map((variant) => ({
      name: `41×36 · 36×44 + b, gelu erf + residual, variant ${variant}`,
      args: (k: TensorMaker, r: () => number) => {
        const a = mk(41, 36, 44, { bias: true, gelu: 'erf', res: true })(k, r);
        return [a[0], a[1], { ...a[2], variant }] as Parameters<LinearFn>;
      },
      tol: TOL,
    })),
    {
      name: 'bias of the wrong length',
      args: (k, r) => [
        k.tensor(rand(r, 6), [2, 3]),
        k.tensor(rand(r, 12), [3, 4]),
        { bias: k.tensor(rand(r, 3), [3]) },
      ],
      throws: { error: ShapeError, message: /linear: bias has shape \[3\], expected \[4\]/ },
    },
    {
      name: 'residual of the wrong shape',
      args: (k, r) => [
        k.tensor(rand(r, 6), [2, 3]),
        k.tensor(rand(r, 12), [3, 4]),
        { residual: k.tensor(rand(r, 8), [4, 2]) },
      ],
      throws: { error: ShapeError, message: /linear: residual has shape \[4, 2\], expected \[2, 4\]/ },
    },
  ],
});
