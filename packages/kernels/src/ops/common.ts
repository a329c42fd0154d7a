import type { GpuContext, GpuTensor } from '../runtime/context.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';

/** Max workgroups per dispatch dimension the planners assume (WebGPU's guaranteed minimum). */
export const MAX_WG = 65535;

/**
 * A storage binding for part of a tensor (`bindRange`): the 256-byte-aligned buffer range plus the element offset
 * the kernel adds to its index.
 */
export interface Range {
  resource: GPUBufferBinding;
  /** element offset inside the bound range (binding offsets must be 256-byte aligned) */
  base: number;
}

/**
 * Bind elements [start, start+count) of a tensor; the misaligned remainder is passed to the kernel as `base`.
 * f16 tensors are storage for mixed precision: only kernels that declare it (`f16: true`, e.g. `cast`) bind them,
 * every other kernel gets a typed error instead of reading halves as f32.
 * @param t - the tensor to bind.
 * @param start - first element (default 0).
 * @param count - number of elements (default: the whole tensor).
 * @param opts - `f16: true` for kernels that read f16 storage.
 * @returns the binding resource and the `base` element offset to pass in the kernel's uniform.
 * @throws ArgumentError for an f16 tensor bound to an f32 kernel.
 */
export function bindRange(t: GpuTensor, start = 0, count = t.size, opts: { f16?: boolean } = {}): Range {
  if (t.dtype === 'f16' && !opts.f16) {
    throw new ArgumentError(`an f16 tensor [${t.shape}] was passed to an f32 kernel: cast(ctx, t, 'f32') first`);
  }
  const eb = t.dtype === 'f16' ? 2 : 4;
  const byteStart = start * eb;
  const aligned = Math.floor(byteStart / 256) * 256;
  const base = (byteStart - aligned) / eb;
  let size = Math.ceil(Math.max(4, (base + count) * eb) / 4) * 4;
  size = Math.min(size, t.buffer.size - aligned);
  return { resource: { buffer: t.buffer, offset: aligned, size }, base };
}

/**
 * Split `rows` into chunks whose bound bytes stay within the context's binding size.
 * `rowElems` lists, for each tensor chunked by rows, its elements per row.
 * @param ctx - the context whose `maxBindingSize` limits each chunk.
 * @param op - op name for the error message.
 * @param rows - total rows to process.
 * @param rowElems - elements per row of every tensor chunked by rows (the widest decides).
 * @param maxRowsPerDispatch - an extra cap per chunk (default unlimited).
 * @returns [firstRow, rowCount] pairs covering [0, rows) in order (empty for 0 rows).
 * @throws ShapeError when a single row does not fit one binding.
 */
export function planRows(
  ctx: GpuContext,
  op: string,
  rows: number,
  rowElems: number[],
  maxRowsPerDispatch = Infinity,
): [number, number][] {
  const widest = Math.max(1, ...rowElems);
  const slack = 64; // max `base` elements
  const byBinding = Math.floor((ctx.maxBindingSize / 4 - slack) / widest);
  if (byBinding < 1) {
    throw new ShapeError(
      `${op}: one row of ${widest} elements (${widest * 4} B) exceeds the binding limit of ${ctx.maxBindingSize} B`,
    );
  }
  const per = Math.max(1, Math.min(byBinding, maxRowsPerDispatch));
  const out: [number, number][] = [];
  for (let r = 0; r < rows; r += per) out.push([r, Math.min(per, rows - r)]);
  return out;
}

/**
 * ⌈a / b⌉, the workgroup count that covers `a` items in groups of `b`.
 * @param a - items to cover (≥ 0).
 * @param b - items per group (> 0).
 * @returns the smallest integer ≥ a / b.
 */
export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

export function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Checked element range [offset, offset + count) of a tensor with `size` elements.
 * @param op - op name for the error message.
 * @param name - argument name for the error message.
 * @param offset - first element of the range.
 * @param count - number of elements.
 * @param size - elements in the tensor.
 * @throws ShapeError when offset/count are not non-negative integers or the range passes the end.
 */
export function checkRange(op: string, name: string, offset: number, count: number, size: number): void {
  if (!(Number.isInteger(offset) && offset >= 0 && Number.isInteger(count) && count >= 0 && offset + count <= size)) {
    const range = `[${offset}, ${offset + count})`;
    throw new ShapeError(`${op}: ${name} range ${range} is outside the tensor's ${size} elements`);
  }
}

/** [rows, cols] of a rank-2 tensor, else a ShapeError naming the op. */
export function rank2Of(op: string, x: { shape: readonly number[] }): [number, number] {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: expected a rank-2 tensor, got ${shapeStr(x.shape)}`);
  return [x.shape[0], x.shape[1]];
}

/** An axis of a rank-2 tensor. */
export function checkAxis(op: string, axis: number): void {
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`${op}: axis must be 0 or 1, got ${axis}`);
}
