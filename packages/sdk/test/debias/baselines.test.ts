// Biased prompts (spec §2.7, vector §4.6) and CLIP-clip with Mixed-KSG MI (§2.7, vector §4.8).
// Expected numbers: /work/shared/spec/reference/{metric_vectors,ksg_vectors}.py and numpy on the §4.6 inputs.
import { M4kitError } from '@m4kit/kernels';
import { describe, expect, it } from 'vitest';
import {
  applyProjection,
  biasedPromptsProjection,
  clipClipSelect,
  mixedKsgMI,
  selectDims,
} from '../../src/debias/index.js';

/** |x − y| ≤ max(rel·|x + y|, abs) elementwise */
function close(x: ArrayLike<number>, y: ArrayLike<number>, rel: number, abs: number): void {
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const ok = Math.abs(x[i] - y[i]) <= Math.max(rel * Math.abs(x[i] + y[i]), abs);
    if (!ok) throw new Error(`entry ${i}: ${x[i]} vs ${y[i]}`);
  }
}
const emb = (rows: number[][]) => ({ n: rows.length, d: rows[0]?.length ?? 0, data: Float64Array.from(rows.flat()) });

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('biased prompts (§4.6)', () => {
  const spurious = emb([
    [1, 0, 0.3, 0],
    [-1, 0, 0.3, 0],
  ]);
  const cand = emb([
    [0.6, 0.5, 0.2, 0.6],
    [-0.4, 0.5, 0.2, 0.7],
    [0.5, -0.3, 0.1, 0.8],
    [-0.6, -0.2, 0.1, 0.8],
  ]);
  const pr = biasedPromptsProjection(
    spurious,
    cand,
    [
      [0, 1],
      [2, 3],
    ],
    { lambda: 1000 },
  );
  it('P0, M, P* and the debiased query match the spec vector (tol 1e-6 abs, closed form)', () => {
    expect(pr.rank).toBe(2);
    close(pr.P0, [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0, 1e-12);
    close(
      pr.M,
      [
        1.1015729453324057, -0.06703062988208608, -0.002088121804072811, -0.05040414078473543, -0.06703062988208608,
        0.00581865081033485, -8.872276790906233e-5, -0.00010254981606794408, -0.002088121804072811,
        -8.872276790906233e-5, 3.072103082606817e-5, 0.000488661177490367, -0.05040414078473543,
        -0.00010254981606794408, 0.000488661177490367, 0.00808075272704824,
      ],
      1e-12,
      1e-15,
    );
    close(
      pr.P,
      [
        0, 0, 0, 0, 0.06505350172291559, 0.7920363202489141, 0.02517853436699493, 0.3686792677570818, 0, 0, 0, 0,
        0.03707121929810576, 0.36867926775708176, -0.046075684168972834, 0.3225356348505935,
      ],
      1e-9,
      1e-12,
    );
    // spec's printed (8-digit) values
    close(
      pr.P,
      [
        0, 0, 0, 0, 0.0650535, 0.79203632, 0.02517853, 0.36867927, 0, 0, 0, 0, 0.03707122, 0.36867927, -0.04607568,
        0.32253563,
      ],
      0,
      1e-6,
    );
    const q = applyProjection(pr.P, 4, emb([[0.2, 0.5, 0.1, 0.8]]));
    close(q.data, [0, 0.84604505, 0, 0.53311141], 0, 1e-6);
  });
  it('P* = P0 when λ = 0 or no pairs; removed span is orthogonal to the output', () => {
    const p0 = biasedPromptsProjection(spurious, cand, [], {});
    close(p0.P, p0.P0, 0, 0);
    const l0 = biasedPromptsProjection(spurious, cand, [[0, 1]], { lambda: 0 });
    close(l0.P, l0.P0, 0, 0);
    // random d=37, K=3 spurious: every output P* z lies in the orthogonal complement of the spurious span,
    // and attribute pairs nearly collapse at large λ
    const r = mulberry32(3);
    const rnd = (n: number, d: number) => ({ n, d, data: Float64Array.from({ length: n * d }, () => r() - 0.5) });
    const sp = rnd(3, 37);
    const cd = rnd(6, 37);
    const big = biasedPromptsProjection(
      sp,
      cd,
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      { lambda: 1e6 },
    );
    const out = applyProjection(big.P, 37, rnd(5, 37));
    const dots: number[] = [];
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 5; b++) {
        let s = 0;
        for (let t = 0; t < 37; t++) s += sp.data[a * 37 + t] * out.data[b * 37 + t];
        dots.push(s);
      }
    }
    close(dots, new Float64Array(dots.length), 0, 1e-12);
    close(applyProjection(big.P0, 37, sp, { normalize: false }).data, new Float64Array(3 * 37), 0, 1e-12);
    const c = applyProjection(big.P, 37, cd);
    for (const [i, j] of [
      [0, 1],
      [2, 3],
      [4, 5],
    ]) {
      let dist = 0;
      for (let t = 0; t < 37; t++) dist += (c.data[i * 37 + t] - c.data[j * 37 + t]) ** 2;
      expect(Math.sqrt(dist)).toBeLessThan(1e-2);
    }
    // rank-deficient spurious set (a repeated prompt) removes one direction, not two
    expect(
      biasedPromptsProjection(
        emb([
          [1, 2, 3],
          [2, 4, 6],
        ]),
        undefined,
        [],
      ).rank,
    ).toBe(1);
  });
  it('bad inputs are typed errors', () => {
    expect(() => biasedPromptsProjection(emb([[1, 0]]), cand, [[0, 1]])).toThrow(/dimension 4, spurious prompts 2/);
    expect(() => biasedPromptsProjection(spurious, cand, [[0, 9]])).toThrow(/index 9/);
    expect(() => biasedPromptsProjection({ n: 0, d: 4, data: new Float64Array() }, cand, [])).toThrow(M4kitError);
    expect(() => biasedPromptsProjection(spurious, cand, [[0, 1]], { lambda: -1 })).toThrow(/lambda/);
    expect(() => applyProjection(pr.P, 4, emb([[1, 2, 3]]))).toThrow(/dimension 3/);
  });
});

