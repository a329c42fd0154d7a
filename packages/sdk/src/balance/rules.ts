// What the balance resolvers share and do not export: the number rules and the seal that marks a resolved object.
import { RULES, type NumberRule } from '../options.js';

export const R = {
  eta: RULES.fraction,
  eps: { what: 'a finite tolerance ≥ 0', ok: (x: number) => Number.isFinite(x) && x >= 0 },
  V: { what: 'a positive enforcement level (or Infinity)', ok: (x: number) => x > 0 },
  tol: RULES.positive,
  maxIter: RULES.positiveInt,
  // the keep draw's seed is 32-bit (uniformAt, uniformSql): a fraction or a larger value would be truncated or wrap
  seed: {
    what: 'an integer in [0, 2^32) (seeds are 32-bit: a fraction or a larger value would be truncated or wrap silently)',
    ok: (x: number) => Number.isInteger(x) && x >= 0 && x < 2 ** 32,
    asGiven: true,
  },
  polish: { what: 'an integer ≥ 0 (iterations)', ok: (x: number) => Number.isInteger(x) && x >= 0 },
  hessianRows: { what: 'a row count ≥ 1 (or Infinity)', ok: (x: number) => x >= 1 },
} satisfies Record<string, NumberRule>;

const resolved = new WeakSet<object>();
/** Freezes a resolver's output and marks it as resolved (trusted as it is by `isResolved`). */
export const seal = <T extends object>(o: T): T => {
  Object.freeze(o);
  resolved.add(o);
  return o;
};
/**
 * True for objects made by one of the balance resolvers (they are trusted as they are).
 * @param o - any value.
 * @returns whether `o` was returned by a balance resolver.
 */
export const isResolved = (o: unknown): boolean => typeof o === 'object' && o !== null && resolved.has(o);

/** A resolved object with some fields replaced by values already checked (e.g. a pipeline forcing its path). */
export const resolvedWith = <T extends object>(o: T, over: Partial<T>): T => seal({ ...o, ...over });
