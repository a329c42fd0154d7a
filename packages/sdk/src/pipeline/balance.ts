// The balance pipeline: encoded table → (patterns | rows) engine → dual solve → q per row → seeded keep flags
// → report with data representation / association bias before and after (spec §1.3).
import { ArgumentError, init, type Kernels } from '@m4kit/kernels';
import { biasReport, type BiasReport } from '../balance/metrics.js';
import { createCpuEngine } from '../balance/engine-cpu.js';
import { createGpuEngine } from '../balance/engine-gpu.js';
import {
  BALANCE_DEFAULTS,
  feasibleEtaOptionsFrom,
  piForGroups,
  resolveBalanceOptions,
  solverOptionsFrom,
  type BalanceOptions,
  type ResolvedBalanceOptions,
  type ToleranceMode,
} from '../balance/options.js';
import { checkFeasible, infeasibleDetail, type ViolatedConstraint } from '../balance/infeasible.js';
import { maxFeasibleEta, solveBatch, type SolveResult } from '../balance/solve.js';
import { solveStreaming } from '../balance/stream.js';
import type { BalanceData, MomentsEngine, MomentsSums } from '../balance/types.js';
import { expandRows, type EncodedTable } from '../io/encode.js';

export type { BalanceOptions } from '../balance/options.js';

/**
 * The report's `solver` block from a solve result and the largest-feasible-η search before it (one function for
 * every pipeline, so the fields cannot drift between them).
 */
export function solverReport(
  res: SolveResult,
  search: {
    found?: number;
    searchPasses: number;
    searchHessian: number;
    violations?: BalanceReport['solver']['violations'];
    violated?: ViolatedConstraint[];
  },
): BalanceReport['solver'] {
  return {
    status: res.status,
    converged: res.converged,
    iterations: res.iterations,
    keepRate: res.keepRate,
    maxViolation: res.maxViolation,
    maxFeasibleEta: res.maxFeasibleEta ?? search.found,
    passes: search.searchPasses + (res.passes ?? 0),
    method: res.solver.method,
    hessianPasses: search.searchHessian + res.solver.hessianPasses,
    hessianStride: res.solver.hessianStride,
    dualityGap: res.solver.dualityGap,
    ...(search.violations ? { violations: search.violations } : {}),
    ...(search.violated ? { violated: search.violated } : {}),
    ...(res.solver.note ? { note: res.solver.note } : {}),
    timeMs: res.timeMs,
  };
}

export interface BalanceReport {
  input: { rows: number; dropped: number; patterns: number; attributes: string[]; labels: string[] };
  options: {
    eta: number;
    etaRequested: number | 'auto';
    pi: number[];
    epsRep: number;
    epsAssoc: number;
    /** what ε_R / ε_A bound: the balanced (kept) data's moments, or the joint moments */
    tolerance: ToleranceMode;
    /** soft-constraint penalty (null = hard constraints); `V` is its old name, kept for readers of old reports */
    softPenalty: number | null;
    V: number | null;
    solver: string;
    path: 'patterns' | 'rows';
    backend: string;
    seed: number;
  };
  solver: {
    status: SolveResult['status'];
    converged: boolean;
    iterations: number;
    keepRate: number;
    maxViolation: number;
    maxFeasibleEta?: number;
    /** moment passes over the data (η search included) */
    passes: number;
    /** 'newton' | 'first-order' | 'newton+first-order' (batch), 'stream' or 'stream+newton' (polished) */
    method: string;
    /** Newton Hessian passes (each over every hessianStride-th row) */
    hessianPasses: number;
    hessianStride?: number;
    /** P(q) − g(v, µ): with zero violations, a certificate that q is within this of the optimal objective */
    dualityGap: number;
    /** stream: the measured violation of every constraint (mean q − η; per moment, above and below) */
    violations?: { keepRate: number; upper: number[]; lower: number[] };
    /** status 'infeasible': the constraints the solver's last point does not meet, worst first */
    violated?: ViolatedConstraint[];
    note?: string;
    timeMs: number;
  };
  kept: number;
  bias: BiasReport;
  timeMs: number;
  /** accepted but probably not meant (e.g. a column both attribute and label); absent when there are none */
  warnings?: string[];
}

export interface BalanceResult {
  /** keep probability per input row (0 for dropped rows) */
  q: Float64Array;
  /** seeded Bernoulli(q) keep flag per input row */
  keep: Uint8Array;
  report: BalanceReport;
}

