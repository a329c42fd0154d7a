// The balance pipeline: encoded table → (patterns | rows) engine → dual solve → q per row → seeded keep flags
// → report with data representation / association bias before and after (spec §1.3).
import { ArgumentError, init, type Kernels } from '@m4kit/kernels';
import { biasReport } from '../balance/metrics.js';
import { createCpuEngine } from '../balance/engine-cpu.js';
import { createGpuEngine } from '../balance/engine-gpu.js';
import {
  BALANCE_DEFAULTS,
  piForGroups,
  resolveBalanceOptions,
  type BalanceOptions,
  type ResolvedBalanceOptions,
} from '../balance/options.js';
import { checkFeasible } from '../balance/infeasible.js';
import type { BalanceData, MomentsEngine, MomentsSums } from '../balance/types.js';
import { expandRows, type EncodedTable } from '../io/encode.js';
import { combinedReport, driveBalance, optionsReport } from './driver.js';
import type { BalanceResult } from './report-types.js';

export type { BalanceOptions } from '../balance/options.js';
export type { BalanceReport, BalanceResult } from './report-types.js';
export { solverReport } from './driver.js';

/**
 * Counter-based uniform in [0,1) for (seed, row): keep flags do not depend on chunking or order.
 * @param seed - the seed (integer).
 * @param i - the 0-based row.
 * @returns a uniform number in [0, 1).
 */
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
 *   NotConvergedError when the solver stopped at `maxIter` before meeting its tolerance (unless
 *   `onNotConverged: 'return'`);
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
  const pi = piForGroups(opts.pi, enc.attributeNames, 'pi', enc.columns?.combined);
  const { seed } = opts;
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
      backend =
        kernels?.backend === 'webgpu'
          ? `stream from disk, webgpu (${kernels.adapter?.description || 'adapter'})`
          : 'stream from disk, cpu';
    } else if (kernels && kernels.backend === 'webgpu') {
      const gpu = createGpuEngine(kernels, data, pi);
      engine = gpu;
      const e = gpu.encoding;
      const rows = `rows ${e.s === 'u8' ? 'as u8 groups' : 'f32 S'} + ${e.y === 'bits' ? 'label bits' : 'f32 Y'}`;
      const adapter = kernels.adapter?.description || kernels.adapter?.device || 'adapter';
      backend = `webgpu (${adapter}; ${rows}, ${e.bytesPerRow} B/row${e.note ? `: ${e.note}` : ''})`;
    } else engine = createCpuEngine(data, pi);

    // float32 sums on the GPU cannot certify violations below ~1e-6 of N; float64 engines go to 1e-9
    const tol = opts.tol ?? (kernels?.backend === 'webgpu' ? BALANCE_DEFAULTS.tolFloat32 : BALANCE_DEFAULTS.tolFloat64);
    const names = { attributes: enc.attributeNames, labels: enc.labelNames };
    const stream = opts.solver === 'stream' ? data : undefined;
    const d = await driveBalance(engine, opts, { pi, tol, names, stream });
    const { res, eta, before, after } = d;
    const q = d.q ?? (res.status === 'infeasible' ? new Float64Array(data.n) : await engine.q(res.W, res.mu, eta));
    const zeroW = new Float64Array(m * (c + 1));

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
          ...combinedReport(enc),
        },
        options: optionsReport(opts, { eta, pi, path: wantRows ? 'rows' : 'patterns', backend }),
        solver: d.solver,
        kept,
        bias,
        timeMs: performance.now() - t0,
      },
    };
    checkFeasible(result.report, opts);
    return result;
  } finally {
    engine!?.dispose();
    if (ownKernels) kernels?.destroy();
  }
}
