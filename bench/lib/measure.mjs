// Runtime-neutral timing helpers shared by the Node, Deno and browser benches (no imports).
//
// Method (every implementation): one warm-up call (pipeline compile / session init) ending in a readback,
// then `trials` timed batches of R back-to-back calls that end in ONE readback of the last result; the
// reported number is the median over trials of GFLOP/s = 2·M·K·N·R / batch time.

export const SHAPES = [
  [4096, 512, 512],
  [1024, 768, 512],
  [2048, 2048, 2048],
];
export const QUICK_SHAPES = [
  [1024, 512, 512],
  [512, 768, 512],
];

export const now = () => (globalThis.performance?.now ? globalThis.performance.now() : Date.now());

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** deterministic inputs in [-0.5, 0.5) */
export function randomMatrix(n, seed = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

/** Spot-check C against a float64 dot product at a few (m, n); returns the max abs error. */
export function spotCheck(a, b, c, M, K, N, count = 16) {
  let err = 0;
  for (let t = 0; t < count; t++) {
    const m = (t * 7919) % M;
    const n = (t * 104729 + N - 1) % N;
    let s = 0;
    for (let k = 0; k < K; k++) s += a[m * K + k] * b[k * N + n];
    err = Math.max(err, Math.abs(s - c[m * N + n]));
  }
  return err;
}

/**
 * impl: { run(): handle, read(handle): Promise<Float32Array|void>, dispose?(handle) }
 * opts: { flops, budgetMs (timed part), maxReps, maxTrials, check?(result) }
 */
export async function measure(impl, opts) {
  const { flops, budgetMs = 6000, maxReps = 5, maxTrials = 3 } = opts;
  const t0 = now();
  const h0 = impl.run();
  const first = await impl.read(h0);
  const warmMs = now() - t0;
  const maxErr = opts.check && first ? opts.check(first) : undefined;
  impl.dispose?.(h0);
  // size the timed part from the warm-up (which includes compilation, so this errs towards fewer reps)
  const trials = warmMs * maxTrials <= budgetMs ? maxTrials : 1;
  const reps = Math.max(1, Math.min(maxReps, Math.floor(budgetMs / (trials * Math.max(warmMs, 1)))));
  const msPerRep = [];
  for (let t = 0; t < trials; t++) {
    const s = now();
    let h;
    for (let r = 0; r < reps; r++) {
      if (h !== undefined) impl.dispose?.(h);
      h = impl.run();
    }
    await impl.read(h);
    msPerRep.push((now() - s) / reps);
    impl.dispose?.(h);
  }
  const med = median(msPerRep);
  return {
    status: 'ok',
    gflops: flops / med / 1e6,
    msPerRep: msPerRep.map((x) => +x.toFixed(3)),
    reps,
    trials,
    warmMs: +warmMs.toFixed(1),
    maxAbsErr: maxErr,
  };
}

export function na(reason) {
  return { status: 'n/a', reason: String(reason).slice(0, 300) };
}

/** estimated seconds for one call given an earlier measured rate (GFLOP/s) */
export function estSeconds(flops, gflops) {
  return gflops > 0 ? flops / gflops / 1e9 : 0;
}
