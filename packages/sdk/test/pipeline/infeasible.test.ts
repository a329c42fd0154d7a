// Nothing silent (#24): an infeasible η used to resolve normally with keepRate 1, rbAfter = rbBefore and no output
// written (pipeline/balance-file.ts); a caller that did not read report.solver.status believed the data balanced.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InfeasibleError, violatedConstraints } from '../../src/balance/infeasible.js';
import { OptionError } from '../../src/options.js';
import { encodeFile, balanceFile } from '../../src/pipeline/balance-file.js';
import { balanceEncoded } from '../../src/pipeline/balance.js';

const dir = mkdtempSync(join(tmpdir(), 'm4kit-infeasible-'));
// spec T4: 4 men, 2 women; with ε = 0 the largest feasible η is 4/6
const t4 = join(dir, 't4.jsonl');
writeFileSync(
  t4,
  [
    ['man', ['doctor']],
    ['man', ['doctor']],
    ['man', []],
    ['man', ['nurse']],
    ['woman', ['nurse']],
    ['woman', ['doctor']],
  ]
    .map(([s, y]) => JSON.stringify({ sex: s, job: y }))
    .join('\n'),
);
const spec = { attributes: ['sex'], labels: ['job'] };
const hard = { eta: 0.9, epsRep: 0, epsAssoc: 0, backend: 'cpu' as const };

describe('InfeasibleError: an infeasible balance is never a quiet result', () => {
  test('balanceFile on an infeasible η resolved with keepRate 1 and wrote nothing: now it throws', async () => {
    const out = join(dir, 'never.csv');
    const reportPath = join(dir, 't4.report.json');
    const err = await balanceFile(t4, spec, { ...hard, out, reportPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfeasibleError);
    const e = err as InfeasibleError;
    expect(e.code).toBe('E_INFEASIBLE');
    expect(e.name).toBe('InfeasibleError');
    expect(e.eta).toBe(0.9);
    expect(e.maxFeasibleEta).toBeCloseTo(4 / 6, 4);
    expect(e.message).toMatch(/keep rate η = 0\.9; the largest feasible η is 0\.6667/);
    expect(e.violated.length).toBeGreaterThan(0);
    for (const v of e.violated) {
      expect(['representation', 'association']).toContain(v.kind);
      expect(Math.abs(v.value)).toBeGreaterThan(v.bound);
      expect(['man', 'woman']).toContain(v.attribute);
    }
    expect(e.report.solver.status).toBe('infeasible');
    expect(e.report.solver.violated).toEqual(e.violated);
    // the report (which says infeasible) is written, the output table is not
    expect(existsSync(out)).toBe(false);
    expect(JSON.parse(readFileSync(reportPath, 'utf8')).solver.status).toBe('infeasible');
  });

  test('balanceEncoded on an infeasible η throws the same error; onInfeasible "return" returns the report', async () => {
    const enc = await encodeFile(t4, spec);
    await expect(balanceEncoded(enc, hard)).rejects.toBeInstanceOf(InfeasibleError);
    const r = await balanceEncoded(enc, { ...hard, onInfeasible: 'return' });
    expect(r.report.solver.status).toBe('infeasible');
    expect(r.report.solver.maxFeasibleEta).toBeCloseTo(4 / 6, 4);
    expect(r.report.kept).toBe(0);
    expect(r.report.solver.violated?.length).toBeGreaterThan(0);
    // the rows path and the streaming solver say infeasible the same way
    await expect(balanceEncoded(enc, { ...hard, path: 'rows' })).rejects.toBeInstanceOf(InfeasibleError);
  });

  test('a feasible balance carries no violated list and does not throw', async () => {
    const enc = await encodeFile(t4, spec);
    const r = await balanceEncoded(enc, { ...hard, eta: 0.5 });
    expect(r.report.solver.status).toBe('optimal');
    expect(r.report.solver.violated).toBeUndefined();
  });

  test('onInfeasible other than throw | return is an OptionError naming the choices', async () => {
    const enc = await encodeFile(t4, spec);
    await expect(balanceEncoded(enc, { ...hard, onInfeasible: 'ignore' as never })).rejects.toThrow(OptionError);
    await expect(balanceEncoded(enc, { ...hard, onInfeasible: 'ignore' as never })).rejects.toThrow(
      /"throw", "return"/,
    );
  });

  test('violatedConstraints: balanced vs joint denominators, worst first, within-bound constraints left out', () => {
    const sums = { sumW: 10, sumQ: 5, D: Float64Array.from([0.2, -0.5, 0.01]), qy: new Float64Array(2), obj: 0 };
    const names = { attributes: ['g'], labels: ['a', 'b'] };
    const bal = violatedConstraints(sums, names, { epsRep: 0.01, epsAssoc: 0.01, tolerance: 'balanced' });
    expect(bal.map((v) => [v.kind, v.label, v.value])).toEqual([
      ['association', 'a', -0.1],
      ['representation', undefined, 0.04],
    ]);
    const joint = violatedConstraints(sums, names, { epsRep: 0.03, epsAssoc: 0.01, tolerance: 'joint' });
    expect(joint.map((v) => v.value)).toEqual([-0.05]);
  });
});
