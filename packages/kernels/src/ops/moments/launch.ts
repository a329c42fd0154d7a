// What the moments launchers (moments.ts: the M4 pass; hessian.ts: the generalised Hessian) do alike, written once:
// the binding-limit check, the block plan, the zero-row result, and the row inputs + dual every kernel binds.
import type { BindingResource, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG, shapeStr } from '../common.js';

/** The tensors of a chunk (moments.ts `MomentsChunk`) the launchers bind. */
interface ChunkTensors {
  S: GpuTensor;
  Y: GpuTensor;
  u?: GpuTensor;
  w?: GpuTensor;
}

/** Refuse a chunk whose S or Y does not fit one storage binding (`op` names the pass in the message). */
export function checkChunkBinding(ctx: GpuContext, ch: ChunkTensors, op: string): void {
  const limit = ctx.maxBindingSize - 256;
  for (const [name, t] of Object.entries({ S: ch.S, Y: ch.Y })) {
    if (t.size * 4 > limit) {
      const what = `chunk ${name} ${shapeStr(t.shape)} exceeds the binding limit (${ctx.maxBindingSize} B)`;
      throw new ShapeError(`${op}: ${what}; split rows into chunks`);
    }
  }
}

/**
 * Rows per block and the block count for `n` rows and `width` partial sums a block: partials ≤ 2^18 floats, the
 * blocks within one dispatch dimension, at least `minRows` rows a block. `perInvocation`: each invocation keeps all
 * `width` sums (fused pass, Hessian groups), so only the block count is bounded by the partials; otherwise
 * (split pass, tiled Hessian) a block's rows × width are.
 */
export function planBlocks(n: number, width: number, minRows: number, perInvocation: boolean): [number, number] {
  let rowsPerBlock = perInvocation
    ? Math.max(minRows, ceilDiv(n, Math.min(MAX_WG, Math.floor((1 << 18) / width))))
    : Math.max(minRows, ceilDiv(n * width, 1 << 18));
  rowsPerBlock = Math.max(rowsPerBlock, ceilDiv(n, MAX_WG));
  return [rowsPerBlock, Math.max(1, ceilDiv(n, rowsPerBlock))];
}

/** Zeroed partials for a chunk with no rows to visit (one clear, no dispatch). */
export function zeroPartials(ctx: GpuContext, part: GpuTensor, label: string): GpuTensor {
  ctx.submit(label, [], [], (enc) => enc.clearBuffer(part.buffer));
  return part;
}

/** Bindings 1–5 of every moments kernel and the uniform fields that go with them. */
export interface BoundRows {
  params: { mu: number; eta: number; sBase: number; yBase: number; uBase: number; wBase: number };
  bindings: { S: BindingResource; Y: BindingResource; U: BindingResource; Wt: BindingResource; Dual: BindingResource };
  /** free the uploaded dual (after the submit) */
  dispose(): void;
}

/**
 * Upload the dual (W m×(c+1) then π, f32) and bind the chunk's S, Y and optional u, w (`rows` of them; an unbound
 * one is replaced by a word of S, which its flag bit keeps unread).
 */
export function bindRows(
  ctx: GpuContext,
  ch: ChunkTensors,
  rows: number,
  prm: { W: ArrayLike<number>; pi: ArrayLike<number>; mu: number; eta: number },
  m: number,
  c: number,
): BoundRows {
  const dual = new Float32Array(m * (c + 1) + m);
  dual.set(Array.from(prm.W), 0);
  dual.set(Array.from(prm.pi), m * (c + 1));
  const dualT = ctx.tensor(dual, [dual.length]);
  const rs = bindRange(ch.S);
  const ry = bindRange(ch.Y);
  const ru = bindRange(ch.u ?? ch.S, 0, ch.u ? rows : 1);
  const rw = bindRange(ch.w ?? ch.S, 0, ch.w ? rows : 1);
  return {
    params: { mu: prm.mu, eta: prm.eta, sBase: rs.base, yBase: ry.base, uBase: ru.base, wBase: rw.base },
    bindings: { S: rs.resource, Y: ry.resource, U: ru.resource, Wt: rw.resource, Dual: { buffer: dualT.buffer } },
    dispose: () => dualT.dispose(),
  };
}
