// The options layer: one resolver per entry point, defaults in one place, every refusal typed and named.
import { ArgumentError, type Kernels } from '@m4kit/kernels';
import { describe, expect, it } from 'vitest';
import {
  BALANCE_DEFAULTS,
  columnSpecWarnings,
  isResolved,
  OptionError,
  parsePi,
  piForGroups,
  resolveBalanceOptions,
} from '../../src/index.js';
import { resolveFeasibleEtaOptions, resolveSolveOptions, resolveStreamOptions } from '../../src/advanced.js';
import { createCpuEngine, solveBatch, type BalanceData } from '../../src/advanced.js';
import { createGpuEngine } from '../../src/balance/engine-gpu.js';

const T: BalanceData = {
  n: 6,
  m: 2,
  c: 2,
  S: Float64Array.from([1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1]),
  Y: Float64Array.from([1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0]),
};

/** Runs f, returns the OptionError it throws (fails when it throws anything else or nothing). */
function optionError(f: () => unknown): OptionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as OptionError).code).toBe('E_ARGUMENT');
    return e as OptionError;
  }
  throw new Error('expected an OptionError, nothing was thrown');
}

describe('resolveBalanceOptions', () => {
  it('fills every default from BALANCE_DEFAULTS and returns a frozen, trusted object', () => {
    const o = resolveBalanceOptions();
    expect(o).toMatchObject({
      eta: BALANCE_DEFAULTS.eta,
      pi: undefined,
      epsRep: BALANCE_DEFAULTS.epsRep,
      epsAssoc: BALANCE_DEFAULTS.epsAssoc,
      softPenalty: Infinity,
      solver: 'batch',
      tol: undefined,
      maxIter: BALANCE_DEFAULTS.maxIter,
      seed: 0,
      backend: 'auto',
      path: 'auto',
      missing: 'error',
    });
    expect(Object.isFrozen(o)).toBe(true);
    expect(isResolved(o)).toBe(true);
    expect(resolveBalanceOptions(o)).toBe(o);
    expect(isResolved({ ...o })).toBe(false);
  });

  it('one default for the pipeline and the solvers (was: ε 0.01 vs 0, maxIter 20000 vs 50000)', () => {
    const p = resolveBalanceOptions();
    const s = resolveSolveOptions({ eta: 0.5 });
    const st = resolveStreamOptions({ eta: 0.5, pi: [0.5, 0.5] });
    const f = resolveFeasibleEtaOptions({});
    for (const x of [s, st, f]) {
      expect(x.epsRep).toBe(p.epsRep);
      expect(x.epsAssoc).toBe(p.epsAssoc);
    }
    expect(s.maxIter).toBe(p.maxIter);
    expect(f.maxIter).toBe(p.maxIter);
    expect(s.V).toBe(p.softPenalty);
  });

  it("reads strings as typed (CLI flags, form fields) and names the option by the caller's label", () => {
    const o = resolveBalanceOptions({
      eta: '0.8',
      epsRep: '0.02',
      epsAssoc: ' 0.005 ',
      softPenalty: '5',
      seed: '7',
      maxIter: '300',
      pi: 'F=0.4,M=0.6',
    });
    expect(o).toMatchObject({
      eta: 0.8,
      epsRep: 0.02,
      epsAssoc: 0.005,
      softPenalty: 5,
      seed: 7,
      maxIter: 300,
      pi: { F: 0.4, M: 0.6 },
    });
    expect(resolveBalanceOptions({ eta: 'auto' }).eta).toBe('auto');
    const e = optionError(() => resolveBalanceOptions({ eta: '2' }, { eta: '--eta' }));
    expect(e.option).toBe('--eta');
    expect(e.message).toBe('--eta must be in (0, 1], got 2');
  });

  it('a blank --eta is refused as blank (was: "got 0")', () => {
    const e = optionError(() => resolveBalanceOptions({ eta: ' ' }, { eta: '--eta' }));
    expect(e.message).toBe('--eta is blank: expected in (0, 1]');
    expect(e.message).not.toMatch(/got 0/);
    expect(optionError(() => resolveBalanceOptions({ epsRep: '' })).message).toMatch(/^epsRep is blank/);
  });

  it('a non-numeric value is refused naming the option and the text (was: --eps-assoc abc exited 1 untyped)', () => {
    expect(optionError(() => resolveBalanceOptions({ epsAssoc: 'abc' }, { epsAssoc: '--eps-assoc' })).message).toBe(
      '--eps-assoc must be a finite tolerance ≥ 0, got "abc" (not a number)',
    );
    expect(optionError(() => resolveBalanceOptions({ eta: 'half' })).message).toMatch(
      /^eta must be in \(0, 1\], got "half"/,
    );
    expect(optionError(() => resolveBalanceOptions({ maxIter: '1.5' })).message).toBe(
      'maxIter must be an integer ≥ 1, got 1.5',
    );
    expect(optionError(() => resolveBalanceOptions({ epsRep: -0.01 })).message).toMatch(
      /^epsRep must be a finite tolerance ≥ 0/,
    );
    expect(optionError(() => resolveBalanceOptions({ softPenalty: 0 })).option).toBe('softPenalty');
  });

  it('unknown solver / path / backend / missing strings are refused with the allowed values (were: passed silently)', () => {
    const bad = { solver: 'newton', path: 'rowz', backend: 'cuda', missing: 'skip' } as const;
    const allowed = {
      solver: '"batch", "stream"',
      path: '"auto", "patterns", "rows"',
      backend: '"auto", "webgpu", "cpu"',
      missing: '"error", "drop", "category"',
    };
    for (const k of Object.keys(bad) as (keyof typeof bad)[]) {
      const e = optionError(() => resolveBalanceOptions({ [k]: bad[k] }));
      expect(e.option).toBe(k);
      expect(e.message).toBe(`${k} must be one of ${allowed[k]}, got "${bad[k]}"`);
    }
  });

  it('pi shares that do not sum to 1 are refused (accepted --pi 0.6,0.6 and kept 8%)', () => {
    const e = optionError(() => resolveBalanceOptions({ pi: '0.6,0.6' }, { pi: '--pi' }));
    expect(e.option).toBe('--pi');
    expect(e.message).toMatch(/^--pi: the target shares sum to 1\.2, not 1/);
    expect(optionError(() => resolveBalanceOptions({ pi: { F: 0.3, M: 0.3 } })).message).toMatch(/sum to 0\.6, not 1/);
    expect(optionError(() => resolveBalanceOptions({ pi: [0.5, 0.5 + 1e-6] })).message).toMatch(/not 1/);
    // within 1e-9 of 1 is accepted (decimal shares such as 0.1 × 10 do not add up to exactly 1 in binary)
    expect(resolveBalanceOptions({ pi: Array(10).fill(0.1) }).pi).toHaveLength(10);
    expect(resolveBalanceOptions({ pi: [0.5, 0.5 + 5e-10] }).pi).toEqual([0.5, 0.5 + 5e-10]);
  });

  it('π entries outside (0, 1) and malformed π text are refused by name', () => {
    expect(optionError(() => resolveBalanceOptions({ pi: [1, 0] })).message).toBe(
      'pi[0] = 1: expected a target share in (0, 1)',
    );
    expect(optionError(() => resolveBalanceOptions({ pi: '0.5,' }, { pi: '--pi' })).message).toBe(
      '--pi: "" is not a number or name=number',
    );
    expect(optionError(() => parsePi('F=0.5,M=x')).message).toBe('pi: "M=x" is not a number or name=number');
    expect(optionError(() => parsePi('=0.5,M=0.5')).message).toMatch(/"=0\.5"/);
  });

  it('parsePi reads shares in group order or by name; piForGroups matches them to the groups', () => {
    expect(parsePi('0.3, 0.7')).toEqual([0.3, 0.7]);
    expect(parsePi('a=0.3,b=0.7')).toEqual({ a: 0.3, b: 0.7 });
    expect(parsePi('  ')).toBeUndefined();
    expect(piForGroups({ b: 0.7, a: 0.3 }, ['a', 'b'])).toEqual([0.3, 0.7]);
    expect(piForGroups(undefined, ['a', 'b', 'c', 'd'])).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(optionError(() => piForGroups([0.3, 0.7], ['a', 'b', 'c'])).message).toBe(
      'pi: 2 target shares given, but there are 3 groups (a, b, c)',
    );
    expect(optionError(() => piForGroups({ a: 0.3, x: 0.7 }, ['a', 'b'])).message).toMatch(
      /no target share for group "b"/,
    );
  });

  it("pi '' and seeds that are not 32-bit integers are refused as the CLI refuses them (were: uniform, truncated, wrapped)", () => {
    // one rule in the resolver, used by the SDK and the CLI alike (the CLI had its own audit before)
    const L = { pi: '--pi', seed: '--seed' };
    expect(optionError(() => resolveBalanceOptions({ pi: '' }, L)).message).toMatch(
      /^--pi is empty \(an unset variable\?\)/,
    );
    expect(optionError(() => resolveBalanceOptions({ pi: '  ' })).message).toMatch(/^pi is empty/);
    expect(optionError(() => resolveBalanceOptions({ seed: '' }, L)).message).toMatch(/^--seed is blank/);
    for (const bad of ['1.5', '-1', '4294967296', 'x'])
      expect(optionError(() => resolveBalanceOptions({ seed: bad }, L)).message).toMatch(/^--seed must be an integer/);
    expect(optionError(() => resolveBalanceOptions({ seed: '4294967297' }, L)).message).toMatch(
      /integer in \[0, 2\^32\).*got "4294967297"$/,
    );
    expect(optionError(() => resolveBalanceOptions({ seed: 1.5 })).message).toMatch(
      /^seed must be an integer.*got 1\.5$/,
    );
    expect(resolveBalanceOptions({ seed: '4294967295' }).seed).toBe(2 ** 32 - 1);
    expect(resolveBalanceOptions({ seed: 0 }).seed).toBe(0);
    expect(resolveBalanceOptions({}).pi).toBeUndefined(); // π left out: uniform
  });

  it('V is a deprecated alias of softPenalty; both given and different is refused', () => {
    expect(resolveBalanceOptions({ V: 3 }).softPenalty).toBe(3);
    expect(resolveBalanceOptions({ softPenalty: 3, V: 3 }).softPenalty).toBe(3);
    expect(optionError(() => resolveBalanceOptions({ softPenalty: 3, V: 4 })).message).toMatch(/disagree/);
    expect(resolveSolveOptions({ eta: 0.5, softPenalty: 2 }).V).toBe(2);
  });
});

