// Nothing silent (#24): a balance that stopped at maxIter with its constraints unmet resolved normally (only the CLI
// noticed, exit 4); a caller that did not read report.solver.status took an unbalanced q for a balanced one.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { NotConvergedError } from '../../src/balance/infeasible.js';
import { OptionError } from '../../src/options.js';
import { balanceFile, encodeFile } from '../../src/pipeline/balance-file.js';
import { balanceEncoded } from '../../src/pipeline/balance.js';

const survey = join(import.meta.dirname, '../../../../data/kernlab-income.csv');
const dir = mkdtempSync(join(tmpdir(), 'm4kit-not-converged-'));
const spec = { attributes: ['SEX'], labels: ['OCCUPATION'], missing: 'drop' as const };
// two first-order iterations cannot reach the tolerance on the survey (the CLI's exit-4 case in reliability.test)
const capped = {
  eta: 0.5,
  maxIter: 2,
  method: 'first-order' as const,
  backend: 'cpu' as const,
  missing: 'drop' as const,
};

describe('NotConvergedError: a balance stopped at maxIter is never a quiet result', () => {
  test('balanceFile throws after writing the report, never the output table', async () => {
    const out = join(dir, 'never.csv');
    const reportPath = join(dir, 'capped.report.json');
    const err = await balanceFile(survey, spec, { ...capped, out, reportPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotConvergedError);
    const e = err as NotConvergedError;
    expect(e.code).toBe('E_NOT_CONVERGED');
    expect(e.name).toBe('NotConvergedError');
    expect(e.iterations).toBe(2);
    expect(e.maxViolation).toBeGreaterThan(0);
    expect(e.message).toMatch(/stopped at the iteration limit \(2 iterations\).*onNotConverged: 'return'/);
    expect(e.report.solver.status).toBe('max-iter');
    expect(e.violated.length).toBeGreaterThan(0);
    for (const v of e.violated) {
      expect(['representation', 'association']).toContain(v.kind);
      expect(Math.abs(v.value)).toBeGreaterThan(v.bound);
    }
    expect(e.report.solver.violated).toEqual(e.violated);
    expect(existsSync(out)).toBe(false);
    expect(JSON.parse(readFileSync(reportPath, 'utf8')).solver.status).toBe('max-iter');
  });

  test("balanceEncoded throws too; onNotConverged 'return' returns the report and balanceFile writes the output", async () => {
    const enc = await encodeFile(survey, spec);
    await expect(balanceEncoded(enc, capped)).rejects.toBeInstanceOf(NotConvergedError);
    const r = await balanceEncoded(enc, { ...capped, onNotConverged: 'return' });
    expect(r.report.solver.status).toBe('max-iter');
    expect(r.report.solver.converged).toBe(false);
    const out = join(dir, 'capped.csv');
    await balanceFile(survey, spec, { ...capped, out, onNotConverged: 'return' });
    expect(readFileSync(out, 'utf8').split('\n')[0]).toMatch(/q/);
    // a converged run is untouched by the option
    const ok = await balanceEncoded(enc, { eta: 0.5, backend: 'cpu' });
    expect(ok.report.solver.status).toBe('optimal');
  });

  test('onNotConverged other than throw | return is an OptionError naming the choices', async () => {
    const enc = await encodeFile(survey, spec);
    await expect(balanceEncoded(enc, { ...capped, onNotConverged: 'ignore' as never })).rejects.toThrow(OptionError);
    await expect(balanceEncoded(enc, { ...capped, onNotConverged: 'ignore' as never })).rejects.toThrow(
      /throw.*return/,
    );
  });
});
