// The float64 CPU backend's tensor: a host array plus shape (the op declarations' `cpu` side computes on `.data`).
import type { Tensor } from '../types.js';
import { ShapeError } from './errors.js';
import type { DType, NumArray } from './tensor.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

export class CpuTensor implements Tensor {
  readonly kind = 'cpu' as const;
  constructor(
    readonly data: Float64Array | Uint32Array,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}
  get size(): number {
    return this.data.length;
  }
  async read(): Promise<NumArray> {
    return this.data.slice();
  }
  view(shape: readonly number[]): CpuTensor {
    if (shape.reduce((a, b) => a * b, 1) !== this.size)
      throw new ShapeError(`view: cannot view shape ${shapeStr(this.shape)} as ${shapeStr(shape)}`);
    return new CpuTensor(this.data, shape, this.dtype);
  }
  dispose(): void {}
}

/** An f32-typed CPU tensor holding float64 values (the CPU backend's outputs). */
export function cpuF32(data: Float64Array, shape: readonly number[]): CpuTensor {
  return new CpuTensor(data, [...shape], 'f32');
}

/** A u32 CPU tensor. */
export function cpuU32(data: Uint32Array, shape: readonly number[]): CpuTensor {
  return new CpuTensor(data, [...shape], 'u32');
}

/** The value of a `number | tensor` scalar argument on the CPU backend. */
export function cpuScalar(x: number | CpuTensor, op: string, name: string): number {
  if (typeof x === 'number') return x;
  if (x.size !== 1 || x.dtype !== 'f32')
    throw new ShapeError(`${op}: ${name} must be a number or an f32 tensor of one element, got ${shapeStr(x.shape)}`);
  return x.data[0];
}

/** The storage a tensor views (GPU buffer or host array): two tensors on one storage alias each other. */
export function storageOf(t: object): unknown {
  const s = t as { buffer?: unknown; data?: unknown };
  return s.buffer ?? s.data ?? t;
}
