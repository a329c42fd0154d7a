// A runtime-neutral test registry: the same cases run under vitest (Node+Dawn), `deno test` and Chromium.
export interface Case {
  name: string;
  fn: () => Promise<void> | void;
}

export class Suite {
  readonly cases: Case[] = [];
  constructor(readonly name: string) {}
  test(name: string, fn: () => Promise<void> | void): void {
    this.cases.push({ name: `${this.name} › ${name}`, fn });
  }
}

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export interface Tol {
  rel: number;
  abs: number;
}
/** Burn-style presets: |x − y| ≤ max(rel·|x + y|, abs). */
export const TOL = {
  f32: { rel: 1e-5, abs: 1e-5 } as Tol,
  f32Loose: { rel: 1e-4, abs: 1e-4 } as Tol,
  exact: { rel: 0, abs: 0 } as Tol,
};

/** Compare arrays element-wise with the stated tolerance; reports the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, label: string): void {
  assert(actual.length === expected.length, `${label}: length ${actual.length} ≠ expected ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const diff = Math.abs(a - e);
    const allowed = Math.max(tol.rel * Math.abs(a + e), tol.abs);
    if (!(diff <= allowed) && !(a === e)) {
      const excess = Number.isFinite(diff) ? diff - allowed : Infinity;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) {
    throw new AssertionError(
      `${label}: element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (|diff| ${Math.abs(actual[worst] - expected[worst])} > max(${tol.rel}·|x+y|, ${tol.abs}))`,
    );
  }
}

export function assertEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert(actual.length === expected.length, `${label}: length ${actual.length} ≠ expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i])
      throw new AssertionError(`${label}: element ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Await fn and require it to throw an instance of `cls` whose message matches `re`. Returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => E,
  re: RegExp,
  label: string,
  timeoutMs = 20000,
): Promise<E> {
  let err: unknown = undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      (async () => fn())(),
      new Promise((_, rej) => {
        timer = setTimeout(
          () => rej(new AssertionError(`${label}: timed out after ${timeoutMs} ms (hang)`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    err = e;
  } finally {
    if (timer) clearTimeout(timer);
  }
  if (err instanceof AssertionError && /timed out/.test(err.message)) throw err;
  assert(err !== undefined, `${label}: expected ${cls.name} but nothing was thrown`);
  assert(err instanceof cls, `${label}: expected ${cls.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
  assert(re.test((err as Error).message), `${label}: message "${(err as Error).message}" does not match ${re}`);
  return err as E;
}

/** Seeded PRNG (mulberry32) so failures reproduce on every runtime. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randArray(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

export interface Env {
  runtime: 'node' | 'deno' | 'chromium';
}
