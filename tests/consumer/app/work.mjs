// The work every consumer runtime does (Node, the esbuild bundle, Deno), given the installed packages' modules:
// a matmul, a CLIP loss (the /advanced launcher) against a float64 reference computed here, and balanceFile on a CSV, all on WebGPU.
// Prints one JSON line; throws (exit ≠ 0) when a number is off. Imports nothing, so each entry decides how the
// packages are resolved (node_modules, a bundle, npm: specifiers).
import { writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const check = (ok, what) => {
  if (!ok) throw new Error(`consumer check failed: ${what}`);
};
const near = (a, b, tol, what) => check(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

/** float64 CLIP loss: rows of U, W L2-normalised, S = τ U Wᵀ, L = ½ (mean_i CE(S_i·, i) + mean_j CE(S_·j, j)). */
function clipLossF64(U, W, n, d, t) {
  const norm = (X) =>
    Array.from({ length: n }, (_, i) => {
      const r = X.slice(i * d, i * d + d);
      const s = Math.hypot(...r);
      return r.map((v) => v / s);
    });
  const u = norm(U);
  const w = norm(W);
  const tau = Math.exp(Math.min(t, Math.log(100)));
  const S = u.map((ui) => w.map((wj) => tau * ui.reduce((a, v, k) => a + v * wj[k], 0)));
  const lse = (xs) => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
  };
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < n; i++) rows += lse(S[i]) - S[i][i];
  for (let j = 0; j < n; j++) cols += lse(S.map((r) => r[j])) - S[j][j];
  return (rows / n + cols / n) / 2;
}

export async function work(K, A, S, runtime) {
  const k = await K.init({ backend: 'webgpu' });
  check(k.backend === 'webgpu' && k.adapter, 'a WebGPU adapter');
  // matmul [2,3]·[3,2]
  const a = k.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const b = k.tensor(new Float32Array([1, 0, 0, 1, 1, 1]), [3, 2]);
  const c = Array.from(await k.matmul(a, b).read());
  check(JSON.stringify(c) === '[4,5,10,11]', `matmul = [4,5,10,11], got ${c}`);
  // CLIP loss on 5 pairs of 3-d rows (not a tile multiple)
  const n = 5;
  const d = 3;
  const U = Array.from({ length: n * d }, (_, i) => Math.sin(i + 1));
  const W = Array.from({ length: n * d }, (_, i) => Math.cos(2 * i + 1));
  const t = Math.log(10);
  const r = await A.clipLoss(A.gpuContextOf(k), k.tensor(U, [n, d]), k.tensor(W, [n, d]), t);
  const loss = (await r.loss.read())[0];
  const want = clipLossF64(U, W, n, d, t);
  near(loss, want, 1e-4 * Math.max(1, Math.abs(want)), 'CLIP loss vs float64'); // f32 logits, N = 5
  k.destroy();
  // balanceFile: 80 rows, P(M) = ½ (RB 0), occupation skewed by gender: AB = |E[(s_M − ½) y_doctor]| = 10/80
  const dir = mkdtempSync(join(tmpdir(), 'm4kit-consumer-data-'));
  const rows = ['gender,occupation'];
  for (const [g, o, m] of [
    ['M', 'doctor', 30],
    ['F', 'doctor', 10],
    ['M', 'nurse', 10],
    ['F', 'nurse', 30],
  ])
    for (let i = 0; i < m; i++) rows.push(`${g},${o}`);
  writeFileSync(join(dir, 'data.csv'), rows.join('\n') + '\n');
  const out = join(dir, 'q.csv');
  const { result } = await S.balanceFile(
    join(dir, 'data.csv'),
    { attributes: ['gender'], labels: ['occupation'] },
    { eta: 0.45, out, backend: 'webgpu', path: 'rows' },
  );
  const s = result.report.bias.summary;
  near(s.rbBefore, 0, 1e-12, 'RB before');
  near(s.abBefore, 0.125, 1e-12, 'AB before');
  // within ε plus the solver's stopping tolerance and f32 moments on the GPU
  check(s.abAfter <= 0.01 + 1e-4 && s.rbAfter <= 0.01 + 1e-4, `AB/RB after ≤ ε (${s.abAfter}, ${s.rbAfter})`);
  near(s.keepRate, 0.45, 1e-3, 'keep rate'); // feasible: keeping every minority row allows η ≤ ½
  check(
    result.report.options.backend.startsWith('webgpu'),
    `balance backend webgpu, got ${result.report.options.backend}`,
  );
  // the in-memory parser (browser/Deno path: csv-parse's plain build outside browsers, no --unsafe-proto in Deno)
  const chunk = await S.parseTableBytes(readFileSync(join(dir, 'data.csv')), 'data.csv');
  check(
    chunk.rows.length === 80 && chunk.columns.join() === 'gender,occupation' && chunk.lines[79] === 81,
    'parseTableBytes',
  );
  const written = readFileSync(out, 'utf8').trim().split('\n');
  check(written.length === 81 && written[0] === 'row,q,keep', `q.csv has a header and 80 rows (${written.length})`);
  console.log(
    JSON.stringify({ runtime, adapter: k.adapter, matmul: c, clipLoss: loss, clipLossRef: want, summary: s }),
  );
}
