// One declaration per op: its signature (the type parameter), its host checks, its WebGPU launcher and its
// float64 reference. `ops/registry.ts` lists the declarations; both `Kernels` backends, the package's exports,
// the self-check (sdk selfcheck.ts) and the cross-runtime suite (tests/suite/ops.suite.ts) are built from it.
//
// A backend calls a declared op in three steps, in this order and nowhere else:
//   1. every tensor argument (also inside arrays and plain option objects) is unwrapped to the backend's tensor
//      type — a tensor of the other backend or of another context is an ArgumentError naming the op;
//   2. `check(...args)`: the host checks (shapes, dtypes, option values), written once, typed errors;
//   3. `webgpu(ctx, ...args)` or `cpu(...args)`.
//
// Checks run once on every path. `webgpu` is the op's UNCHECKED body (`<op>Unchecked` in its folder): it never
// calls `check` again, and where it needs what a check derives (sizes, defaults) it recomputes only those, with a
// non-throwing helper beside the check (e.g. `classTokensDims`, `matmulDimsOf`, `chunkDims`, `adamwDefaults`).
// The launcher exported from `@m4kit/kernels/advanced` is `check` followed by that same body. A body keeps only
// the limits of its backend (binding size, one dispatch, shader-f16, the Hessian's K ≤ 127); `cpu` likewise
// reads derived sizes without checking again, and calls the unchecked body of a float64 reference that checks
// (`adamwStepRefUnchecked`, `debiasLossRefUnchecked`, ...; the public reference is its checks, then that body).
// Test: tests/node/host-checks-once.test.ts.
import type { Tensor } from '../types.js';
import type { CpuTensor } from '../runtime/cpu-tensor.js';
import type { GpuContext } from '../runtime/context.js';
import type { GpuTensor } from '../runtime/context.js';

export type AnyFn = (...args: any[]) => any;

/** A signature's argument types with `Tensor` replaced by a backend's tensor type (in arrays and option objects too). */
export type On<A, T> = A extends Tensor
  ? T
  : A extends (...a: any[]) => unknown
    ? A
    : A extends ArrayLike<number> | string | number | boolean | null | undefined
      ? A
      : A extends readonly (infer E)[]
        ? On<E, T>[]
        : A extends object
          ? { [K in keyof A]: On<A[K], T> }
          : A;
export type OnArgs<A extends readonly unknown[], T> = { [K in keyof A]: On<A[K], T> };

/** Tolerance |got − want| ≤ max(rel·|got + want|, abs) of the WebGPU result against the float64 reference. */
export interface OpTolerance {
  rel: number;
  abs: number;
}

/** What the backends need to build a case's inputs. */
export interface TensorMaker {
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype?: 'f32' | 'u32'): Tensor;
  zeros(shape: readonly number[]): Tensor;
}

/**
 * A test case of an op: inputs from a seeded PRNG (the same on both backends), run on WebGPU and on the float64
 * CPU backend, compared within `tol`. With `throws`, both backends must throw that error class, message matching.
 */
export interface OpCase<F extends AnyFn> {
  name: string;
  args: (k: TensorMaker, rnd: () => number) => Parameters<F>;
  /** the tensors to compare (default: the result, a tensor) */
  out?: (result: Awaited<ReturnType<F>>, args: Parameters<F>) => Tensor | Tensor[];
  tol?: OpTolerance;
  throws?: { error: abstract new (...a: never[]) => Error; message: RegExp };
  /** run on a context whose storage bindings hold at most this many bytes (exercises the row chunking) */
  maxBindingSize?: number;
  /** one quick case per op runs in the self-check (`m4kit info`) */
  selfcheck?: boolean;
}

/**
 * One op of the registry (`defineOp`): the host checks, the WebGPU launcher, the float64 CPU reference and the test
 * cases; `F` is the public signature on `Kernels`.
 */
export interface OpDeclaration<F extends AnyFn> {
  readonly op: true;
  /** the name in error messages */
  readonly name: string;
  /** the op returns a promise: a check failure rejects it instead of throwing */
  readonly async?: boolean;
  /** host checks, once, above the backend (typed errors; may normalise nothing — the backends get the same args) */
  readonly check?: (...args: OnArgs<Parameters<F>, Tensor>) => void;
  /** the WebGPU body, unchecked: the backend ran `check` (the /advanced launcher is `check`, then this body) */
  readonly webgpu: (ctx: GpuContext, ...args: OnArgs<Parameters<F>, GpuTensor>) => ReturnType<F>;
  /** the float64 reference behind the CPU backend */
  readonly cpu: (...args: OnArgs<Parameters<F>, CpuTensor>) => ReturnType<F>;
  readonly cases?: readonly OpCase<F>[];
  /** phantom: the public signature */
  readonly signature?: F;
}

/**
 * Declare an op; `F` is its public signature on `Kernels`, written with `Tensor`.
 * @param decl - name, `check`, `webgpu`, `cpu` and `cases` (see `OpDeclaration`).
 * @returns the declaration, tagged so the registry and the backends recognise it.
 */
export function defineOp<F extends AnyFn>(decl: Omit<OpDeclaration<F>, 'op' | 'signature'>): OpDeclaration<F> {
  return { ...decl, op: true };
}

export function isOpDeclaration(x: unknown): x is OpDeclaration<AnyFn> {
  return typeof x === 'object' && x !== null && (x as { op?: unknown }).op === true;
}

/** Replace every tensor in args (also in arrays and plain objects) by unwrap(tensor). */
export function mapTensors(args: readonly unknown[], isT: (x: unknown) => boolean, unwrap: (x: unknown) => unknown) {
  const go = (x: unknown): unknown => {
    if (isT(x)) return unwrap(x);
    if (Array.isArray(x)) return x.some((e) => typeof e === 'object' && e !== null) ? x.map(go) : x;
    if (typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype) {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) o[k] = go(v);
      return o;
    }
    return x;
  };
  return args.map(go);
}
