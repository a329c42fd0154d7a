import { init, ref, type InitOptions, type Kernels } from '@m4kit/kernels';

export interface SelfCheckResult {
  backend: string;
  adapter: string;
  isSoftware: boolean;
  checks: { name: string; ok: boolean; maxError: number; ms: number }[];
  ok: boolean;
}

/** Runs each kernel family once against its float64 reference: the quick "does this machine work" check. */
export async function selfCheck(opts: InitOptions = {}): Promise<SelfCheckResult> {
  const k: Kernels = await init(opts);
  try {
    const checks: SelfCheckResult['checks'] = [];
    let seed = 1;
    const rnd = (n: number) =>
      Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
    const check = async (
      name: string,
      run: () => Promise<ArrayLike<number>>,
      expected: ArrayLike<number>,
      tol: number,
    ) => {
      const t0 = performance.now();
      const got = await run();
      let e = 0;
      for (let i = 0; i < expected.length; i++)
        e = Math.max(e, Math.abs(got[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
      checks.push({ name, ok: got.length === expected.length && e <= tol, maxError: e, ms: performance.now() - t0 });
    };
    const [M, K, N] = [67, 45, 33];
    const a = rnd(M * K);
    const b = rnd(K * N);
    await check(
      'matmul',
      () => k.matmul(k.tensor(a, [M, K]), k.tensor(b, [K, N])).read(),
      ref.matmulRef(a, b, { batch: 1, M, K, N }),
      1e-5,
    );
    await check('l2normalize', () => k.l2normalize(k.tensor(a, [M, K])).read(), ref.l2normalizeRef(a, M, K), 1e-5);
    await check('softmax', () => k.softmax(k.tensor(a, [M, K]), 1).read(), ref.softmaxRef(a, M, K, 1), 1e-5);
    await check(
      'logsumexp',
      () => k.logsumexp(k.tensor(a, [M, K]), 0).read(),
      ref.reduceRef(a, M, K, 'logsumexp', 0),
      1e-5,
    );
    await check('sum', () => k.sum(k.tensor(a, [M, K])).read(), [ref.reduceAllRef(a, 'sum')], 1e-4);
    await check('topk', () => k.topk(k.tensor(a, [M, K]), 5).indices.read(), ref.topkRef(a, M, K, 5).indices, 0);
    // the fused families, through the same surface
    const [n, d] = [19, 13];
    const u = rnd(n * d);
    const w = rnd(n * d);
    const clipDU = async () => (await k.losses.clip(k.tensor(u, [n, d]), k.tensor(w, [n, d]), 2)).dU.read();
    await check('losses.clip', clipDU, ref.clipLossRef(u, w, n, d, 2).dU, 1e-4);
    const bias = rnd(K);
    const act = () => k.mlp.biasAct(k.tensor(a, [M, K]), k.tensor(bias, [K]), 'gelu').read();
    await check('mlp.biasAct', act, ref.biasActRef(a, M, K, bias, 'gelu'), 1e-5);
    const [p0, g0] = [rnd(K), rnd(K)];
    const hp = { lr: 0.01, weightDecay: 0.1 };
    await check(
      'optim.adamw',
      async () => {
        const P = k.tensor(p0, [K]);
        k.optim.adamw(P, k.tensor(g0, [K]), k.zeros([K]), k.zeros([K]), 1, hp);
        return P.read();
      },
      ref.adamwRef(p0, g0, new Float64Array(K), new Float64Array(K), 1, hp).params,
      1e-5,
    );
    return {
      backend: k.backend,
      adapter: k.adapter
        ? `${k.adapter.description || k.adapter.device} (${k.adapter.vendor}/${k.adapter.architecture})`
        : 'cpu (float64 reference)',
      isSoftware: k.adapter?.isSoftware ?? true,
      checks,
      ok: checks.every((c) => c.ok),
    };
  } finally {
    k.destroy();
  }
}
