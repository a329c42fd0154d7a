// Per-op time of one ViT-B/32 residual block (random weights) on a WebGPU `Kernels`, each op waited for alone
// (queue.onSubmittedWorkDone before and after), so the table says where a tower's time goes on this adapter.
// Shared by bench/profile-clip.mjs (Node+Dawn) and its Chromium page.

/** @returns {Promise<{ perBlockMs: number, ops: Record<string, number> }>} ms per op (mean over reps) */
export async function profileBlock(k, device, { n = 1, reps = 2, L = 50, W = 768, heads = 12, fused = true } = {}) {
  const H = 4 * W;
  const R = n * L;
  let seed = 1;
  const rnd = (m) =>
    Float32Array.from({ length: m }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1);
  const t = (shape) => k.tensor(rnd(shape.reduce((a, b) => a * b, 1)), shape);
  const w = {
    g: t([W]),
    b: t([W]),
    inP: t([W, 3 * W]),
    inB: t([3 * W]),
    outP: t([W, W]),
    outB: t([W]),
    fc: t([W, H]),
    fcB: t([H]),
    pr: t([H, W]),
    prB: t([W]),
  };
  let x = t([R, W]);
  let times = {};
  let first = null;
  const step = async (name, f) => {
    await device.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    const y = f();
    await device.queue.onSubmittedWorkDone();
    times[name] = (times[name] ?? 0) + performance.now() - t0;
    return y;
  };
  const linear = fused && k.transformer.linear;
  for (let r = 0; r <= reps; r++) {
    if (r === 1) {
      first = times;
      times = {};
    }
    const live = [];
    const keep = (y) => (live.push(y), y);
    const h1 = keep(await step('layerNorm', () => k.transformer.layerNorm(x, w.g, w.b)));
    let qkv, o, x1, g, x2;
    if (linear) {
      qkv = keep(await step('linear qkv (+bias)', () => linear(h1, w.inP, { bias: w.inB })));
    } else {
      const q0 = keep(await step('matmul qkv', () => k.matmul(h1, w.inP)));
      qkv = keep(await step('bias qkv', () => k.mlp.biasAct(q0, w.inB, 'none')));
    }
    const a = keep(await step('attention', () => k.transformer.attention(qkv, { batch: n, heads, causal: false })));
    if (linear) {
      x1 = await step('linear out (+bias+residual)', () => linear(a, w.outP, { bias: w.outB, residual: x }));
    } else {
      const o0 = keep(await step('matmul out', () => k.matmul(a, w.outP)));
      o = keep(await step('bias out', () => k.mlp.biasAct(o0, w.outB, 'none')));
      x1 = await step('residual', () => k.axpy(1, o, x));
    }
    const h2 = keep(await step('layerNorm', () => k.transformer.layerNorm(x1, w.g, w.b)));
    if (linear) {
      g = keep(await step('linear fc (+bias+gelu)', () => linear(h2, w.fc, { bias: w.fcB, act: 'gelu' })));
      x2 = await step('linear proj (+bias+residual)', () => linear(g, w.pr, { bias: w.prB, residual: x1 }));
    } else {
      const f0 = keep(await step('matmul fc', () => k.matmul(h2, w.fc)));
      const f = keep(await step('bias fc', () => k.mlp.biasAct(f0, w.fcB, 'none')));
      g = keep(await step('gelu', () => k.gelu(f, 'erf')));
      const m0 = keep(await step('matmul proj', () => k.matmul(g, w.pr)));
      const m = keep(await step('bias proj', () => k.mlp.biasAct(m0, w.prB, 'none')));
      x2 = await step('residual', () => k.axpy(1, m, x1));
    }
    for (const z of [...live, x, x1]) z.dispose();
    x = x2;
  }
  x.dispose();
  for (const z of Object.values(w)) z.dispose();
  await k.sync();
  const ops = {};
  let tot = 0;
  for (const [name, v] of Object.entries(times)) {
    ops[name] = v / reps;
    tot += v / reps;
  }
  const firstMs = Object.values(first ?? {}).reduce((a, b) => a + b, 0);
  return { n, rows: R, perBlockMs: tot, firstMs, first, ops };
}

export function formatProfile(p, label) {
  const lines = [
    `${label} n=${p.n} (${p.rows} rows): one block ${p.perBlockMs.toFixed(1)} ms (first ${p.firstMs.toFixed(0)} ms)`,
  ];
  for (const [name, v] of Object.entries(p.ops))
    lines.push(`  ${name.padEnd(30)} ${v.toFixed(1).padStart(8)} ms  ${((100 * v) / p.perBlockMs).toFixed(1)}%`);
  return lines.join('\n');
}
