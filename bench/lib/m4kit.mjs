// m4kit matmul bench, runtime-neutral: pass the loaded @m4kit/kernels module (Node entry, Deno or browser).
import { measure, na, randomMatrix, spotCheck, estSeconds } from './measure.mjs';

/**
 * opts: { shapes, variants: string[] (may include 'default'), budgetMs, maxReps, maxTrials, maxCallSeconds, log }
 * Returns { adapter, defaultVariant, measurements: [{ impl, variant, shape, ...result }] }.
 */
export async function benchM4kit(kernels, opts) {
  const log = opts.log ?? (() => {});
  const k = await kernels.init({ backend: 'webgpu' });
  const ctx = kernels.gpuContextOf(k);
  const adapter = ctx ? { ...ctx.adapterInfo, features: { ...ctx.features } } : null;
  const defaultVariant = ctx ? kernels.defaultMatmulVariant(ctx) : 'cpu';
  const measurements = [];
  const rate = {}; // variant -> last GFLOP/s, to skip calls that would blow the time budget
  try {
    for (const [M, K, N] of opts.shapes) {
      const a = randomMatrix(M * K, 1);
      const b = randomMatrix(K * N, 2);
      const A = k.tensor(a, [M, K]);
      const B = k.tensor(b, [K, N]);
      const flops = 2 * M * K * N;
      for (const v of opts.variants) {
        const variant = v === 'default' ? defaultVariant : v;
        const runs = effectiveVariant(ctx, variant, K, N);
        const label = v === 'default' ? `default (${runs})` : v;
        const rec = { impl: 'm4kit', variant: label, runs, shape: [M, K, N] };
        if (v === 'default') {
          // same kernel already measured in this run: report it, do not time it twice
          const same = measurements.find(
            (m) => m.status === 'ok' && m.variant === runs && m.runs === runs && m.shape.join() === [M, K, N].join(),
          );
          if (same) {
            measurements.push({ ...same, ...rec, aliasOf: runs });
            continue;
          }
        }
        const est = estSeconds(flops, rate[runs]);
        if (opts.maxCallSeconds && est > opts.maxCallSeconds) {
          measurements.push({
            ...rec,
            ...na(
              `skipped: ~${est.toFixed(0)} s per call at the rate measured on a smaller shape (cap ${opts.maxCallSeconds} s)`,
            ),
          });
          log(`  ${rec.variant} ${M}x${K}x${N}: skipped (est ${est.toFixed(0)} s/call)`);
          continue;
        }
        try {
          const r = await measure(
            {
              run: () => k.matmul(A, B, { variant }),
              read: (C) => C.read(),
              dispose: (C) => C.dispose(),
            },
            {
              flops,
              budgetMs: opts.budgetMs,
              maxReps: opts.maxReps,
              maxTrials: opts.maxTrials,
              check: (c) => spotCheck(a, b, c, M, K, N),
            },
          );
          rate[runs] = r.gflops;
          measurements.push({ ...rec, ...r });
          log(
            `  ${rec.variant} ${M}x${K}x${N}: ${r.gflops.toFixed(2)} GFLOP/s (${r.trials}×${r.reps} reps, err ${r.maxAbsErr?.toExponential(1)})`,
          );
        } catch (e) {
          measurements.push({ ...rec, ...na(e?.message ?? e) });
          log(`  ${rec.variant} ${M}x${K}x${N}: n/a (${e?.message ?? e})`);
        }
      }
      A.dispose();
      B.dispose();
    }
  } finally {
    k.destroy();
  }
  return { adapter, defaultVariant, measurements };
}

/** Mirror of the launcher's fallback chain (subgroup → vec4 → blocked) for A·B, to label what really ran. */
export function effectiveVariant(ctx, variant, K, N) {
  let v = variant;
  if (v === 'subgroup' && !ctx?.features?.subgroups) v = 'vec4';
  if ((v === 'subgroup' || v === 'vec4') && (K === 0 || K % 4 !== 0 || N % 4 !== 0)) v = 'blocked';
  return v;
}
