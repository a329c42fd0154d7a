import {
  ArgumentError,
  DeviceLostError,
  GpuOutOfMemoryError,
  GpuValidationError,
  M4kitError,
  NoAdapterError,
  ShapeError,
} from './errors.js';
import { getGPU } from './gpu.js';
import { f16BitsToF32, f32ToF16Bits } from './half.js';
import { gpuPace, now, settleGpuPace, yieldToGpu } from './pacing.js';
import { BufferPool } from './pool.js';
import { dtypeBytes, type DType, type NumArray } from './tensor.js';
import type { AdapterDescription, DispatchSpec, GpuContextOptions, KernelVariants } from './context-types.js';

// The element types, the option types, the pool and the pacing heuristic live in their own files; these
// re-exports keep the launchers' single import of the runtime.
export { dtypeBytes, type DType, type NumArray } from './tensor.js';
export type {
  AdapterDescription,
  BindingResource,
  DispatchSpec,
  GpuContextOptions,
  KernelVariants,
  MatmulVariant,
} from './context-types.js';
export { noteGpuWork } from './pacing.js';
export type { BufferPool, ByteMeter } from './pool.js';

type Variant<K extends keyof KernelVariants> = NonNullable<KernelVariants[K]>;

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/**
 * Owns a GPUDevice (or wraps a caller's): pipeline cache, buffer pool, error scopes, typed errors.
 * TypeGPU-style ownership: `GpuContext.create()` owns and destroys its device; `fromDevice()` never does.
 */
