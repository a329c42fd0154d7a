import { init, type InitOptions, type Kernels, type Tensor } from '@m4kit/kernels';
import { listOps } from '@m4kit/kernels/advanced';

/**
 * What `selfCheck` returns: the backend, the adapter and one line per op case (ok, max error, time).
 */
export interface SelfCheckResult {
  backend: string;
  adapter: string;
  isSoftware: boolean;
  checks: { name: string; ok: boolean; maxError: number; ms: number }[];
  ok: boolean;
}

/** A seeded PRNG (the same inputs on both backends). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function call(k: Kernels, path: string, args: unknown[]): unknown {
  const parts = path.split('.');
  let owner: any = k;
  for (const p of parts.slice(0, -1)) owner = owner[p];
  return owner[parts[parts.length - 1]](...args);
}

async function outputs(r: unknown, args: unknown[], out?: (r: any, a: any) => Tensor | Tensor[]) {
  const t = out ? out(r, args) : (r as Tensor);
  return Promise.all((Array.isArray(t) ? t : [t]).map((x) => x.read()));
}

/**
 * The quick "does this machine work" check: each op's self-check case (declared with the op,
 * packages/kernels/src/ops/registry.ts) on this backend against the float64 CPU backend.
 * @param opts - `init()` options of the backend to check.
 * @returns the backend, the adapter and one line per self-check case.
 */
export async function selfCheck(opts: InitOptions = {}): Promise<SelfCheckResult> {
  const k: Kernels = await init(opts);
  const ref: Kernels = await init({ backend: 'cpu' });
  try {
    const checks: SelfCheckResult['checks'] = [];
    for (const { path, decl } of listOps()) {
      for (const c of decl.cases ?? []) {
        if (!c.selfcheck || !c.tol) continue;
        const t0 = performance.now();
        const argsK = c.args(k, lcg(1));
        const got = await outputs(await call(k, path, argsK), argsK, c.out);
        const ms = performance.now() - t0;
        const argsR = c.args(ref, lcg(1));
        const want = await outputs(await call(ref, path, argsR), argsR, c.out);
        let e = 0;
        let ok = got.length === want.length;
        want.forEach((w, j) => {
          const g = got[j];
          ok &&= g.length === w.length;
          for (let i = 0; i < w.length; i++) {
            const d = Math.abs(g[i] - w[i]);
            e = Math.max(e, d / Math.max(1, Math.abs(w[i])));
            ok &&= d <= Math.max(c.tol!.rel * Math.abs(g[i] + w[i]), c.tol!.abs) || g[i] === w[i];
          }
        });
        checks.push({ name: path, ok, maxError: e, ms });
      }
    }
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
    ref.destroy();
  }
}
