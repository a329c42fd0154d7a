// Shared by bench/clip.mjs (Node) and bench/clip-browser.mjs (Chromium): seeded inputs for both towers and the
// budgeted timing loop. The model is read through the SDK (resolveClipConfig, openSafetensors / openClipWeights).

/** mulberry32 */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** seeded N(0, 1)-ish pixels (already "normalised") for n images of side S */
export function randomPixels(n, S, seed) {
  const r = rng(seed);
  const x = new Float32Array(n * 3 * S * S);
  for (let i = 0; i < x.length; i++) x[i] = (r() + r() + r() - 1.5) * 2;
  return x;
}

/** n token rows of length L over a vocabulary of V: start token V−2, random ids, end token V−1, zero padding */
export function randomTokens(n, L, V, seed) {
  const r = rng(seed);
  const ids = new Int32Array(n * L);
  for (let i = 0; i < n; i++) {
    const e = 5 + ((i * 7) % (L - 6));
    ids[i * L] = V - 2;
    for (let t = 1; t < e; t++) ids[i * L + t] = 1 + Math.floor(r() * (V - 3));
    ids[i * L + e] = V - 1;
  }
  return ids;
}

/** max |a − b| / max |b| */
export function maxRelErr(a, b) {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / (s || 1);
}

const fmt = (s) => s.toFixed(0);

/**
 * Time one implementation of one tower: `run(input, n)` → features, `input(n, seed)` makes a batch. Per batch
 * size: a first call (the warm-up: compiles, first uploads), then `reps` timed calls. Everything stays inside
 * `budgetS` seconds: a batch whose estimate (from the seconds per item of the previous batch) does not fit what
 * is left is halved until it does, and the record says so (`requestedBatch`, `note`); batch 1 always gets its
 * `reps` warm calls, a larger batch drops them when its first call already used the time (the first call is then
 * the timing). `cpu()` (optional): this process's CPU
 * seconds, recorded per timed call beside the wall time (the machine is shared). Records are pushed onto `out` as they
 * complete (a caller that times out can still read the finished ones).
 */
export async function timeBatches(run, input, { batches, reps, budgetS, meter, cpu, onLog = () => {}, out = [] }) {
  const start = performance.now();
  const left = () => budgetS - (performance.now() - start) / 1000;
  let perItem = null;
  // the first call's extra time at batch 1 (compiles): a new batch size may pay it again (onnxruntime-web's
  // shaders are specialised per shape), so estimates include it
  let overhead = 0;
  for (const want of batches) {
    let b = want;
    let note;
    if (perItem != null && want > 1) {
      const est = (c) => overhead + c * perItem * (1 + reps);
      while (b > 1 && est(b) > left()) b = Math.floor(b / 2);
      if (b < want)
        note =
          `batch ${want} estimated ${fmt(est(want))} s > ${fmt(left())} s left of the ${fmt(budgetS)} s budget: ` +
          (b > 1 ? `measured batch ${b}` : 'no larger batch fits');
      if (b <= 1) {
        out.push({ batch: want, status: 'n/a', reason: note });
        onLog(`batch ${want}: n/a ${note}`);
        continue;
      }
    }
    const x = input(b, 1 + b);
    const m = meter?.();
    try {
      let t0 = performance.now();
      const first = await run(x, b);
      const firstS = (performance.now() - t0) / 1000;
      // batch 1 always gets its warm calls (its first call is the warm-up); a larger one only within the budget
      const limit = b === 1 || firstS * reps <= left() ? reps : 0;
      t0 = performance.now();
      const c0 = cpu?.();
      for (let i = 0; i < limit; i++) await run(x, b);
      const per = limit ? (performance.now() - t0) / 1000 / limit : firstS;
      const cpuPer = limit && cpu ? (cpu() - c0) / limit : undefined;
      perItem = per / b;
      if (b === 1 && limit) overhead = Math.max(0, firstS - per);
      const rec = { batch: b, status: 'ok', firstCallS: firstS, secondsPerCall: per, itemsPerS: b / per, reps: limit };
      rec.imagesPerS = rec.itemsPerS;
      if (cpuPer !== undefined) rec.cpuSecondsPerCall = cpuPer;
      if (b !== want) Object.assign(rec, { requestedBatch: want, note });
      if (m) rec.peakBytes = m.peakBytes;
      rec.sample = Array.from(first.subarray(0, Math.min(first.length, 8)));
      if (b === 1) rec.features = Array.from(first);
      out.push(rec);
      onLog(
        `batch ${b}: first ${firstS.toFixed(2)} s, ${(b / per).toFixed(3)}/s (${limit} reps)${note ? ` — ${note}` : ''}`,
      );
    } catch (e) {
      out.push({ batch: b, status: 'n/a', reason: String(e?.message ?? e).split('\n')[0] });
      onLog(`batch ${b}: n/a ${String(e?.message ?? e).split('\n')[0]}`);
    }
  }
  return out;
}
