// The trained BA module (spec §2.2): `DebiasModule` maps frozen embeddings to debiased ones; its config, the GPU
// matmul backend it may apply with, and its bytes (safetensors + the config in __metadata__; file IO in io.ts).
import { ArgumentError, ShapeError, type Kernels } from '@m4kit/kernels';
import { l2normalizeRows, type Embeddings } from '../evaluate/search.js';
import { decodeF64, firstNonFinite, safetensorsHeaderOf, writeSafetensors } from '../io/safetensors.js';
import {
  PARAM_NAMES,
  type BaParams,
  type MatmulBackend,
  checkMatrix,
  cpuMatmul,
  imageForward,
  paramList,
  textForward,
} from './ba.js';
import type { DebiasEval } from './validation.js';

/**
 * The module's config, saved beside its weights: format, dimensions, options and loss history.
 */
export interface DebiasConfig {
  format: 'm4kit-ba';
  version: 1;
  dim: number;
  hidden1: number;
  hidden2: number;
  alpha: number;
  tau: number;
  queueSize: number;
  momentum: number;
  mixRatio: number;
  mixFromEpoch: number;
  lr: number;
  batchSize: number;
  seed: number;
  epochsRun: number;
  bestEpoch: number | null;
  history: { epoch: number; loss: number; ba: number; cd: number }[];
  evals: DebiasEval[];
}

/** A trained BA module: maps frozen embeddings to debiased ones (images through mlp1 and mlp2, texts through mlp2). */
export class DebiasModule {
  constructor(
    readonly params: BaParams,
    readonly config: DebiasConfig,
  ) {}
  get dim(): number {
    return this.params.mlp2.D;
  }

  /**
   * Debiased embeddings g (unnormalised, as the module outputs them; `normalize: true` for unit rows).
   * `kernels` (optional) runs the matmuls on the GPU in row chunks; default float64 on the host.
   */
  async apply(
    e: Embeddings,
    opts: { modality?: 'image' | 'text'; normalize?: boolean; kernels?: Kernels; chunk?: number } = {},
  ): Promise<Embeddings> {
    const modality = opts.modality ?? 'image';
    if (modality !== 'image' && modality !== 'text')
      throw new ArgumentError(`apply: modality must be "image" or "text", got "${modality}"`);
    if (e.d !== this.dim) throw new ShapeError(`apply: embeddings have dimension ${e.d}, the module ${this.dim}`);
    checkMatrix('embeddings', e.data, e.n, e.d);
    const mm = opts.kernels ? gpuMatmul(opts.kernels) : cpuMatmul;
    const D = this.dim;
    const out = new Float64Array(e.n * D);
    const chunk = opts.chunk ?? 4096;
    for (let r0 = 0; r0 < e.n; r0 += chunk) {
      const rows = Math.min(chunk, e.n - r0);
      const x = Float64Array.from(e.data.subarray(r0 * D, (r0 + rows) * D));
      const g =
        modality === 'image'
          ? (await imageForward(mm, this.params, x, rows)).g
          : (await textForward(mm, this.params, x, rows)).g;
      out.set(g, r0 * D);
    }
    const res = { n: e.n, d: D, data: out };
    return opts.normalize ? l2normalizeRows(res) : res;
  }
}

/**
 * Matmuls through the kernels (float32 on the GPU, results widened to float64).
 * @param k - the `Kernels` to run on.
 * @returns a matmul backend for the BA module's steps.
 */
export function gpuMatmul(k: Kernels): MatmulBackend {
  const run = async (
    A: Float64Array,
    aShape: number[],
    B: Float64Array,
    bShape: number[],
    opts: { transA?: boolean; transB?: boolean },
  ) => {
    const a = k.tensor(A, aShape);
    const b = k.tensor(B, bShape);
    const c = k.matmul(a, b, opts);
    const out = await c.read();
    a.dispose();
    b.dispose();
    c.dispose();
    return out instanceof Float64Array ? out : Float64Array.from(out);
  };
  return {
    nt: (A, B, m, kk, n) => run(A, [m, kk], B, [n, kk], { transB: true }),
    nn: (A, B, m, kk, n) => run(A, [m, kk], B, [kk, n], {}),
    tn: (A, B, kk, m, n) => run(A, [kk, m], B, [kk, n], { transA: true }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// safetensors + JSON config (runtime-neutral bytes; file IO in debias/io.ts)

/**
 * Serialise the parameters as safetensors (F32 by default, or F64), with the config in __metadata__.
 * @param mod - the module.
 * @param dtype - 'F32' (default) or 'F64'.
 * @returns the safetensors file's bytes.
 */
export function moduleToSafetensors(mod: DebiasModule, dtype: 'F32' | 'F64' = 'F32'): Uint8Array {
  const arrays = paramList(mod.params);
  const m1 = mod.params.mlp1;
  const m2 = mod.params.mlp2;
  const shapes = [[m1.h, m1.D], [m1.h], [m1.D, m1.h], [m1.D], [m2.h, m2.D], [m2.h], [m2.D, m2.h], [m2.D]];
  return writeSafetensors(
    arrays.map((data, i) => ({ name: PARAM_NAMES[i], shape: shapes[i], dtype, data })),
    { config: JSON.stringify(mod.config) },
  );
}

/**
 * Inverse of moduleToSafetensors; `config` overrides the embedded one (the JSON file beside the weights).
 * @param bytes - a file written by `moduleToSafetensors`.
 * @param config - a config overriding the embedded one.
 * @param file - the name in error messages.
 * @returns the module.
 * @throws ArgumentError for missing tensors, wrong shapes or metadata.
 */
export function moduleFromSafetensors(
  bytes: Uint8Array,
  config?: DebiasConfig,
  file = 'module.safetensors',
): DebiasModule {
  const fail = (m: string) => new ArgumentError(`${file}: ${m}`);
  const header = safetensorsHeaderOf(bytes, fail);
  const meta = header.metadata;
  const cfg: DebiasConfig = config ?? (meta?.config ? JSON.parse(meta.config) : undefined);
  if (!cfg || cfg.format !== 'm4kit-ba')
    throw new ArgumentError(`${file}: no m4kit-ba config (expected it in the JSON file or the safetensors metadata)`);
  const arrays = PARAM_NAMES.map((name) => {
    const t = header.entries.get(name);
    if (!t) throw new ArgumentError(`${file}: missing tensor "${name}"`);
    if (t.dtype !== 'F32' && t.dtype !== 'F64')
      throw new ArgumentError(`${file}: tensor "${name}" has dtype ${t.dtype} (F32 or F64 expected)`);
    const x = decodeF64(bytes.subarray(t.begin, t.end), t.dtype, fail, name);
    const bad = firstNonFinite(x);
    if (bad >= 0)
      throw new ArgumentError(
        `${file}: tensor "${name}" holds ${x[bad]} at index ${bad} (every loaded value must be finite)`,
      );
    return x;
  });
  const { dim: D, hidden1: h1, hidden2: h2 } = cfg;
  const want = [h1 * D, h1, D * h1, D, h2 * D, h2, D * h2, D];
  arrays.forEach((a, i) => {
    if (a.length !== want[i])
      throw new ShapeError(`${file}: tensor "${PARAM_NAMES[i]}" has ${a.length} values, the config says ${want[i]}`);
  });
  const params: BaParams = {
    mlp1: { D, h: h1, W1: arrays[0], b1: arrays[1], W2: arrays[2], b2: arrays[3] },
    mlp2: { D, h: h2, W1: arrays[4], b1: arrays[5], W2: arrays[6], b2: arrays[7] },
  };
  return new DebiasModule(params, cfg);
}
