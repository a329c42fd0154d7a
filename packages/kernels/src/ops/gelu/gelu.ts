// GELU activations for the CLIP towers: 'erf' (exact GELU, open_clip / nn.GELU()) and 'quick' (OpenAI CLIP's
// QuickGELU x·σ(1.702x)). f32 in, f32 out, elementwise; definitions in reference.ts, kernel in gelu.wgsl.ts.
import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError } from '../../runtime/errors.js';
import { rand } from '../cases.js';
import { bindRange, ceilDiv, MAX_WG, planRows } from '../common.js';
import { defineOp, type TensorMaker, type OpDeclaration } from '../op.js';
import { geluKernel, PER_ROW, WG } from './gelu.wgsl.js';
import { geluActRef, GELU_KINDS, type GeluKind } from './reference.js';

/** The host checks of gelu (both backends). */
export function checkGelu(x: Tensor, kind: GeluKind = 'erf'): void {
  if (!GELU_KINDS.includes(kind)) throw new ArgumentError(`gelu: unknown kind "${kind}" (use 'erf' or 'quick')`);
  if (x.dtype !== 'f32') throw new ArgumentError(`gelu: x must be f32, got ${x.dtype}`);
}

/** Y = gelu(X) elementwise, any shape; a new tensor of x's shape. */
export function gelu(ctx: GpuContext, x: GpuTensor, kind: GeluKind = 'erf'): GpuTensor {
  checkGelu(x, kind);
  return geluUnchecked(ctx, x, kind);
}

function geluUnchecked(ctx: GpuContext, x: GpuTensor, kind: GeluKind = 'erf'): GpuTensor {
  const y = ctx.empty(x.shape);
  const n = x.size;
  if (n === 0) return y;
  const ds: DispatchSpec[] = [];
  const temps: GPUBuffer[] = [];
  for (const [s0, sc] of planRows(ctx, 'gelu', n, [1], PER_ROW * MAX_WG)) {
    const rx = bindRange(x, s0, sc);
    const ry = bindRange(y, s0, sc);
    const rows = ceilDiv(sc, PER_ROW);
    ds.push(
      geluKernel.dispatch(ctx, {
        spec: { kind },
        params: { n: sc, xBase: rx.base, yBase: ry.base, width: PER_ROW },
        bindings: { X: rx.resource, Y: ry.resource },
        workgroups: [rows > 1 ? PER_ROW / WG : ceilDiv(sc, WG), rows],
        temps,
      }),
    );
  }
  ctx.submit('gelu', ds, temps);
  return y;
}

// f32 kernel vs float64: a few ulps of the result, and 1.2e-7 relative in erfc
const TOL = { rel: 2e-6, abs: 1e-6 };
const cases = (kind: GeluKind) =>
  [
    [0, 1],
    [1, 3],
    [1023, 4],
    [300001, 6],
    [257, 1e4],
  ].map(([n, scale]) => ({
    name: `${kind} n=${n} |x|<${scale}`,
    args: (k: TensorMaker, r: () => number) => [k.tensor(rand(r, n, scale), [n]), kind] as [Tensor, GeluKind],
    tol: TOL,
    selfcheck: kind === 'erf' && n === 1023,
  }));

/** GELU, elementwise: 'erf' x·Φ(x) (default) or 'quick' x·σ(1.702x). f32 in and out, any shape. */
export const geluOp: OpDeclaration<(x: Tensor, kind?: GeluKind) => Tensor> = defineOp<
  (x: Tensor, kind?: GeluKind) => Tensor
>({
  name: 'gelu',
  check: checkGelu,
  webgpu: geluUnchecked,
  cpu: (x, kind) => cpuF32(geluActRef(x.data, kind), x.shape),
  cases: [
    ...cases('erf'),
    ...cases('quick'),
    {
      name: 'rank 3, chunked by a 4 KiB binding',
      args: (k, r) => [k.tensor(rand(r, 5 * 7 * 131, 5), [5, 7, 131]), 'erf'],
      maxBindingSize: 4096,
      tol: TOL,
    },
    {
      name: 'unknown kind',
      args: (k) => [k.tensor([1], [1]), 'tanh' as GeluKind],
      throws: { error: ArgumentError, message: /gelu: unknown kind "tanh"/ },
    },
    {
      name: 'u32 input',
      args: (k) => [k.tensor([1, 2], [2], 'u32'), 'erf'],
      throws: { error: ArgumentError, message: /gelu: x must be f32, got u32/ },
    },
  ],
});
