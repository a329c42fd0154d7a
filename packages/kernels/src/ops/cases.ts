// Small helpers for the op declarations' test cases (ops/op.ts `OpCase`): seeded inputs, the same on every backend.

/** n values uniform in (−scale, scale), rounded to f32 so both backends see the same inputs. */
export function rand(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}
