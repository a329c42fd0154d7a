import {
  BALANCE_CLI_LABELS,
  BALANCE_OPTION_DECLS,
  balanceFile,
  declAttribute,
  formatBiasReport,
  resolveBalanceOptions,
  type BalanceReport,
} from '@m4kit/sdk/node';
import { runScale, type ScaleCliOptions } from './balance-scale.js';
import { pickEngine } from './engine.js';
import { auditEngineChoice } from './balance-audit.js';
import { balanceExit } from './guard.js';

/** Balance flags as commander hands them over: option values stay strings, checked by `resolveBalanceOptions`. */
export interface BalanceCliOptions extends ScaleCliOptions {
  attributes?: string[];
  labels?: string[];
  utility?: string;
  id?: string;
  counts?: string;
  eta?: string;
  pi?: string;
  epsRep?: string;
  epsAssoc?: string;
  soft?: string;
  solver?: string;
  method?: string;
  polish?: string;
  tolerance?: string;
  tol?: string;
  maxIter?: string;
  seed?: string;
  missing?: string;
  combine?: string;
  marginal?: boolean;
  backend?: string;
  path?: string;
  out?: string;
  report?: string;
  json?: boolean;
  progress: boolean;
  lowMemory?: boolean;
  /** groups differing only invisibly (or a group "null") are an error, not a warning */
  strict?: boolean;
  encoding?: 'utf-8' | 'latin1';
}

/** Option keys → the flags users typed, for error messages (from the SDK's option declarations). */
export const BALANCE_FLAGS = BALANCE_CLI_LABELS;

/** The resolver's input from commander's values: each declared option under its flag's attribute name. */
function declaredInput(o: BalanceCliOptions): Record<string, unknown> {
  const v = o as unknown as Record<string, unknown>;
  return Object.fromEntries(BALANCE_OPTION_DECLS.map((d) => [d.key, v[declAttribute(d)]]));
}

/** The per-group lines' columns (RB/AB and the tolerances are spelled out by formatBiasReport's own legend). */
export const BIAS_LEGEND = [
  '  R and C: RB and AB per group and per group × label, before → after; share = P(group);',
  "  P(group|·) = the group's share among the rows with that label. Exit codes: 0 ok, 2 bad input, 3 infeasible, 4 stopped at --max-iter.",
];

/**
 * "kept K of N rows": N counts the rows the balance saw (the rows dropped for missing values are not among them),
 * the same N as the bias report's "… of N expected"; a counts table says its rows are patterns.
 */
export function keptLine(r: BalanceReport): string {
  const seen = r.input.rows - r.input.dropped;
  const counted = r.bias.summary.sizeBefore;
  const dropped = r.input.dropped ? `; the ${r.input.dropped} rows dropped for missing values are not kept` : '';
  return Math.abs(counted - seen) > 0.5
    ? `  kept ${r.kept} of ${seen} rows of the counts table (seed ${r.options.seed}; ${counted} counted rows)${dropped}`
    : `  kept ${r.kept} of ${seen} rows (seed ${r.options.seed})${dropped}`;
}

export function formatSummary(file: string, r: BalanceReport, out?: string, reportPath?: string): string {
  const s = r.solver;
  const lines = [
    `m4kit balance — ${file}`,
    `  rows ${r.input.rows}${r.input.dropped ? ` (${r.input.dropped} dropped: missing values)` : ''}, ${r.input.patterns} patterns, groups [${r.input.attributes.join(', ')}], ${r.input.labels.length} labels`,
    `  path ${r.options.path} on ${r.options.backend}; η ${r.options.eta.toFixed(4)}` +
      `${r.options.etaRequested === 'auto' ? ' (auto)' : ''}, π [${r.options.pi.map((x) => x.toFixed(3)).join(', ')}], ` +
      `ε_R ${r.options.epsRep}, ε_A ${r.options.epsAssoc} (tolerance ${r.options.tolerance})` +
      `${r.options.softPenalty !== null ? `, soft ${r.options.softPenalty}` : ''}`,
    `  solver ${r.options.solver}: ${s.status}${s.converged ? ', converged' : ''} in ${s.iterations} iterations, ${s.timeMs.toFixed(0)} ms; keep rate ${s.keepRate.toFixed(4)}, max violation ${s.maxViolation.toExponential(2)}`,
  ];
  if (s.method) {
    const gap = Number.isFinite(s.dualityGap) ? s.dualityGap.toExponential(2) : 'n/a';
    lines.push(
      `  method ${s.method}: ${s.passes} passes` +
        `${s.hessianPasses ? ` + ${s.hessianPasses} Hessian passes` : ''}, duality gap ${gap}` +
        `${s.note ? ` (${s.note})` : ''}`,
    );
  }
  if (s.maxFeasibleEta !== undefined) lines.push(`  largest feasible η ${s.maxFeasibleEta.toFixed(4)}`);
  if (s.status === 'infeasible') {
    lines.push(
      `  INFEASIBLE at η ${r.options.eta}: lower --eta (≤ ${s.maxFeasibleEta?.toFixed(4)}), use --eta auto, loosen --eps-rep/--eps-assoc, or use soft constraints (--soft V).`,
    );
    return lines.join('\n');
  }
  lines.push(keptLine(r), '', formatBiasReport(r.bias), '', ...BIAS_LEGEND);
  if (out) lines.push('', `  wrote ${out}`);
  if (reportPath) lines.push(`  wrote ${reportPath}`);
  return lines.join('\n');
}

