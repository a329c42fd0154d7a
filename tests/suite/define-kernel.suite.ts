// One way to declare a kernel (packages/kernels/src/ops/kernel.ts) and the pool's byte accounting
// (runtime/pool.ts): generated struct, packing by name, cache keys from the spec, typed errors; and the
// Kernels surface's data movement (zeros, copy, write), cast and segmented top-k on both backends.
import { ArgumentError, F16_MAX, init, ShapeError, type Kernels } from '@m4kit/kernels';
import { defineKernel, ref, type GpuContext, gpuContextOf } from '@m4kit/kernels/advanced';
import { assert, assertClose, assertEqualArrays, assertRejects, randArray, rng, Suite, type Env } from './harness.js';

const probe = defineKernel({
  name: 'test:probe',
  params: { n: 'u32', alpha: 'f32', shift: 'i32' },
  constants: { FLAG_A: 1, FLAG_B: 4 },
  source: ({ times }: { times: number }) => /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x;
  if (i >= p.n) { return; }
  Y[i] = f32(${times}) * p.alpha * f32(i32(i) + p.shift) + f32(FLAG_A | FLAG_B);
}
`,
});

export function defineKernelSuite(env: Env): Suite {
  const s = new Suite(`define-kernel[${env.runtime}]`);
  let ctxP: Promise<GpuContext> | null = null;
  const get = () => (ctxP ??= init({ backend: 'webgpu' }).then((k) => gpuContextOf(k)!));

  s.test('defineKernel: struct and constants generated, uniforms packed by name, keys from the spec', () => {
    const src = probe.wgsl({ times: 3 });
    assert(src.includes('struct Params { n: u32, alpha: f32, shift: i32 };'), `struct: ${src.slice(0, 120)}`);
    assert(src.includes('const FLAG_A: u32 = 1u;') && src.includes('const FLAG_B: u32 = 4u;'), 'constants');
    assert(
      probe.key({ times: 3 }) === 'test:probe:times=3' && probe.key({ times: 4 }) !== probe.key({ times: 3 }),
      'key',
    );
    const b = probe.pack({ shift: -2, n: 7, alpha: 0.5 });
    assert(b.byteLength === 16, `padded to 16 bytes, got ${b.byteLength}`);
    assertEqualArrays(
      [new Uint32Array(b)[0], new Float32Array(b)[1], new Int32Array(b)[2]],
      [7, 0.5, -2],
      'packed by name',
    );
    let err: unknown = null;
    try {
      probe.pack({ n: 1, alpha: 1 } as never);
    } catch (e) {
      err = e;
    }
    assert(err instanceof Error && /"shift" is missing/.test(err.message), 'missing field');
    err = null;
    try {
      probe.pack({ n: 1, alpha: 1, shift: 0, extra: 1 } as never);
    } catch (e) {
      err = e;
    }
    assert(err instanceof Error && /unknown uniform field "extra"/.test(err.message), 'unknown field');
  });

  s.test('defineKernel on the device: one pipeline per spec, results as declared', async () => {
    const ctx = await get();
    const n = 100;
    for (const times of [2, 5]) {
      const y = ctx.empty([n]);
      const temps: GPUBuffer[] = [];
      const before = ctx.pipelineCount;
      for (let rep = 0; rep < 2; rep++) {
        const ds = probe.dispatch(ctx, {
          spec: { times },
          params: { n, alpha: 0.25, shift: -10 },
          bindings: { Y: { buffer: y.buffer } },
          workgroups: [2],
          temps,
        });
        ctx.submit('probe', [ds], temps.splice(0));
      }
      assert(ctx.pipelineCount === before + 1, `one pipeline for times=${times}`);
      const want = Array.from({ length: n }, (_, i) => times * 0.25 * (i - 10) + 5);
      assertClose(await y.read(), want, { rel: 1e-6, abs: 1e-6 }, `times=${times}`);
    }
  });

  s.test(
    'buffer pool byte accounting: live storage bytes, a meter follows the peak, uniforms not counted',
    async () => {
      const ctx = await get();
      const base = ctx.pool.liveBytes;
      const m = ctx.pool.meter();
      const a = ctx.empty([1000]); // 4000 B → 4096 B class
      const b = ctx.empty([10]); // 256 B class
      const u = ctx.uniform(new ArrayBuffer(16));
      assert(ctx.pool.liveBytes - base === 4096 + 256, `live ${ctx.pool.liveBytes - base}`);
      a.dispose();
      const c = ctx.empty([5]);
      assert(m.peakBytes === 4096 + 256, `peak ${m.peakBytes}`);
      m.stop();
      b.dispose();
      c.dispose();
      ctx.release(u);
      a.dispose(); // twice: counted once
      assert(ctx.pool.liveBytes === base, `back to ${base}, got ${ctx.pool.liveBytes}`);
      await ctx.sync();
    },
  );

  for (const backend of ['webgpu', 'cpu'] as const) {
    s.test(`Kernels surface (${backend}): zeros, copy, write; cast vs castRef; topk with segments`, async () => {
      const k: Kernels = await init({ backend });
      try {
        const z = k.zeros([3, 4]);
        assertEqualArrays(await z.read(), new Array(12).fill(0), 'zeros');
        const src = k.tensor([1, 2, 3, 4, 5, 6], [6]);
        k.copy(src, z, { srcOffset: 2, dstOffset: 5, count: 3 });
        k.write(z, [9, 8], 10);
        assertEqualArrays(await z.read(), [0, 0, 0, 0, 0, 3, 4, 5, 0, 0, 9, 8], 'copy + write');
        await assertRejects(() => k.copy(src, z, { srcOffset: 4, count: 3 }), ShapeError, /outside/, 'copy range');
        await assertRejects(() => k.write(z, [1, 2, 3], 10), ShapeError, /outside/, 'write range');
        const r = rng(21);
        const x = randArray(r, 9 * 50, 100);
        const want = ref.topkRef(x, 9, 50, 4);
        const plain = k.topk(k.tensor(x, [9, 50]), 4);
        assertEqualArrays(await plain.indices.read(), want.indices, 'topk');
        // segments of 16: each segment's top-4 side by side, indices into the whole row
        const seg = k.topk(k.tensor(x, [9, 50]), 4, { segment: 16 });
        assert(seg.values.shape.join() === '9,16', `segment shape ${seg.values.shape}`);
        const [sv, si] = [await seg.values.read(), await seg.indices.read()];
        for (let row = 0; row < 9; row++) {
          for (let sg = 0; sg < 4; sg++) {
            const c0 = sg * 16;
            const len = Math.min(16, 50 - c0);
            const w = ref.topkRef(x.subarray(row * 50 + c0, row * 50 + c0 + len), 1, len, Math.min(4, len));
            for (let j = 0; j < Math.min(4, len); j++) {
              assert(si[row * 16 + sg * 4 + j] === c0 + w.indices[j], `row ${row} seg ${sg} slot ${j}`);
            }
            for (let j = len; j < 4; j++)
              assert(si[row * 16 + sg * 4 + j] === 0xffffffff && sv[row * 16 + sg * 4 + j] < -3e38, 'unfilled slot');
          }
        }
        if (backend === 'cpu' || gpuContextOf(k)?.features.f16) {
          const h = Float32Array.of(0.1, -2.5, 70000, 1e-8, 65519);
          const c = k.cast(k.tensor(h, [5]), 'f16');
          assert(c.dtype === 'f16', 'dtype');
          assertClose(await c.read(), ref.castRef(h, 'f16'), { rel: 0, abs: 0 }, 'cast f32 → f16 = castRef');
          assert((await c.read())[2] === F16_MAX, 'saturates');
        } else await assertRejects(() => k.cast(k.tensor([1], [1]), 'f16'), ArgumentError, /shader-f16/, 'no f16');
      } finally {
        k.destroy();
      }
    });
  }
  return s;
}
