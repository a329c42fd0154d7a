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

/** Element type. `f16` needs the adapter's `shader-f16` feature (`ctx.features.f16`); it is storage for
 * mixed precision: convert with `cast()` before f32 kernels. */
export type DType = 'f32' | 'u32' | 'f16';

/** Bytes per element. */
export function dtypeBytes(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}
export type NumArray = Float32Array | Float64Array | Uint32Array | Int32Array;

export interface GpuContextOptions {
  /** Use this GPU object instead of the runtime seam (navigator.gpu / Dawn). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /**
   * Cap on the bytes bound per storage binding (default: the adapter's maxStorageBufferBindingSize).
   * Inputs larger than this are processed in row chunks; tests lower it to exercise chunking.
   */
  maxBindingSize?: number;
  /** Force kernel variants, e.g. { matmul: 'simple' }; otherwise chosen per adapter. */
  variants?: Record<string, string>;
  /** Request f16/subgroups/timestamp-query when the adapter has them (default true). */
  optionalFeatures?: boolean;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for CPU implementations (lavapipe, SwiftShader, WARP) */
  isSoftware: boolean;
}

interface PooledBuffer {
  buffer: GPUBuffer;
  size: number;
  usage: number;
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

export interface DispatchSpec {
  op: string;
  pipeline: GPUComputePipeline;
  /** bindings in @binding order (group 0) */
  bindings: GPUBindingResource[];
  workgroups: [number, number?, number?];
}

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
  readonly variants: Record<string, string>;
  private pipelines = new Map<string, GPUComputePipeline>();
  private pool = new Map<string, GPUBuffer[]>();
  private pending: Promise<M4kitError | null>[] = [];
  private lostInfo: { reason: string; message: string } | null = null;
  private destroyed = false;
  /** Buffers released since the last submit; they return to the pool only after a later submit. */
  private retiring: GPUBuffer[] = [];

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
  static fromDevice(device: GPUDevice, opts: GpuContextOptions = {}, adapterInfo?: Partial<AdapterDescription>): GpuContext {
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

  variant(op: string, fallback: string): string {
    return this.variants[op] ?? fallback;
  }

  checkAlive(op: string): void {
    if (this.destroyed) throw new DeviceLostError('destroyed', `${op} called after destroy()`);
    if (this.lostInfo) throw new DeviceLostError(this.lostInfo.reason, this.lostInfo.message);
  }

  /** Compile once per (device, key); the key must hold exactly what the WGSL source depends on. */
  pipeline(key: string, source: () => string, entryPoint = 'main'): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      this.checkAlive(key);
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: source(), label: key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label: key });
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

  private poolKey(size: number, usage: number): string {
    return `${usage}:${size}`;
  }

  /** Storage buffer from the pool (size rounded to a power-of-two class ≥ 256 B). */
  acquire(bytes: number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST): GPUBuffer {
    this.checkAlive('allocate');
    const size = bytes <= 256 ? 256 : 2 ** Math.ceil(Math.log2(bytes));
    if (size > this.limits.maxBufferSize && bytes <= this.limits.maxBufferSize) {
      return this.device.createBuffer({ size: roundUp(bytes, 16), usage });
    }
    if (bytes > this.limits.maxBufferSize) {
      throw new GpuOutOfMemoryError('allocate', `buffer of ${bytes} bytes exceeds maxBufferSize ${this.limits.maxBufferSize}`);
    }
    const list = this.pool.get(this.poolKey(size, usage));
    if (list && list.length) return list.pop()!;
    return this.device.createBuffer({ size, usage });
  }

  /** Return a buffer; it becomes reusable only after the next submit (the one that may still use it). */
  release(buffer: GPUBuffer): void {
    if (this.destroyed) return;
    this.retiring.push(buffer);
  }

  private recycleRetired(): void {
    for (const b of this.retiring) {
      const k = this.poolKey(b.size, b.usage);
      let list = this.pool.get(k);
      if (!list) this.pool.set(k, (list = []));
      list.push(b);
    }
    this.retiring = [];
  }

  tensor(data: ArrayLike<number> | null, shape: readonly number[], dtype: DType = 'f32'): GpuTensor {
    this.checkAlive('tensor');
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape [${shape}]`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (data && data.length !== n) throw new ShapeError(`tensor: data has ${data.length} elements, shape [${shape}] needs ${n}`);
    if (dtype === 'f16' && !this.features.f16) {
      throw new ArgumentError(`tensor: f16 needs the adapter's shader-f16 feature, which ${this.adapterInfo.description || 'this adapter'} lacks (use f32)`);
    }
    const bytes = roundUp(Math.max(4, n * dtypeBytes(dtype)), 4);
    const buffer = this.acquire(bytes);
    if (data && n > 0) {
      let arr: ArrayBufferView;
      if (dtype === 'f16') {
        const h = new Uint16Array(bytes / 2);
        for (let i = 0; i < n; i++) h[i] = f32ToF16Bits(data[i]);
        arr = h;
      } else arr = dtype === 'u32' ? Uint32Array.from(data) : data instanceof Float32Array ? data : Float32Array.from(data);
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
  submit(op: string, dispatches: DispatchSpec[], temps: GPUBuffer[] = [], beforeEncode?: (enc: GPUCommandEncoder) => void): void {
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
    this.recycleRetired();
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
    this.recycleRetired();
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
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pipelines.clear();
    if (this.ownsDevice) this.device.destroy();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}

/**
 * Dawn in Node services GPU promises by spinning the event loop; on a 2-core CPU adapter that steals a core
 * from the driver for as long as a promise is pending. So `read()` first sleeps through most of the work it
 * expects the queue still holds, and only then creates the promises it awaits.
 *
 * The expectation is an adaptive pace per context: launchers report work (`noteGpuWork`, e.g. matmul FLOPs);
 * after each read the measured wall time of the work since the first unread report updates an EMA of the
 * rate. Only a fraction (SLEEP_FRACTION) of the expected time is slept, so an underestimated rate corrects
 * itself upwards on the next read instead of locking in an oversleep. Small amounts of work just yield.
 */
interface GpuPace {
  /** reported work since the last read (arbitrary units, FLOPs for matmul) */
  pendingWork: number;
  /** time of the first report since the last read (ms) */
  since: number;
  /** work units per ms (EMA) */
  rate: number;
}
const paces = new WeakMap<object, GpuPace>();
const SLEEP_FRACTION = 0.8;
/** optimistic start (50 GFLOP/s): the first read sleeps little and measures */
const INITIAL_RATE = 50e6;
/** below this expected time (ms) a plain macrotask yield is used; above MAX_SLEEP_MS we spin the rest */
const MIN_SLEEP_MS = 2;
const MAX_SLEEP_MS = 1000;
/** batches smaller than this (1e8 FLOPs ≈ ms of work) are dominated by fixed costs (compiles, submits): not measured */
const MIN_MEASURED_WORK = 1e8;
const now = (): number => (globalThis.performance?.now ? globalThis.performance.now() : Date.now());

function gpuPace(ctx: object): GpuPace {
  let p = paces.get(ctx);
  if (!p) paces.set(ctx, (p = { pendingWork: 0, since: 0, rate: INITIAL_RATE }));
  return p;
}

/** Launchers report the work they submitted so `read()` can sleep instead of spinning while it runs. */
export function noteGpuWork(ctx: object, work: number): void {
  const p = gpuPace(ctx);
  if (p.pendingWork === 0) p.since = now();
  p.pendingWork += work;
}

function settleGpuPace(p: GpuPace): void {
  if (p.pendingWork > 0) {
    const ms = now() - p.since;
    // ignore small batches (fixed overheads); a slow outlier (pipeline compile, contention) may lower the
    // rate at most 4× per read, so one bad measurement cannot make later reads oversleep much
    if (p.pendingWork >= MIN_MEASURED_WORK && ms > 0) {
      const measured = Math.max(p.pendingWork / ms, p.rate / 4);
      p.rate = p.rate === INITIAL_RATE ? measured : 0.5 * p.rate + 0.5 * measured;
    }
  }
  p.pendingWork = 0;
}

async function yieldToGpu(expectedMs = 0): Promise<void> {
  const ms = expectedMs * SLEEP_FRACTION;
  await new Promise<void>((r) => setTimeout(r, ms >= MIN_SLEEP_MS ? Math.min(ms, MAX_SLEEP_MS) : 0));
}

function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const all = `${vendor} ${architecture} ${device} ${description}`.toLowerCase();
  const isSoftware =
    /llvmpipe|lavapipe|swiftshader|warp|software|cpu/.test(all) || ((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false);
  return { vendor, architecture, device, description, isSoftware };
}

export function assertShape(cond: boolean, msg: () => string): void {
  if (!cond) throw new ShapeError(msg());
}

export function assertArg(cond: boolean, msg: () => string): void {
  if (!cond) throw new ArgumentError(msg());
}
