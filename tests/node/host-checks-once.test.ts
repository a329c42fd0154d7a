// Regression test for issue 22's "host checks ran twice on the WebGPU path": the `Kernels` door runs an op's
// declared `check` and then its WebGPU body, which must not check again; a direct /advanced launcher call checks
// once too. Counted through a tensor's `dtype` reads: the host checks read it once per tensor, and the body reads
// it only inside `bindRange` (twice per binding: the f16 guard and the element size). Before the fix every count
// below was one higher.
import '@m4kit/kernels/node';
import { init, type Kernels, type Tensor } from '@m4kit/kernels';
import { classTokens, gpuContextOf, GpuTensor, ref } from '@m4kit/kernels/advanced';
import { describe, expect, test } from 'vitest';

let k: Kernels;
const ready = init({ backend: 'webgpu' }).then((kk) => (k = kk));

/** Count the reads of t.dtype while fn runs. */
async function dtypeReads(t: Tensor, fn: () => unknown): Promise<number> {
  const dtype = t.dtype;
  let reads = 0;
  Object.defineProperty(t, 'dtype', {
    configurable: true,
    get: () => (reads++, dtype),
  });
  try {
    await fn();
  } finally {
    Object.defineProperty(t, 'dtype', { value: dtype, configurable: true, enumerable: true, writable: true });
  }
  return reads;
}

describe('host checks ran twice on the WebGPU path', () => {
  test('k.gelu: checkGelu reads x.dtype once, the body binds x once (2 reads)', async () => {
    await ready;
    const x = k.tensor([0.5, -1, 2], [3]);
    expect(await dtypeReads(x, () => k.gelu(x))).toBe(1 + 2);
  });

  test('classTokens (a check that returns derived values): once through k.transformer.classTokens, once called directly', async () => {
    await ready;
    const ctx = gpuContextOf(k)!;
    const x = k.tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]); // n = 2 images of P = 2 patches, W = 2
    const cls = k.tensor([0.5, -0.5], [2]);
    const pos = k.tensor([0, 0, 1, 1, 2, 2], [3, 2]);
    // checkClassTokens reads cls.dtype once; the body binds cls once (2 reads)
    expect(await dtypeReads(cls, () => k.transformer.classTokens(x, cls, pos))).toBe(1 + 2);
    expect(cls).toBeInstanceOf(GpuTensor);
    const direct = () => classTokens(ctx, x as GpuTensor, cls as GpuTensor, pos as GpuTensor);
    expect(await dtypeReads(cls, direct)).toBe(1 + 2);
    // same result both ways (the unchecked body is the one the direct launcher calls)
    expect(Array.from(await direct().read())).toEqual(Array.from(await k.transformer.classTokens(x, cls, pos).read()));
  });
});

// The same on the float64 CPU backend: an op's `cpu` calls the unchecked body of its float64 reference (the public
// reference is its checks, then that body). Counted through reads of the hyper-parameter `tau`: checkDebiasHyper
// reads it twice (> 0, finite), the body once (the options are a class
// instance: the door passes it through, where it copies a plain object). Before the fix the CPU path read it 2 + 2 + 1 times.
describe('host checks ran twice on the CPU path', () => {
  test('k.losses.debias: the door checks tau once, the float64 body reads it once', async () => {
    const c = await init({ backend: 'cpu' });
    const [B, R, N, D] = [2, 4, 3, 2];
    const vals = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s + i));
    const inp = {
      xI: c.tensor(vals(B * R * D, 1), [B * R, D]),
      xT: c.tensor(vals(B * R * D, 2), [B * R, D]),
      bankI: [c.tensor(vals(N * D, 3), [N, D])],
      bankT: [c.tensor(vals(N * D, 4), [N, D])],
    };
    let reads = 0;
    // not a plain object, so the door passes it through as is (it copies plain option objects, getters included)
    class Opts {
      alpha = 0.3;
      mix = 0.4;
      rowsPerItem = 4 as const;
      get tau(): number {
        return (reads++, 0.07);
      }
    }
    const opts = new Opts();
    const got = await c.losses.debias(inp, opts);
    expect(reads).toBe(2 + 1);
    // same numbers as the public (checked) reference
    const want = ref.debiasLossRef(
      await inp.xI.read(),
      await inp.xT.read(),
      await inp.bankI[0].read(),
      await inp.bankT[0].read(),
      B,
      R,
      N,
      D,
      { tau: 0.07, alpha: 0.3, mix: 0.4 },
    );
    expect(got.total).toBe(want.total);
    expect(Array.from(await got.dI.read())).toEqual(Array.from(want.dI));
  });
});