describe('solver entry points', () => {
  it('solveBatch and the GPU engine refuse a bad π with the one message of validatePi (were: two messages)', async () => {
    await expect(() => createCpuEngine(T, [0.5])).toThrow(/^pi: length 1 ≠ m = 2/);
    // the π check runs before any device work, so a stub context is enough to see the message
    expect(() => createGpuEngine({} as Kernels, T, [0.5])).toThrow(/^pi: length 1 ≠ m = 2/);
    expect(() => createGpuEngine({} as Kernels, T, [0.5, 1])).toThrow(
      /^pi\[1\] = 1: expected a target share in \(0, 1\)/,
    );
  });

  it('resolved solver options are taken as they are; plain ones are checked', async () => {
    const e = createCpuEngine(T, [0.5, 0.5]);
    const o = resolveSolveOptions({ eta: 0.5, epsRep: 0, epsAssoc: 0 });
    expect(Object.isFrozen(o)).toBe(true);
    const [a, b] = [await solveBatch(e, o), await solveBatch(e, { eta: 0.5, epsRep: 0, epsAssoc: 0 })];
    expect(Array.from(a.W)).toEqual(Array.from(b.W));
    expect(() => resolveSolveOptions({ eta: 0.5, warmStart: { v: new Float64Array(12), mu: NaN } })).toThrow(
      /^warmStart\.mu/,
    );
  });
});

