import {
  DeviceLostError,
  GpuValidationError,
  init,
  isCI,
  NoAdapterError,
  ShapeError,
  type InitOptions,
  type Kernels,
  type Tensor,
} from '@m4kit/kernels';
import { GpuContext, ref, gpuContextOf } from '@m4kit/kernels/advanced';
import * as ext from '@m4kit/kernels/advanced';
import {
  assert,
  assertClose,
  assertEqualArrays,
  assertRejects,
  randArray,
  rng,
  Suite,
  TOL,
  type Env,
} from './harness.js';

export function kernelSuite(env: Env): Suite {
  const s = new Suite(`kernels[${env.runtime}]`);
  const contexts = new Map<string, Promise<Kernels>>();
  const get = (opts: InitOptions = {}): Promise<Kernels> => {
    const key = JSON.stringify(opts);
    if (!contexts.has(key)) contexts.set(key, init({ backend: 'webgpu', ...opts }));
    return contexts.get(key)!;
  };
  const main = () => get();

  s.test('adapter: a WebGPU adapter exists (required under CI)', async () => {
    let k: Kernels;
    try {
      k = await main();
    } catch (e) {
      if (e instanceof NoAdapterError && !isCI())
        throw new Error(`no adapter on ${env.runtime} (outside CI this is reported, not skipped): ${e.message}`);
      throw e;
    }
    assert(k.backend === 'webgpu', 'backend is webgpu');
    assert(
      gpuContextOf(k) !== null && gpuContextOf(k)!.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024,
      'adapter max binding size was requested',
    );
  });

  // ---------------------------------------------------------------- M4 moments
  const momentsCase = async (
    k: Kernels,
    n: number,
    m: number,
    c: number,
    opts: { u?: boolean; w?: boolean; fixedQ?: number; probs?: boolean; noQ?: boolean; seed: number },
  ) => {
    const ctx = gpuContextOf(k)!;
    const r = rng(opts.seed);
    const S = new Float32Array(n * m);
    for (let i = 0; i < n; i++) {
      if (opts.probs) for (let j = 0; j < m; j++) S[i * m + j] = Math.fround(r());
      else S[i * m + Math.floor(r() * m)] = 1;
    }
    const Y = Float32Array.from({ length: n * c }, () => (opts.probs ? Math.fround(r()) : r() < 0.3 ? 1 : 0));
    const u = opts.u ? randArray(r, n, 0.2) : undefined;
    const w = opts.w ? Float32Array.from({ length: n }, () => 1 + Math.floor(r() * 50)) : undefined;
    const W = Array.from(randArray(r, m * (c + 1), 0.5));
    const pi = Array.from({ length: m }, () => 1 / m);
    const prm = { W, pi, mu: 0.05, eta: 0.6, fixedQ: opts.fixedQ };
    const qOut = opts.noQ ? undefined : ctx.empty([n]);
    const part = await ext
      .momentsPass(
        ctx,
        { S: ctx.tensor(S, [n, m]), Y: ctx.tensor(Y, [n, c]), u: u && ctx.tensor(u, [n]), w: w && ctx.tensor(w, [n]) },
        { ...prm, qOut },
      )
      .read();
    const got = ext.foldMomentsPartials(part, m, c);
    const exp = ref.momentsRef({ n, m, c, S, Y, u, w }, prm);
    const scale = (w ? 25 : 1) * Math.max(1, n);
    assertClose(
      got,
      exp.sums,
      { rel: 1e-5, abs: 1e-6 * scale },
      `moments sums n=${n} m=${m} c=${c} ${JSON.stringify({ ...opts, seed: undefined })}`,
    );
    if (n > 0 && qOut) assertClose(await qOut.read(), exp.q, { rel: 1e-5, abs: 1e-6 }, 'moments q');
  };
  s.test('moments: fused M4 pass (q, Σq(s−π)⊗[1,y], objective) vs float64, odd shapes', async () => {
    const k = await main();
    let seed = 70;
    for (const [n, m, c] of [
      [1, 1, 1],
      [0, 2, 3],
      [6, 2, 2],
      [257, 2, 10],
      [1000, 3, 7],
      [300, 16, 40],
    ] as [number, number, number][]) {
      await momentsCase(k, n, m, c, { seed: seed++ });
      await momentsCase(k, n, m, c, { seed: seed++, u: true, w: true });
    }
    await momentsCase(k, 50, 4, 5, { seed: 80, probs: true, u: true });
    await momentsCase(k, 40, 2, 3, { seed: 81, fixedQ: 1 });
  });
  s.test('moments: pass without qOut (regression: writable Z and Q bindings aliased)', async () => {
    const k = await main();
    await momentsCase(k, 33, 2, 3, { seed: 95, noQ: true });
    await momentsCase(k, 33, 2, 3, { seed: 96, noQ: true, u: true, w: true });
  });
  s.test('moments: c = 1024, m = 16 (the issue bound) and many blocks', async () => {
    const k = await main();
    await momentsCase(k, 70, 16, 1024, { seed: 90 });
    await momentsCase(k, 20000, 2, 3, { seed: 91, w: true });
  });
  s.test('moments: mismatched S/Y rows and W size are ShapeErrors', async () => {
    const k = await main();
    const ctx = gpuContextOf(k)!;
    const S = ctx.tensor(new Float32Array(6), [3, 2]);
    const Y = ctx.tensor(new Float32Array(8), [4, 2]);
    await assertRejects(
      () => ext.momentsPass(ctx, { S, Y }, { W: new Float32Array(6), pi: [0.5, 0.5], mu: 0, eta: 0.5 }),
      ShapeError,
      /Y \[4, 2\] must be \[3, c\]/,
      'rows',
    );
    const Y2 = ctx.tensor(new Float32Array(6), [3, 2]);
    await assertRejects(
      () => ext.momentsPass(ctx, { S, Y: Y2 }, { W: new Float32Array(5), pi: [0.5, 0.5], mu: 0, eta: 0.5 }),
      ShapeError,
      /expected m×\(c\+1\) = 6/,
      'W',
    );
  });

  // ---------------------------------------------------------------- errors and lifetime
  s.test('errors: bad WGSL surfaces as GpuValidationError with the implementation message', async () => {
    const ctx = gpuContextOf(await main())!;
    const err = await assertRejects(
      async () => {
        const p = ctx.pipeline(
          'test:bad-wgsl',
          () => '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_symbol; }',
        );
        ctx.submit('bad-wgsl', [{ op: 'bad', pipeline: p, bindings: [], workgroups: [1] }]);
        await ctx.sync();
      },
      GpuValidationError,
      /.+/,
      'bad wgsl',
    );
    assert(err.gpuMessage.length > 0, 'gpu message present');
    // the context stays usable after a validation error
    const k = await main();
    assertClose(await k.scale(k.tensor([1, 2], [2]), 2).read(), [2, 4], TOL.exact, 'usable after error');
  });
  s.test('errors: a destroyed device gives DeviceLostError, not a hang', async () => {
    const k = await init({ backend: 'webgpu' });
    const X = k.tensor([1, 2, 3], [3]);
    const pending = k.scale(X, 2);
    k.destroy();
    await assertRejects(() => pending.read(), DeviceLostError, /destroy/, 'read after destroy', 15000);
    await assertRejects(() => k.scale(X, 2), DeviceLostError, /destroy/, 'op after destroy', 15000);
  });
  s.test('errors: destroying the device underneath (device.destroy()) rejects reads instead of hanging', async () => {
    const k = await init({ backend: 'webgpu' });
    const X = k.tensor([1, 2, 3], [3]);
    const Y = k.scale(X, 3);
    gpuContextOf(k)!.device.destroy();
    await assertRejects(() => Y.read(), DeviceLostError, /.*/, 'read on lost device', 15000);
  });
  s.test('initFromDevice wraps a caller-owned device and never destroys it', async () => {
    const owner = gpuContextOf(await main())!;
    const ctx = GpuContext.fromDevice(owner.device);
    const t = ctx.tensor([3, 4], [1, 2]);
    ctx.destroy();
    // the owner's device still works
    const k = await main();
    assertClose(await k.l2normalize(k.tensor([3, 4], [1, 2])).read(), [0.6, 0.8], TOL.f32, 'owner alive');
    void t;
  });
  s.test('cpu backend: same API, float64 results, same typed errors', async () => {
    const c = await init({ backend: 'cpu' });
    assert(c.backend === 'cpu', 'cpu backend');
    const y = await c.matmul(c.tensor([1, 2, 3, 4], [2, 2]), c.tensor([1, 0, 0, 1], [2, 2])).read();
    assert(y instanceof Float64Array, 'float64 output');
    assertEqualArrays(y, [1, 2, 3, 4], 'identity');
    await assertRejects(
      () => c.matmul(c.tensor([1, 2], [1, 2]), c.tensor([1, 2], [1, 2])),
      ShapeError,
      /inner dimensions differ/,
      'cpu mismatch',
    );
  });
  s.test('cleanup: destroy the shared contexts', async () => {
    for (const p of contexts.values()) (await p).destroy();
    contexts.clear();
  });
  return s;
}

export type { Tensor };
