// BA module losses (spec §2.4, vector §4.7) and hand-written gradients checked by central finite differences.
import { describe, expect, it } from 'vitest';
import { cpuMatmul, gaussian, initBaParams, mulberry32, paramList } from '../../src/debias/ba.js';
import { CpuBank, randomUnitRows } from '../../src/debias/bank.js';
import { featureLoss, lossAndGrads } from '../../src/debias/step.js';

/** |x − y| ≤ max(rel·|x + y|, abs) */
function close(x: number, y: number, rel: number, abs: number, what = ''): void {
  if (!(Math.abs(x - y) <= Math.max(rel * Math.abs(x + y), abs))) throw new Error(`${what}: ${x} vs ${y}`);
}
const f = (rows: number[][]) => Float64Array.from(rows.flat());

describe('joint-debias losses on given features (§4.7)', () => {
  const fI = f([
    [0.18651688, -0.19597346, 0.9500471, 0.15561606],
    [-0.30849493, 0.20824458, 0.75098079, 0.54542913],
  ]);
  const fT = f([
    [-0.44626868, -0.80245799, -0.39524505, 0.02620657],
    [-0.84660572, -0.07966788, -0.45366941, -0.26663807],
  ]);
  const qI = f([
    [-0.42337962, -0.24605022, 0.32020782, 0.81097222],
    [-0.08212136, 0.87303946, -0.42499577, 0.22458132],
    [0.60535249, 0.0629911, -0.4981671, -0.61758402],
  ]);
  const qT = f([
    [-0.39823599, 0.19157674, -0.87839986, -0.18198939],
    [-0.22740981, 0.77245146, 0.30658243, 0.50755368],
    [-0.36050871, -0.0714665, 0.43226923, 0.82344965],
  ]);
  const gI = f([
    [-0.50166196, 0.60320766, 0.53625049, 0.31130565],
    [0.10675237, -0.12672071, 0.58855684, 0.79129428],
  ]);
  const gT1 = f([
    [0.70325191, 0.51333888, 0.13950022, -0.47165627],
    [-0.00297142, 0.43794437, -0.85948543, 0.26359191],
  ]);
  const gT2 = f([
    [0.27136843, 0.43940446, -0.74752123, -0.41772588],
    [-0.19857997, -0.53226506, 0.7914201, -0.22564158],
  ]);
  const bank = () => new CpuBank(4, 3, qI.slice(), qT.slice());
  const base = { B: 2, D: 4, fI, fT, gI, gT1, tau: 0.07, alpha: 0.3, mix: 0 };
  // features are given to 8 digits, so the spec's 8-digit losses hold to ~1e-6 relative
  it('counterfactual branch: L_ba, L_i2t, L_t2i, L_cd, L', async () => {
    const l = await featureLoss(bank(), { ...base, gTs: gT2 });
    close(l.ba, 0.48705069, 1e-6, 1e-7, 'L_ba');
    close(l.i2t, 2.35473916, 1e-6, 1e-7, 'L_i2t');
    close(l.t2i, 21.81268978, 1e-6, 1e-7, 'L_t2i');
    close(l.cd, 12.08371447, 1e-6, 1e-7, 'L_cd');
    close(l.total, 3.96604982, 1e-6, 1e-7, 'L');
  });
  it('factual branch', async () => {
    const l = await featureLoss(bank(), { ...base, gTs: gT1 });
    close(l.t2i, 11.46360597, 1e-6, 1e-7, 'L_t2i');
    close(l.cd, 6.90917256, 1e-6, 1e-7, 'L_cd');
    close(l.total, 2.41368725, 1e-6, 1e-7, 'L');
  });
  it('feature gradients match finite differences (with momentum mixing)', async () => {
    const r = gaussian(mulberry32(9));
    const rn = (n: number) => randomUnitRows(n, 5, r);
    const inp = {
      B: 3,
      D: 5,
      fI: rn(3),
      fT: rn(3),
      gI: rn(3),
      gT1: rn(3),
      gTs: rn(3),
      gmI: rn(3),
      gmT: rn(3),
      tau: 0.5,
      alpha: 0.3,
      mix: 0.4,
    };
    const qI0 = rn(4);
    const qT0 = rn(4);
    const L = async (x: typeof inp) => (await featureLoss(new CpuBank(5, 4, qI0.slice(), qT0.slice()), x)).total;
    const g = await featureLoss(new CpuBank(5, 4, qI0.slice(), qT0.slice()), inp);
    const h = 1e-6;
    for (const [key, grad] of [
      ['gI', g.dgI],
      ['gT1', g.dgT1],
      ['gTs', g.dgTs],
    ] as const) {
      for (let i = 0; i < 15; i++) {
        const plus = { ...inp, [key]: inp[key].slice() };
        const minus = { ...inp, [key]: inp[key].slice() };
        plus[key][i] += h;
        minus[key][i] -= h;
        const fd = ((await L(plus)) - (await L(minus))) / (2 * h);
        close(grad[i], fd, 1e-6, 1e-8, `${key}[${i}]`);
      }
    }
  });
});

describe('BA module parameter gradients', () => {
  for (const counterfactual of [true, false]) {
    it(`match finite differences through MLPs, ReLUs and normalisation (counterfactual=${counterfactual})`, async () => {
      const D = 6;
      const B = 4;
      const r = gaussian(mulberry32(21));
      const p = initBaParams(D, 5, 7, 3);
      const mom = initBaParams(D, 5, 7, 4);
      const e = (n: number) => Float64Array.from({ length: n * D }, () => r());
      const eI = e(B);
      const eT1 = e(B);
      const eT2 = e(B);
      const qI = randomUnitRows(5, D, r);
      const qT = randomUnitRows(5, D, r);
      const s = { B, D, eI, eT1, eT2, counterfactual, tau: 0.3, alpha: 0.3, mix: 0.4, momentum: mom };
      const run = () => lossAndGrads(cpuMatmul, new CpuBank(D, 5, qI.slice(), qT.slice()), p, s);
      const res = await run();
      const ps = paramList(p);
      const gs = paramList(res.grads);
      const h = 1e-6;
      let checked = 0;
      let nonzero = 0;
      for (let k = 0; k < ps.length; k++) {
        for (let i = 0; i < ps[k].length; i += 3) {
          const old = ps[k][i];
          ps[k][i] = old + h;
          const lp = (await run()).total;
          ps[k][i] = old - h;
          const lm = (await run()).total;
          ps[k][i] = old;
          const fd = (lp - lm) / (2 * h);
          close(gs[k][i], fd, 1e-5, 1e-8, `param ${k}[${i}]`);
          checked++;
          if (Math.abs(fd) > 1e-6) nonzero++;
        }
      }
      expect(checked).toBeGreaterThan(50);
      expect(nonzero).toBeGreaterThan(checked / 4);
    });
  }
});