describe('columnSpecWarnings', () => {
  it('the attribute column also given as a label is named (was: accepted silently)', () => {
    expect(columnSpecWarnings({ attributes: ['sex'], labels: ['job'] })).toEqual([]);
    const w = columnSpecWarnings({ attributes: ['sex'], labels: ['job', 'sex'] });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^column "sex" is both an attribute and a label/);
  });
});

describe('solver method and polish go through the resolver (the #15 merge read them raw, past it)', () => {
  it('method and polish: defaults, strings from a CLI, refusals naming the flag', () => {
    const r = resolveBalanceOptions({});
    expect(r.method).toBe('auto');
    expect(r.polish).toBe(0);
    const s = resolveBalanceOptions({ method: 'first-order', polish: '3' });
    expect(s.method).toBe('first-order');
    expect(s.polish).toBe(3);
    expect(optionError(() => resolveBalanceOptions({ method: 'gauss' }, { method: '--method' })).message).toMatch(
      /--method must be one of "auto", "newton", "first-order", got "gauss"/,
    );
    expect(optionError(() => resolveBalanceOptions({ polish: '1.5' }, { polish: '--polish' })).message).toMatch(
      /--polish/,
    );
    expect(optionError(() => resolveSolveOptions({ eta: 0.5, method: 'x' })).message).toMatch(/method/);
    expect(optionError(() => resolveSolveOptions({ eta: 0.5, hessianRows: 0 })).message).toMatch(/hessianRows/);
    expect(optionError(() => resolveStreamOptions({ eta: 0.5, pi: [0.5, 0.5], polish: -1 })).message).toMatch(/polish/);
  });

  it('the method asked for is the method that runs (first-order vs Newton on the CPU engine, same optimum)', async () => {
    const pi = Float64Array.from([0.5, 0.5]);
    const base = { eta: 0.5, pi, epsRep: 0.05, epsAssoc: 0.05, tolerance: 'joint' as const };
    const fo = await solveBatch(createCpuEngine(T, pi), { ...base, method: 'first-order' });
    const nt = await solveBatch(createCpuEngine(T, pi), { ...base, method: 'newton' });
    expect(fo.solver.method).toBe('first-order');
    expect(nt.solver.method).toMatch(/^newton/);
    expect(Math.abs(fo.keepRate - nt.keepRate)).toBeLessThan(1e-6);
  });
});
