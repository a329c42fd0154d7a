import { GpuOutOfMemoryError } from './errors.js';

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/** Peak of the pool's live storage bytes since the meter started, above what was live then. */
export interface ByteMeter {
  readonly peakBytes: number;
  /** stop following the pool (the peak stays readable) */
  stop(): void;
}

/**
 * The context's buffer pool: power-of-two size classes (≥ 256 B) per usage. A released buffer is reused
 * only after the next submit (the one that may still use it): `release()` retires it, `recycle()` (called
 * by the context right after each submit) returns retired buffers to the free lists.
 *
 * Byte accounting: `liveBytes` counts the storage buffers handed out and not yet released (tensors and
 * kernel scratch; uniforms are not counted), and `meter()` follows its peak, e.g. a launcher's `peakBytes`.
 */
export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private retiring: GPUBuffer[] = [];
  private live = new Set<GPUBuffer>();
  private meters = new Set<{ base: number; peak: number }>();
  /** bytes of storage buffers handed out and not yet released */
  liveBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  private key(size: number, usage: number): string {
    return `${usage}:${size}`;
  }

  acquire(bytes: number, usage: number): GPUBuffer {
    const size = bytes <= 256 ? 256 : 2 ** Math.ceil(Math.log2(bytes));
    let buffer: GPUBuffer;
    if (size > this.maxBufferSize && bytes <= this.maxBufferSize) {
      buffer = this.device.createBuffer({ size: roundUp(bytes, 16), usage });
    } else if (bytes > this.maxBufferSize) {
      throw new GpuOutOfMemoryError('allocate', `buffer of ${bytes} bytes exceeds maxBufferSize ${this.maxBufferSize}`);
    } else {
      const list = this.free.get(this.key(size, usage));
      buffer = list && list.length ? list.pop()! : this.device.createBuffer({ size, usage });
    }
    if (usage & GPUBufferUsage.STORAGE) this.count(buffer);
    return buffer;
  }

  private count(buffer: GPUBuffer): void {
    this.live.add(buffer);
    this.liveBytes += buffer.size;
    for (const m of this.meters) m.peak = Math.max(m.peak, this.liveBytes - m.base);
  }

  /** Retire a buffer: it becomes reusable only after the next `recycle()`. */
  release(buffer: GPUBuffer): void {
    if (this.live.delete(buffer)) this.liveBytes -= buffer.size;
    this.retiring.push(buffer);
  }

  /** After a submit: retired buffers go back to the free lists. */
  recycle(): void {
    for (const b of this.retiring) {
      const k = this.key(b.size, b.usage);
      let list = this.free.get(k);
      if (!list) this.free.set(k, (list = []));
      list.push(b);
    }
    this.retiring = [];
  }

  meter(): ByteMeter {
    const m = { base: this.liveBytes, peak: 0 };
    this.meters.add(m);
    const meters = this.meters;
    return {
      get peakBytes() {
        return m.peak;
      },
      stop: () => void meters.delete(m),
    };
  }

  /** Destroy every free buffer (buffers still handed out belong to their tensors). */
  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }
}