/** brute force, a line-by-line port of ksg_vectors.py */
function mixedKsgRef(x: number[], y: number[], k: number): number {
  const N = x.length;
  const psi = (n: number) => {
    let s = -0.5772156649015329;
    for (let i = 1; i < n; i++) s += 1 / i;
    return s;
  };
  let total = 0;
  for (let i = 0; i < N; i++) {
    const dxy = x.map((_, j) => Math.max(Math.abs(x[j] - x[i]), Math.abs(y[j] - y[i])));
    const dx = x.map((_, j) => Math.abs(x[j] - x[i]));
    const dy = y.map((_, j) => Math.abs(y[j] - y[i]));
    const rho = [...dxy].sort((a, b) => a - b)[k];
    let kp: number, nx: number, ny: number;
    if (rho === 0) {
      kp = dxy.filter((v) => v <= 1e-15).length;
      nx = dx.filter((v) => v <= 1e-15).length;
      ny = dy.filter((v) => v <= 1e-15).length;
    } else {
      kp = k;
      nx = dx.filter((v) => v < rho - 1e-15).length;
      ny = dy.filter((v) => v < rho - 1e-15).length;
    }
    total += psi(kp) + Math.log(N) - psi(nx) - psi(ny);
  }
  return total / N;
}

describe('Mixed-KSG and CLIP-clip (§4.8)', () => {
  const X = [
    [0.1, 0.5, 0.3],
    [0.2, 0.1, 0.32],
    [0.9, 0.4, 0.29],
    [1.0, 0.2, 0.31],
    [0.15, 0.3, 0.3],
    [0.95, 0.6, 0.33],
    [0.12, 0.55, 0.28],
    [0.88, 0.15, 0.3],
  ];
  const y = [0, 0, 1, 1, 0, 1, 0, 1];
  it('MI per dimension and kept set match the spec vector (tol 1e-8)', () => {
    const r = clipClipSelect(emb(X), y, 2, { k: 2 });
    close(r.mi, [0.94832387, -0.07250946, 0.09415721], 0, 1e-8);
    expect(Array.from(r.keep)).toEqual([1, 2]);
    expect(Array.from(r.drop)).toEqual([0]);
    const s = selectDims(emb(X), r.keep);
    expect(s.d).toBe(2);
    expect(Array.from(s.data.subarray(0, 2))).toEqual([0.5, 0.3]);
  });
  it('fast estimator equals the brute-force port on random data with ties, duplicates and non-integer labels', () => {
    const r = mulberry32(11);
    for (const [N, C, k, q] of [
      [7, 2, 5, 0],
      [40, 3, 5, 0],
      [60, 2, 3, 4],
      [33, 7, 1, 2],
      [50, 2, 5, 1],
      [25, 4, 2, 0],
    ]) {
      // q > 0: x quantised to q levels → exact ties and zero joint distances (ρ = 0 branch)
      const x = Array.from({ length: N }, () => (q ? Math.floor(r() * q) / q : r() * 2 - 1));
      const yy = Array.from({ length: N }, () => Math.floor(r() * C) * (q === 2 ? 0.25 : 1));
      const fast = mixedKsgMI(x, yy, k);
      const ref = mixedKsgRef(x, yy, k);
      close([fast], [ref], 1e-12, 1e-12);
    }
  });
  it('informative dimension gets high MI, noise ~0; bad inputs are typed errors', () => {
    const r = mulberry32(5);
    const n = 400;
    const lab = Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1));
    const rows = lab.map((l) => [l + 0.3 * (r() - 0.5), r(), r() * 0.01]);
    const res = clipClipSelect(emb(rows), lab, 2);
    expect(res.mi[0]).toBeGreaterThan(0.6);
    expect(Math.abs(res.mi[1])).toBeLessThan(0.05);
    expect(Array.from(res.keep)).toEqual([1, 2]);
    expect(() => clipClipSelect(emb(rows), lab.slice(1), 2)).toThrow(/400 images but 399/);
    expect(() => clipClipSelect(emb(rows), lab, 4)).toThrow(/m must be/);
    expect(() => clipClipSelect({ n: 0, d: 3, data: new Float64Array() }, [], 1)).toThrow(/no images/);
    expect(() => mixedKsgMI([1, 2], [0, 1], 5)).toThrow(/more than k/);
  });
});
