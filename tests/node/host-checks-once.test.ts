// Regression test for issue 22's "host checks ran twice on the WebGPU path": the `Kernels` door runs an op's
// declared `check` and then its WebGPU body, which must not check again; a direct /advanced launcher call checks
// once too. Counted through a tensor's `dtype` reads: the host checks read it once per tensor, and the body reads
// it only inside `bindRange` (twice per binding: the f16 guard and the element size). Before the fix every count
// below was one higher.
import '@m4kit/kernels/node';
import { init, type Kernels, type Tensor } from '@m4kit/kernels';
import { classTokens, gpuContextOf, GpuTensor } from '@m4kit/kernels/advanced';
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