export class GpuContext {
  readonly limits: GPUSupportedLimits;
  readonly features: { f16: boolean; subgroups: boolean; timestampQuery: boolean };
  readonly maxBindingSize: number;
  readonly variants: KernelVariants;
  private pipelines = new Map<string, GPUComputePipeline>();
  /** buffer pool with byte accounting (`pool.liveBytes`, `pool.meter()`) */
  readonly pool: BufferPool;
  private pending: Promise<M4kitError | null>[] = [];
  private lostInfo: { reason: string; message: string } | null = null;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    readonly adapterInfo: AdapterDescription,
    private readonly ownsDevice: boolean,
    opts: GpuContextOptions,
  ) {
    this.limits = device.limits;
    this.features = {
      f16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    };
    const lim = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.maxBindingSize = Math.max(256, Math.floor(Math.min(opts.maxBindingSize ?? lim, lim) / 256) * 256);
    this.variants = { ...(opts.variants ?? {}) };
    this.pool = new BufferPool(device, device.limits.maxBufferSize);
    device.lost.then((info) => {
      this.lostInfo = { reason: info.reason ?? 'unknown', message: info.message ?? '' };
    });
  }

  static async create(opts: GpuContextOptions = {}): Promise<GpuContext> {
    const gpu = opts.gpu ?? (await getGPU());
    const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
    if (!adapter) throw new NoAdapterError('navigator.gpu.requestAdapter() returned null: no WebGPU adapter');
    const wanted: GPUFeatureName[] = [];
    if (opts.optionalFeatures !== false) {
      for (const f of ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[]) {
        if (adapter.features.has(f)) wanted.push(f);
      }
    }
    // Request the adapter's maximum limits (only the numeric ones the adapter reports).
    const requiredLimits: Record<string, number> = {};
    const names = [
      'maxStorageBufferBindingSize',
      'maxBufferSize',
      'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupSizeY',
      'maxComputeWorkgroupSizeZ',
      'maxComputeWorkgroupsPerDimension',
      'maxStorageBuffersPerShaderStage',
    ];
    for (const n of names) {
      const v = (adapter.limits as unknown as Record<string, number>)[n];
      if (typeof v === 'number') requiredLimits[n] = v;
    }
    const device = await adapter.requestDevice({ requiredFeatures: wanted, requiredLimits });
    return new GpuContext(device, describeAdapter(adapter), true, opts);
  }

  /** Wrap a device the caller owns; `destroy()` then releases m4kit's buffers but never the device. */
  static fromDevice(
    device: GPUDevice,
    opts: GpuContextOptions = {},
    adapterInfo?: Partial<AdapterDescription>,
  ): GpuContext {
    const info: AdapterDescription = {
      vendor: '',
      architecture: '',
      device: '',
      description: 'caller-owned device',
      isSoftware: false,
      ...adapterInfo,
    };
    return new GpuContext(device, info, false, opts);
  }

  variant<K extends keyof KernelVariants>(op: K, fallback: Variant<K>): Variant<K> {
    return this.variants[op] ?? fallback;
  }

  checkAlive(op: string): void {
    if (this.destroyed) throw new DeviceLostError('destroyed', `${op} called after destroy()`);
    if (this.lostInfo) throw new DeviceLostError(this.lostInfo.reason, this.lostInfo.message);
  }

  /** Compile once per (device, key); the key must hold exactly what the WGSL source depends on. */
  pipeline(
    key: string,
    source: () => string,
    entryPoint = 'main',
    layoutEntries?: () => GPUBindGroupLayoutEntry[],
  ): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      this.checkAlive(key);
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: source(), label: key });
      // an explicit layout (defineKernel's named bindings) keeps bindings the source does not read in the layout
      const layout = layoutEntries
        ? this.device.createPipelineLayout({
            bindGroupLayouts: [this.device.createBindGroupLayout({ entries: layoutEntries(), label: key })],
            label: key,
          })
        : 'auto';
      p = this.device.createComputePipeline({ layout, compute: { module, entryPoint }, label: key });
      const scope = this.device.popErrorScope();
      const pipelines = this.pipelines;
      this.pending.push(
        scope.then(
          (v) => {
            if (!v) return null;
            pipelines.delete(key); // do not cache a broken pipeline
            return new GpuValidationError(`compiling ${key}`, v.message);
          },
          (e: unknown) => this.lostError(e),
        ),
      );
      this.pipelines.set(key, p);
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Storage buffer from the pool (size rounded to a power-of-two class ≥ 256 B). */
  acquire(
    bytes: number,
    usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  ): GPUBuffer {
    this.checkAlive('allocate');
    return this.pool.acquire(bytes, usage);
  }

  /** Return a buffer; it becomes reusable only after the next submit (the one that may still use it). */
  release(buffer: GPUBuffer): void {
    if (this.destroyed) return;
    this.pool.release(buffer);
  }

  tensor(data: ArrayLike<number> | null, shape: readonly number[], dtype: DType = 'f32'): GpuTensor {
    this.checkAlive('tensor');
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape [${shape}]`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (data && data.length !== n)
      throw new ShapeError(`tensor: data has ${data.length} elements, shape [${shape}] needs ${n}`);
    if (dtype === 'f16' && !this.features.f16) {
      throw new ArgumentError(
        `tensor: f16 needs the adapter's shader-f16 feature, which ${this.adapterInfo.description || 'this adapter'} lacks (use f32)`,
      );
    }
    const bytes = roundUp(Math.max(4, n * dtypeBytes(dtype)), 4);
    const buffer = this.acquire(bytes);
    if (data && n > 0) {
      let arr: ArrayBufferView;
      if (dtype === 'f16') {
        const h = new Uint16Array(bytes / 2);
        for (let i = 0; i < n; i++) h[i] = f32ToF16Bits(data[i]);
        arr = h;
      } else
        arr = dtype === 'u32' ? Uint32Array.from(data) : data instanceof Float32Array ? data : Float32Array.from(data);
      const src = arr.buffer as ArrayBuffer; // never shared here; TS >= 5.9 (Deno's) rejects ArrayBufferLike
      this.device.queue.writeBuffer(buffer, 0, src, arr.byteOffset, dtype === 'f16' ? bytes : n * 4);
    }
    return new GpuTensor(this, buffer, [...shape], dtype, true);
  }

  /** Uninitialised tensor (pooled memory): for outputs a kernel overwrites completely. */
  empty(shape: readonly number[], dtype: DType = 'f32'): GpuTensor {
    return this.tensor(null, shape, dtype);
  }

  /** Zero-filled tensor. */
  zeros(shape: readonly number[], dtype: DType = 'f32'): GpuTensor {
    const t = this.empty(shape, dtype);
    this.submit('zeros', [], [], (enc) => enc.clearBuffer(t.buffer));
    return t;
  }

  /** Wrap an existing GPUBuffer (not owned: never released or destroyed by m4kit). */
  wrap(buffer: GPUBuffer, shape: readonly number[], dtype: DType = 'f32'): GpuTensor {
    return new GpuTensor(this, buffer, [...shape], dtype, false);
  }

  uniform(values: ArrayBuffer): GPUBuffer {
    const buf = this.acquire(values.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.device.queue.writeBuffer(buf, 0, values);
    return buf;
  }

  /**
   * Encode and submit dispatches inside validation and out-of-memory error scopes.
   * Errors surface (typed) at the next `sync()` / `read()`.
   */
  submit(
    op: string,
    dispatches: DispatchSpec[],
    temps: GPUBuffer[] = [],
    beforeEncode?: (enc: GPUCommandEncoder) => void,
  ): void {
    this.checkAlive(op);
    const dev = this.device;
    dev.pushErrorScope('out-of-memory');
    dev.pushErrorScope('validation');
    const enc = dev.createCommandEncoder({ label: op });
    beforeEncode?.(enc);
    for (const d of dispatches) {
      const [x, y = 1, z = 1] = d.workgroups;
      if (x === 0 || y === 0 || z === 0) continue;
      const bindGroup = dev.createBindGroup({
        layout: d.pipeline.getBindGroupLayout(0),
        entries: d.bindings.map((resource, binding) => ({ binding, resource })),
      });
      const pass = enc.beginComputePass({ label: d.op });
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
      pass.end();
    }
    dev.queue.submit([enc.finish()]);
    this.pool.recycle();
    for (const t of temps) this.release(t);
    const validation = dev.popErrorScope();
    const oom = dev.popErrorScope();
    this.pending.push(
      Promise.all([validation, oom]).then(
        ([v, o]) => (v ? new GpuValidationError(op, v.message) : o ? new GpuOutOfMemoryError(op, o.message) : null),
        (e: unknown) => this.lostError(e),
      ),
    );
    if (this.pending.length > 256) this.compactPending();
  }

  private compactPending(): void {
    const all = this.pending;
    this.pending = [Promise.all(all).then((errs) => errs.find((e) => e) ?? null)];
  }

  private lostError(e: unknown): M4kitError {
    if (e instanceof M4kitError) return e;
    if (this.lostInfo) return new DeviceLostError(this.lostInfo.reason, this.lostInfo.message);
    if (this.destroyed) return new DeviceLostError('destroyed', String((e as Error)?.message ?? e));
    return new DeviceLostError('unknown', String((e as Error)?.message ?? e));
  }

  /** Wait for submitted work and throw the first GPU error (typed) raised since the last sync. */
  async sync(): Promise<void> {
    this.checkAlive('sync');
    const pending = this.pending;
    this.pending = [];
    const errs = await this.raceLost(Promise.all(pending));
    const first = errs.find((e) => e);
    if (first) throw first;
  }

  /** Race a promise against device loss so nothing hangs on a dead device. */
  async raceLost<T>(p: Promise<T>): Promise<T> {
    const lost = this.device.lost.then((info) => {
      throw new DeviceLostError(info.reason ?? 'unknown', info.message ?? '');
    });
    try {
      return await Promise.race([p, lost]);
    } catch (e) {
      throw this.lostError(e);
    }
  }

  async read(t: GpuTensor): Promise<NumArray> {
    this.checkAlive('read');
    const n = t.size;
    const bytes = roundUp(Math.max(4, n * dtypeBytes(t.dtype)), 4);
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder({ label: 'read' });
    if (n > 0) enc.copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    this.pool.recycle();
    const pace = gpuPace(this);
    try {
      // Sleep through most of the expected GPU time *before* creating any GPU promise (see yieldToGpu).
      await yieldToGpu(pace.pendingWork > 0 ? pace.pendingWork / pace.rate - (now() - pace.since) : 0);
      await this.sync();
      await this.raceLost(staging.mapAsync(GPUMapMode.READ));
      settleGpuPace(pace);
      const copy = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      if (t.dtype === 'f16') return Float32Array.from(new Uint16Array(copy, 0, n), f16BitsToF32);
      return t.dtype === 'u32' ? new Uint32Array(copy, 0, n) : new Float32Array(copy, 0, n);
    } finally {
      staging.destroy();
    }
  }

  /** Release every pooled buffer and pipeline; destroy the device only if this context created it. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.destroy();
    this.pipelines.clear();
    if (this.ownsDevice) this.device.destroy();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}

function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const all = `${vendor} ${architecture} ${device} ${description}`.toLowerCase();
  const isSoftware =
    /llvmpipe|lavapipe|swiftshader|warp|software|cpu/.test(all) ||
    ((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false);
  return { vendor, architecture, device, description, isSoftware };
}

/** A GPU tensor: a storage buffer plus shape. `unwrap()` hands out the raw GPUBuffer. */
export class GpuTensor {
  readonly kind = 'gpu' as const;
  private disposed = false;
  constructor(
    readonly ctx: GpuContext,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    private readonly owned: boolean,
  ) {}
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get rows(): number {
    return this.shape.length === 0 ? 1 : this.shape[0];
  }
  get cols(): number {
    return this.shape.length <= 1 ? 1 : this.shape.slice(1).reduce((a, b) => a * b, 1);
  }
  unwrap(): GPUBuffer {
    return this.buffer;
  }
  /** Reshape view sharing the buffer (no copy). */
  view(shape: readonly number[]): GpuTensor {
    if (shape.reduce((a, b) => a * b, 1) !== this.size)
      throw new ShapeError(`view: cannot view shape [${this.shape}] as [${shape}]`);
    return new GpuTensor(this.ctx, this.buffer, shape, this.dtype, false);
  }
  async read(): Promise<NumArray> {
    return this.ctx.read(this);
  }
  dispose(): void {
    if (this.disposed || !this.owned) return;
    this.disposed = true;
    this.ctx.release(this.buffer);
  }
}
