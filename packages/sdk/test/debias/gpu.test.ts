// The WebGPU path of the BA module (queues on the device, matmuls through the kernels) against the float64
// reference: bank loss + input gradients, enqueue with wrap-around, a short training run, apply().
import '@m4kit/kernels/node';
import { init, type Kernels } from '@m4kit/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../src/debias/ba.js';
import { CpuBank, randomUnitRows } from '../../src/debias/bank.js';
import { createGpuBank } from '../../src/debias/bank-gpu.js';
import { debias } from '../../src/debias/index.js';

let k: Kernels;
beforeAll(async () => {
  k = await init({ backend: 'webgpu' });
});
afterAll(() => k?.destroy());

/** |x − y| ≤ max(rel·|x + y|, abs) elementwise */
function close(x: ArrayLike<number>, y: ArrayLike<number>, rel: number, abs: number, what: string): void {
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    if (!(Math.abs(x[i] - y[i]) <= Math.max(rel * Math.abs(x[i] + y[i]), abs)))
      throw new Error(`${what}[${i}]: ${x[i]} vs ${y[i]}`);
  }
}

describe('GPU bank vs float64 reference', () => {
  for (const [B, Q, D, mix] of [
    [3, 5, 7, 0],
    [5, 67, 33, 0.4],
    [1, 1, 4, 0.4],
  ] as const) {
    it(`loss, gradients and enqueue (B=${B}, Q=${Q}, D=${D}, mix=${mix}; f32 tol rel 1e-4, abs 1e-5)`, async () => {
      const r = gaussian(mulberry32(B * 100 + Q));
      const qI = randomUnitRows(Q, D, r);
      const qT = randomUnitRows(Q, D, r);
      const cpu = new CpuBank(D, Q, qI.slice(), qT.slice());
      const gpu = await createGpuBank(k, D, Q, qI.slice(), qT.slice());
      for (let step = 0; step < 3; step++) {
        const bI = randomUnitRows(B, D, r);
        const bT = randomUnitRows(B, D, r);
        const xI = randomUnitRows(4 * B, D, r);
        const xT = randomUnitRows(4 * B, D, r);
        const inp = { B, D, xI, xT, tau: 0.07, alpha: 0.3, mix };
        const a = await cpu.loss(bI, bT, inp);
        const b = await gpu.loss(bI, bT, inp);
        close(
          [a.loss.ba, a.loss.i2t, a.loss.t2i],
          [b.loss.ba, b.loss.i2t, b.loss.t2i],
          1e-4,
          1e-5,
          `loss step ${step}`,
        );
        close(a.dI, b.dI, 1e-3, 1e-5, `dI step ${step}`);
        close(a.dT, b.dT, 1e-3, 1e-5, `dT step ${step}`);
        cpu.enqueue(bI, bT, B);
        gpu.enqueue(bI, bT, B);
      }
      gpu.dispose();
    });
  }

  it('queue in several matmul chunks (small binding limit) gives the same loss and gradients', async () => {
    const small = await init({ backend: 'webgpu', maxBindingSize: 4096 });
    try {
      const r = gaussian(mulberry32(77));
      const [B, Q, D] = [4, 29, 9];
      const qI = randomUnitRows(Q, D, r);
      const qT = randomUnitRows(Q, D, r);
      const inp = {
        B,
        D,
        xI: randomUnitRows(4 * B, D, r),
        xT: randomUnitRows(4 * B, D, r),
        tau: 0.1,
        alpha: 0.3,
        mix: 0.4,
      };
      const bI = randomUnitRows(B, D, r);
      const bT = randomUnitRows(B, D, r);
      const a = await new CpuBank(D, Q, qI, qT).loss(bI, bT, inp);
      const g = await createGpuBank(small, D, Q, qI, qT);
      const b = await g.loss(bI, bT, inp);
      g.dispose();
      close([a.loss.ba, a.loss.i2t, a.loss.t2i], [b.loss.ba, b.loss.i2t, b.loss.t2i], 1e-4, 1e-5, 'loss');
      close(a.dI, b.dI, 1e-3, 1e-5, 'dI');
    } finally {
      small.destroy();
    }
  });

  it('debias() on WebGPU follows the float64 run (same seed, 3 epochs)', async () => {
    const r = gaussian(mulberry32(5));
    const n = 24;
    const D = 6;
    const mk = () => ({ n, d: D, data: Float64Array.from({ length: n * D }, () => r()) });
    const data = { images: mk(), captions: mk(), counterfactuals: mk() };
    const o = {
      hidden1: 8,
      hidden2: 16,
      batchSize: 10,
      queueSize: 16,
      epochs: 3,
      mixFromEpoch: 1,
      lr: 1e-3,
      tau: 0.5,
      seed: 3,
    };
    const cpu = await debias(data, { ...o, backend: 'cpu' });
    const gpu = await debias(data, { ...o, kernels: k });
    close(
      cpu.history.map((h) => h.loss),
      gpu.history.map((h) => h.loss),
      1e-4,
      1e-5,
      'epoch loss',
    );
    close(cpu.module.params.mlp2.W1, gpu.module.params.mlp2.W1, 1e-3, 1e-5, 'mlp2.W1');
    const x = await cpu.module.apply(data.images);
    const y = await cpu.module.apply(data.images, { kernels: k, chunk: 7 });
    close(x.data, y.data, 1e-4, 1e-5, 'apply');
  });
});