/** Counter-based uniform in [0,1) for (seed, row): keep flags do not depend on chunking or order. */
export function uniformAt(seed: number, i: number): number {
  let z = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(i + 0x632be5ab, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return z / 4294967296;
}

/**
 * Moment sums of the kept rows (q ≡ 1 over the rows whose keep flag is set), on the patterns in float64: the
 * balanced data's bias as realised by the seeded draw. A counts table weighs each kept row by its count.
 */
async function keptMoments(
  enc: EncodedTable,
  keep: Uint8Array,
  pi: number[],
  zeroW: Float64Array,
  eta: number,
): Promise<MomentsSums | undefined> {
  const { n, S, Y, w } = enc.patterns;
  const isCounts = n === enc.rows - enc.dropped && w.some((x) => x !== 1); // one pattern per input row (expandRows)
  const kw = new Float64Array(n);
  enc.rowToPattern.forEach((p, i) => {
    if (p >= 0 && keep[i]) kw[p] += isCounts ? w[p] : 1;
  });
  if (!kw.some((x) => x > 0)) return undefined;
  const m = enc.attributeNames.length;
  const c = enc.labelNames.length;
  const e = createCpuEngine({ n, m, c, S, Y, w: kw }, pi);
  try {
    return await e.pass(zeroW, 0, eta, 1);
  } finally {
    e.dispose();
  }
}

/**
 * Balance an encoded table (M4, spec §1): per-row keep probabilities q that meet the target group shares
 * (representation, ε_R) and decorrelate the groups from the labels (association, ε_A) at keep rate η, the seeded
 * keep flags drawn from q, and the report of the data's bias before and after.
 *
 * @param enc - the table as `TableEncoder.finish()` (or `encodeFile`) returns it
 * @param options - balance options (`eta`, `pi`, `epsRep`, `epsAssoc`, `softPenalty`, `seed`, `backend`, `kernels`,
 *   `onInfeasible`, …; see `BalanceOptions`), checked by `resolveBalanceOptions`
 * @returns `q` and `keep` per input row (0 for dropped rows) and the `report`
 * @throws InfeasibleError when no q meets the hard constraints at η (unless `onInfeasible: 'return'`);
 *   OptionError for a bad option
 *
 * @example
 * ```js
 * import { TableEncoder, parseTableBytes, balanceEncoded } from '@m4kit/sdk';
 * const csv = 'sex,job\nman,doctor\nman,doctor\nman,nurse\nwoman,nurse\nwoman,doctor\nwoman,nurse\n';
 * const enc = new TableEncoder({ attributes: ['sex'], labels: ['job'] }, 'jobs.csv');
 * enc.push(await parseTableBytes(new TextEncoder().encode(csv), 'jobs.csv'));
 * const { q, keep, report } = await balanceEncoded(enc.finish(), { eta: 0.5, backend: 'cpu' });
 * console.log(report.solver.status, report.kept, Array.from(q), keep);
 * ```
 */
export async function balanceEncoded(
  enc: EncodedTable,
  options: BalanceOptions | ResolvedBalanceOptions = {},
): Promise<BalanceResult> {
  const t0 = performance.now();
  const opts = resolveBalanceOptions(options);
  const m = enc.attributeNames.length;
  const c = enc.labelNames.length;
  const pi = piForGroups(opts.pi, enc.attributeNames);
  const { epsRep, epsAssoc, softPenalty: V, seed, eta: etaReq } = opts;
  const wantRows =
    opts.path === 'rows' || (opts.path !== 'patterns' && (!!enc.utility || enc.fractional)) || opts.solver === 'stream';
  if (opts.path === 'patterns' && enc.utility)
    throw new ArgumentError('the patterns path cannot use a per-row utility; use path "rows"');

  // data for the engine
  let data: BalanceData;
  let rowIndex: Int32Array | null = null; // engine row → input row (rows path)
  if (!wantRows || opts.rowsEngine) {
    data = { n: enc.patterns.n, m, c, S: enc.patterns.S, Y: enc.patterns.Y, w: enc.patterns.w };
    if (wantRows) rowIndex = Int32Array.from(Array.from(enc.rowToPattern).flatMap((p, i) => (p >= 0 ? [i] : [])));
  } else {
    ({ data, rowIndex } = expandRows(enc));
  }

  let kernels: Kernels | undefined;
  let ownKernels = false;
  let engine: MomentsEngine;
  let backend = 'cpu';
  if (wantRows && opts.backend !== 'cpu') {
    kernels = opts.kernels;
    if (!kernels) {
      kernels = await init({ backend: opts.backend === 'webgpu' ? 'webgpu' : 'auto' });
      ownKernels = true;
    }
  }
  try {
    if (wantRows && opts.rowsEngine) {
      engine = opts.rowsEngine(pi, kernels);
      backend = kernels?.gpu
        ? `stream from disk, webgpu (${kernels.adapter?.description || 'adapter'})`
        : 'stream from disk, cpu';
    } else if (kernels && kernels.gpu) {
      const gpu = createGpuEngine(kernels.gpu, data, pi);
      engine = gpu;
      const e = gpu.encoding;
      const rows = `rows ${e.s === 'u8' ? 'as u8 groups' : 'f32 S'} + ${e.y === 'bits' ? 'label bits' : 'f32 Y'}`;
      const adapter = kernels.adapter?.description || kernels.adapter?.device || 'adapter';
      backend = `webgpu (${adapter}; ${rows}, ${e.bytesPerRow} B/row${e.note ? `: ${e.note}` : ''})`;
    } else engine = createCpuEngine(data, pi);

    // float32 sums on the GPU cannot certify violations below ~1e-6 of N; float64 engines go to 1e-9
    const tol = opts.tol ?? (kernels?.gpu ? BALANCE_DEFAULTS.tolFloat32 : BALANCE_DEFAULTS.tolFloat64);
    let eta = etaReq === 'auto' ? BALANCE_DEFAULTS.etaAutoCap : etaReq;
    let found: number | undefined;
    let searchPasses = 0;
    let searchHessian = 0;
    if (etaReq === 'auto') {
      opts.onProgress?.({ stage: 'eta-search', iter: 0, maxIter: 1, violation: NaN, keepRate: NaN });
      // the search runs at the engine's attainable tolerance: a float32 GPU engine never certifies 1e-10 and would
      // spend maxIter passes on each of the continuation stages
      const r = await maxFeasibleEta(engine, feasibleEtaOptionsFrom(opts, tol));
      found = r.eta;
      if (!(r.eta > 0))
        throw new ArgumentError(
          'eta auto: no keep rate η > 0 meets the tolerances on this data (the largest feasible η is 0): is an ' +
            'attribute also a label, or are the tolerances too tight? ' +
            'Loosen eps-rep / eps-assoc or use soft constraints',
        );
      searchPasses = r.passes;
      searchHessian = r.hessianPasses ?? 0;
      eta = Math.min(BALANCE_DEFAULTS.etaAutoCap, r.eta * 0.999);
    }
    const maxIter = opts.maxIter;
    const solver = solverOptionsFrom(opts, {
      eta,
      tol,
      pi,
      onSolveProgress: (p) =>
        opts.onProgress?.({ stage: 'solve', iter: p.iter, maxIter, violation: p.violation, keepRate: p.keepRate }),
      onStreamProgress: (p) =>
        opts.onProgress?.({
          stage: 'solve',
          iter: p.epoch,
          maxIter: p.epochs,
          violation: p.violation,
          keepRate: p.keepRate,
        }),
    });
    let res: SolveResult;
    let q: Float64Array;
    let streamViol: BalanceReport['solver']['violations'];
    if (opts.solver === 'stream') {
      const sr = await solveStreaming(data, solver.stream);
      q = sr.q;
      const sv = sr.violations;
      streamViol = { keepRate: sv.keepRate, upper: Array.from(sv.upper), lower: Array.from(sv.lower) };
      res = {
        ...sr,
        q: undefined,
        passes: sr.epochs + (sr.polish?.solver.passes ?? 0),
        kktResidual: sr.polish?.kktResidual ?? NaN,
        solver: {
          method: sr.polish ? 'stream+newton' : 'stream',
          passes: sr.epochs + (sr.polish?.solver.passes ?? 0),
          hessianPasses: sr.polish?.solver.hessianPasses ?? 0,
          hessianStride: sr.polish?.solver.hessianStride ?? 1,
          dualityGap: sr.dualityGap,
        },
      } as unknown as SolveResult;
    } else {
      res = await solveBatch(engine, solver.solve);
      q = res.status === 'infeasible' ? new Float64Array(data.n) : await engine.q(res.W, res.mu, eta);
    }
    const zeroW = new Float64Array(m * (c + 1));
    const before = await engine.pass(zeroW, 0, eta, 1);
    const after = res.status === 'infeasible' ? before : await engine.pass(res.W, res.mu, eta);

    // q and keep per input row
    const qRow = new Float64Array(enc.rows);
    if (rowIndex) rowIndex.forEach((row, j) => (qRow[row] = q[j]));
    else enc.rowToPattern.forEach((p, i) => (qRow[i] = p >= 0 ? q[p] : 0));
    const keep = new Uint8Array(enc.rows);
    let kept = 0;
    if (res.status !== 'infeasible') {
      for (let i = 0; i < enc.rows; i++) {
        keep[i] = uniformAt(seed, i) < qRow[i] ? 1 : 0;
        kept += keep[i];
      }
    }
    const keptSums = kept > 0 ? await keptMoments(enc, keep, pi, zeroW, eta) : undefined;
    const names = { attributes: enc.attributeNames, labels: enc.labelNames };
    const detail = await infeasibleDetail(engine, res, eta, names, opts, tol);
    found ??= detail.maxFeasibleEta;
    const bias = biasReport(before, after, pi, names, { kept: keptSums, tolerance: opts.tolerance });
    const result: BalanceResult = {
      q: qRow,
      keep,
      report: {
        input: {
          rows: enc.rows,
          dropped: enc.dropped,
          patterns: enc.patterns.n,
          attributes: enc.attributeNames,
          labels: enc.labelNames,
        },
        options: {
          eta,
          etaRequested: etaReq,
          pi,
          epsRep,
          epsAssoc,
          tolerance: opts.tolerance,
          softPenalty: Number.isFinite(V) ? V : null,
          V: Number.isFinite(V) ? V : null,
          solver: opts.solver,
          path: wantRows ? 'rows' : 'patterns',
          backend,
          seed,
        },
        solver: solverReport(res, {
          found,
          searchPasses,
          searchHessian,
          violations: streamViol,
          violated: detail.violated,
        }),
        kept,
        bias,
        timeMs: performance.now() - t0,
      },
    };
    checkFeasible(result.report, opts.onInfeasible);
    return result;
  } finally {
    engine!?.dispose();
    if (ownKernels) kernels?.destroy();
  }
}