/** stderr line: how several attribute columns were combined */
export function combinedLine(mode: string, columns: string[], groups: string[]): string {
  const shown = groups.length > 6 ? [...groups.slice(0, 6), '…'] : groups;
  return mode === 'intersection'
    ? `m4kit: attribute columns ${columns.join(' × ')} crossed: ${groups.length} groups ${shown.join(', ')}`
    : `m4kit: attribute columns ${columns.join(', ')} balanced each on its own (marginal): ${shown.join(', ')}`;
}

export async function runBalance(input: string, o: BalanceCliOptions): Promise<void> {
  if (!o.attributes?.length)
    throw Object.assign(new Error('--attributes is required (e.g. -a gender)'), { code: 'E_ARGUMENT' });
  if (!o.labels?.length)
    throw Object.assign(new Error('--labels is required (e.g. -l occupation)'), { code: 'E_ARGUMENT' });
  if (o.marginal && o.combine !== undefined && o.combine !== 'marginal')
    throw Object.assign(new Error(`--marginal contradicts --combine ${o.combine}`), { code: 'E_ARGUMENT' });
  const opts = resolveBalanceOptions(
    {
      ...declaredInput(o),
      combine: o.marginal ? 'marginal' : o.combine,
      // the summary names the largest feasible η and the command exits 3 (guard.ts)
      onInfeasible: 'return',
      // an unconverged run writes its output, prints the summary and exits 4 (guard.ts balanceExit)
      onNotConverged: 'return',
    },
    BALANCE_FLAGS,
  );
  const { engine, why } = pickEngine(input, o, opts);
  auditEngineChoice(o, engine, why);
  if (engine === 'duckdb' || o.emitSql) {
    // --engine duckdb / --emit-sql (balance-scale.ts); the SQL goes to stdout, so the summary goes to stderr
    const { attributes, labels, utility, id, counts } = o;
    const spec = {
      attributes,
      labels,
      utility,
      id,
      counts,
      missing: opts.missing,
      combine: opts.combine,
      strict: o.strict,
    };
    const scale = { ...o, engine };
    const r = await runScale(input, spec, scale, { ...opts, out: o.out, reportPath: o.report, lowMemory: o.lowMemory });
    if (!r) return;
    for (const w of r.warnings ?? []) console.error(`m4kit: warning: ${w}`);
    const out = r.solver.status === 'infeasible' ? undefined : o.out;
    const text = o.json ? JSON.stringify({ file: input, ...r }, null, 2) : formatSummary(input, r, out, o.report);
    if (o.emitSql) console.error(text);
    else console.log(text);
    process.exitCode = balanceExit(r.solver);
    return;
  }
  const showBar = o.progress && !o.json && process.stderr.isTTY;
  // cli-progress is loaded only when a bar is drawn (a terminal): ~10 ms of every piped or --json run's start
  const cliProgress = showBar ? (await import('cli-progress')).default : null;
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        { format: ' {stage} |{bar}| {value}/{total} {info}', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  const { result, encoded } = await balanceFile(
    input,
    {
      attributes: o.attributes,
      labels: o.labels,
      utility: o.utility,
      id: o.id,
      counts: o.counts,
      missing: opts.missing,
      combine: opts.combine,
      strict: o.strict,
    },
    {
      ...opts,
      out: o.out,
      reportPath: o.report,
      lowMemory: o.lowMemory,
      read: {
        encoding: o.encoding,
        onRows: (n) =>
          bar &&
          (started
            ? bar.update(0, { stage: 'read', info: `${n} rows` })
            : (bar.start(1, 0, { stage: 'read', info: `${n} rows` }), (started = true))),
      },
      onProgress: (p) => {
        if (!bar) return;
        if (!started) {
          bar.start(p.maxIter, 0, { stage: p.stage, info: '' });
          started = true;
        }
        bar.setTotal(p.maxIter);
        bar.update(p.iter, {
          stage: p.stage,
          info: Number.isFinite(p.violation) ? `violation ${p.violation.toExponential(1)}` : '',
        });
      },
    },
  );
  bar?.stop();
  const combined = encoded.columns?.combined;
  if (combined) console.error(combinedLine(combined.mode, combined.columns, encoded.attributeNames));
  for (const c of [...(combined ? [] : (encoded.columns?.attributes ?? [])), ...(encoded.columns?.labels ?? [])]) {
    if (c.kind === 'numeric') continue;
    const names = c.names.length > 8 ? [...c.names.slice(0, 8), '…'] : c.names;
    console.error(
      `m4kit: ${c.role} column "${c.column}" read as ${c.kind}: ${c.kind === 'boolean' ? 'yes/true/y → 1, no/false/n → 0' : `${c.names.length} indicators ${names.join(', ')}`}`,
    );
  }
  const r = result.report;
  for (const w of r.warnings ?? []) console.error(`m4kit: warning: ${w}`);
  if (o.json) console.log(JSON.stringify({ file: input, ...r }, null, 2));
  else console.log(formatSummary(input, r, r.solver.status === 'infeasible' ? undefined : o.out, o.report));
  process.exitCode = balanceExit(r.solver);
}
