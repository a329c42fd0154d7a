// The balance options declared once (balance/declare.ts): the resolver, the CLI labels and the demo fields all come
// from BALANCE_OPTION_DECLS; `hessianRows` (--hessian-rows) was added through that path as its proof.
import { describe, expect, test } from 'vitest';
import {
  BALANCE_CLI_LABELS,
  BALANCE_DEFAULTS,
  BALANCE_OPTION_DECLS,
  declAttribute,
  resolveBalanceOptions,
} from '../../src/balance/options.js';
import { TableEncoder } from '../../src/io/encode.js';
import { balanceEncoded } from '../../src/pipeline/balance.js';

describe('balance option declarations', () => {
  test('every declared option resolves to its declared default and has a CLI label and attribute', () => {
    const r = resolveBalanceOptions({}) as unknown as Record<string, unknown>;
    for (const d of BALANCE_OPTION_DECLS) {
      if (d.check !== 'special') expect(r[d.key], d.key).toBe(d.default);
      expect(BALANCE_CLI_LABELS[d.key]).toBe(d.flag.split(' ')[0]);
      expect(declAttribute(d)).toMatch(/^[a-z][A-Za-z]*$/);
    }
    expect(declAttribute(BALANCE_OPTION_DECLS.find((d) => d.key === 'maxIter')!)).toBe('maxIter');
    expect(declAttribute(BALANCE_OPTION_DECLS.find((d) => d.key === 'softPenalty')!)).toBe('soft');
  });

  test('a declared number option is checked by its rule and named by the caller’s label', () => {
    expect(resolveBalanceOptions({ hessianRows: '100' }).hessianRows).toBe(100);
    expect(resolveBalanceOptions({}).hessianRows).toBe(BALANCE_DEFAULTS.hessianRows);
    expect(() => resolveBalanceOptions({ hessianRows: '0' }, BALANCE_CLI_LABELS)).toThrow(/--hessian-rows/);
    expect(() => resolveBalanceOptions({ combine: 'cross' }, BALANCE_CLI_LABELS)).toThrow(
      /--combine must be one of "auto", "intersection", "marginal", "indicators", got "cross"/,
    );
  });

  test('--hessian-rows reaches the Newton solver: the Hessian pass samples every ⌈n/rows⌉-th row', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({
      g: ['a', 'b', 'c'][i % 3],
      y: `y${i % 7}`,
      z: `z${(i * 7) % 11}`,
    }));
    const enc = new TableEncoder({ attributes: ['g'], labels: ['y', 'z'] });
    enc.push({ columns: ['g', 'y', 'z'], rows, offset: 0 });
    const e = enc.finish();
    const opts = { eta: 0.5, epsRep: 0.05, epsAssoc: 0.05, path: 'rows' as const, backend: 'cpu' as const };
    const all = await balanceEncoded(e, opts);
    const sampled = await balanceEncoded(e, { ...opts, hessianRows: 50 });
    expect(all.report.solver.hessianStride).toBe(1);
    expect(sampled.report.solver.hessianStride).toBe(8); // ⌈400 / 50⌉
    expect(sampled.report.solver.status).toBe('optimal');
    let worst = 0;
    all.q.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - sampled.q[i]))));
    expect(worst).toBeLessThan(1e-6); // the same optimum: only the Newton model is sampled
  });
});
