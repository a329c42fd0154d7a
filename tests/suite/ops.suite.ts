// Every declared op (packages/kernels/src/ops/registry.ts) against its float64 reference: each case of each
// declaration runs on WebGPU and on the CPU backend with the same seeded inputs and is compared within the
// case's stated tolerance; a `throws` case must throw the same typed error on both backends. Adding an op with
// cases adds its tests here — nothing to list.
import { init, type InitOptions, type Kernels, type Tensor } from '@m4kit/kernels';
import { listOps } from '@m4kit/kernels/advanced';
import { assert, assertClose, assertRejects, rng, Suite, type Env } from './harness.js';

export function opsSuite(env: Env): Suite {
  const s = new Suite(`ops[${env.runtime}]`);
  const contexts = new Map<string, Promise<Kernels>>();
  const get = (opts: InitOptions): Promise<Kernels> => {
    const key = JSON.stringify(opts);
    if (!contexts.has(key)) contexts.set(key, init(opts));
    return contexts.get(key)!;
  };
  const call = (k: Kernels, path: string, args: unknown[]): unknown => {
    const parts = path.split('.');
    let fn: any = k;
    for (const p of parts.slice(0, -1)) fn = fn[p];
    return fn[parts[parts.length - 1]](...args);
  };
  const outputs = async (r: unknown, args: unknown[], out?: (r: any, a: any) => Tensor | Tensor[]) => {
    const t = out ? out(r, args) : (r as Tensor);
    return Promise.all((Array.isArray(t) ? t : [t]).map((x) => x.read()));
  };

  for (const { path, decl } of listOps()) {
    for (const [i, c] of (decl.cases ?? []).entries()) {
      s.test(`${path}: ${c.name}`, async () => {
        const seed = 1000 + i;
        const gpuOpts: InitOptions = c.maxBindingSize
          ? { backend: 'webgpu', maxBindingSize: c.maxBindingSize }
          : { backend: 'webgpu' };
        const backends = [await get(gpuOpts), await get({ backend: 'cpu' })];
        if (c.throws) {
          for (const k of backends) {
            const args = c.args(k, rng(seed));
            await assertRejects(() => call(k, path, args), c.throws.error, c.throws.message, `${path} ${k.backend}`);
          }
          return;
        }
        const got: ArrayLike<number>[][] = [];
        for (const k of backends) {
          const args = c.args(k, rng(seed));
          got.push(await outputs(await call(k, path, args), args, c.out));
        }
        assert(c.tol !== undefined, `${path} ${c.name}: a compared case states its tolerance`);
        got[1].forEach((want, j) => assertClose(got[0][j], want, c.tol!, `${path} ${c.name} output ${j}`));
      });
    }
  }
  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}
