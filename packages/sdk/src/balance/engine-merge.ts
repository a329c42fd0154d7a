// M4 moment statistics are sums over rows, so engines over disjoint parts of a dataset (files, GPU and CPU,
// processes that ship their MomentsSums) combine by adding: one solver drives them all.
import { ArgumentError } from '@m4kit/kernels';
import type { MomentsEngine, MomentsSums } from './types.js';

/**
 * Add the sums of several passes (same m, c).
 * @param parts - pass results of the same shape.
 * @returns their sum (a new object).
 * @throws ArgumentError for an empty list.
 */
export function addMomentsSums(parts: MomentsSums[]): MomentsSums {
  if (!parts.length) throw new ArgumentError('addMomentsSums: nothing to add');
  const out: MomentsSums = {
    sumW: 0,
    sumQ: 0,
    D: new Float64Array(parts[0].D.length),
    qy: new Float64Array(parts[0].qy.length),
    obj: 0,
  };
  for (const p of parts) {
    if (p.D.length !== out.D.length || p.qy.length !== out.qy.length)
      throw new ArgumentError('addMomentsSums: parts have different m or c');
    out.sumW += p.sumW;
    out.sumQ += p.sumQ;
    out.obj += p.obj;
    p.D.forEach((x, j) => (out.D[j] += x));
    p.qy.forEach((x, j) => (out.qy[j] += x));
  }
  return out;
}

/**
 * One engine over the concatenation of several engines' rows (in order).
 * @param engines - engines with the same m, c and π.
 * @returns an engine whose passes add the parts' sums (and whose q concatenates theirs).
 * @throws ArgumentError for no engines or engines that disagree on (m, c).
 */
export function mergeEngines(engines: MomentsEngine[]): MomentsEngine {
  if (!engines.length) throw new ArgumentError('mergeEngines: no engines');
  const [e0] = engines;
  for (const e of engines) {
    if (e.m !== e0.m || e.c !== e0.c)
      throw new ArgumentError(`mergeEngines: engines disagree on (m, c): (${e.m}, ${e.c}) vs (${e0.m}, ${e0.c})`);
    if (e.pi.some((x, k) => x !== e0.pi[k])) throw new ArgumentError('mergeEngines: engines use different π');
  }
  return {
    n: engines.reduce((a, e) => a + e.n, 0),
    m: e0.m,
    c: e0.c,
    pi: e0.pi,
    async pass(W, mu, eta, fixedQ) {
      return addMomentsSums(await Promise.all(engines.map((e) => e.pass(W, mu, eta, fixedQ))));
    },
    async q(W, mu, eta) {
      const parts = await Promise.all(engines.map((e) => e.q(W, mu, eta)));
      const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
    async frobenius() {
      return (await Promise.all(engines.map((e) => e.frobenius()))).reduce((a, b) => a + b, 0);
    },
    dispose() {
      for (const e of engines) e.dispose();
    },
  };
}
