// Browser work (the Vite app and the plain <script type="module"> page): a matmul and a balance on WebGPU.
// `init` comes from @m4kit/kernels, `S` is the runtime-neutral @m4kit/sdk. Resolves to a JSON-able result.
export async function work(init, S) {
  const k = await init({ backend: 'webgpu' });
  const a = k.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const b = k.tensor(new Float32Array([1, 0, 0, 1, 1, 1]), [3, 2]);
  const matmul = Array.from(await k.matmul(a, b).read());
  const rows = ['gender,occupation'];
  for (const [g, o, m] of [
    ['M', 'doctor', 30],
    ['F', 'doctor', 10],
    ['M', 'nurse', 10],
    ['F', 'nurse', 30],
  ])
    for (let i = 0; i < m; i++) rows.push(`${g},${o}`);
  const chunk = await S.parseTableBytes(new TextEncoder().encode(rows.join('\n') + '\n'), 'data.csv');
  const enc = new S.TableEncoder({ attributes: ['gender'], labels: ['occupation'] }, 'data.csv');
  enc.push(chunk);
  const result = await S.balanceEncoded(enc.finish(), { eta: 0.45, backend: 'webgpu', kernels: k, path: 'rows' });
  const out = {
    backend: k.backend,
    adapter: k.adapter,
    matmul,
    summary: result.report.bias.summary,
    balanceBackend: result.report.options.backend,
  };
  k.destroy();
  return out;
}
