// Shared by bench/clip.mjs (Node) and bench/clip-browser.mjs (Chromium): the bench model's config, resolved as
// the towers take it, and a ClipWeightSource over any "read bytes [a, b) of the safetensors file" function.

/** open_clip_config.json (as bench/clip-torch.py writes it) → ClipConfig */
export function resolveConfig(json) {
  const m = json.model_cfg;
  const v = m.vision_cfg;
  const t = m.text_cfg;
  return {
    embedDim: m.embed_dim,
    quickGelu: !!m.quick_gelu,
    vision: {
      imageSize: v.image_size,
      patchSize: v.patch_size,
      width: v.width,
      layers: v.layers,
      heads: v.width / (v.head_width ?? 64),
      mlpRatio: v.mlp_ratio ?? 4,
    },
    text: {
      contextLength: t.context_length,
      vocabSize: t.vocab_size,
      width: t.width,
      heads: t.heads,
      layers: t.layers,
      mlpRatio: t.mlp_ratio ?? 4,
    },
    preprocess: {
      mean: json.preprocess_cfg.mean,
      std: json.preprocess_cfg.std,
      interpolation: 'bicubic',
      resizeMode: 'shortest',
    },
  };
}

/** A ClipWeightSource over an F32 safetensors header and `readBytes(start, end)` (absolute file offsets). */
export function weightSource(header, dataStart, readBytes) {
  const entries = new Map();
  for (const [k, v] of Object.entries(header))
    if (k !== '__metadata__') entries.set(k, { dtype: v.dtype, shape: v.shape });
  return {
    entries,
    async read(name) {
      const e = header[name];
      if (!e || e.dtype !== 'F32') throw new Error(`bench weights: ${name} missing or not F32`);
      const [a, b] = e.data_offsets;
      const bytes = await readBytes(dataStart + a, dataStart + b);
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    },
  };
}

/** seeded N(0, 1)-ish pixels (already "normalised") for n images of side S */
export function randomPixels(n, S, seed) {
  let a = seed >>> 0;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(n * 3 * S * S);
  for (let i = 0; i < x.length; i++) x[i] = (r() + r() + r() - 1.5) * 2;
  return x;
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

/**
 * Time one implementation: `run(pixels, n)` → features. First call (compiles, uploads) then `reps` calls, capped
 * so the timed calls stay under `budgetS`; with reps 0 or a first call above the budget the first call is the timing.
 * Records are pushed onto `out` as they complete (a caller that times out can still read the finished ones). Returns the record bench/clip.mjs tabulates.
 */
export async function timeBatches(run, { S, batches, reps, budgetS, seed = 1, meter, onLog = () => {}, out = [] }) {
  for (const b of batches) {
    const pixels = randomPixels(b, S, seed + b);
    const m = meter?.();
    try {
      let t0 = performance.now();
      const first = await run(pixels, b);
      const firstS = (performance.now() - t0) / 1000;
      let done = 0;
      t0 = performance.now();
      // reps 0, or a first call already over the budget: the first call is the timing (no compile after batch 1)
      const limit = firstS > budgetS ? 0 : reps;
      while (done < limit && (done === 0 || ((performance.now() - t0) / 1000 / done) * (done + 1) <= budgetS)) {
        await run(pixels, b);
        done++;
      }
      const per = done ? (performance.now() - t0) / 1000 / done : firstS;
      const rec = { batch: b, status: 'ok', firstCallS: firstS, secondsPerCall: per, imagesPerS: b / per, reps: done };
      if (m) rec.peakBytes = m.peakBytes;
      rec.sample = Array.from(first.subarray(0, Math.min(first.length, 8)));
      rec.features = b === 1 ? Array.from(first) : undefined;
      out.push(rec);
      onLog(`batch ${b}: first ${firstS.toFixed(2)} s, ${(b / per).toFixed(2)} images/s (${done} reps)`);
    } catch (e) {
      out.push({ batch: b, status: 'n/a', reason: String(e?.message ?? e).split('\n')[0] });
      onLog(`batch ${b}: n/a ${String(e?.message ?? e).split('\n')[0]}`);
    }
  }
  return out;
}
