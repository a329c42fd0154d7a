// The Dawn pacing heuristic: how long `GpuContext.read()` sleeps before it creates the promises it awaits.

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
export interface GpuPace {
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
export const now = (): number => (globalThis.performance?.now ? globalThis.performance.now() : Date.now());

export function gpuPace(ctx: object): GpuPace {
  let p = paces.get(ctx);
  if (!p) paces.set(ctx, (p = { pendingWork: 0, since: 0, rate: INITIAL_RATE }));
  return p;
}

/**
 * Launchers report the work they submitted so `read()` can sleep instead of spinning while it runs.
 * @param ctx - the context the work was submitted on.
 * @param work - an estimate of the work (arbitrary units, the same scale for every launcher).
 */
export function noteGpuWork(ctx: object, work: number): void {
  const p = gpuPace(ctx);
  if (p.pendingWork === 0) p.since = now();
  p.pendingWork += work;
}

export function settleGpuPace(p: GpuPace): void {
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

export async function yieldToGpu(expectedMs = 0): Promise<void> {
  const ms = expectedMs * SLEEP_FRACTION;
  await new Promise<void>((r) => setTimeout(r, ms >= MIN_SLEEP_MS ? Math.min(ms, MAX_SLEEP_MS) : 0));
}
