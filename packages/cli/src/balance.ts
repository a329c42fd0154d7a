import { balanceFile, formatBiasReport, type BalanceReport } from '@m4kit/sdk/node';
import cliProgress from 'cli-progress';

export interface BalanceCliOptions {
  attributes?: string[];
  labels?: string[];
  utility?: string;
  id?: string;
  counts?: string;
  eta: string;
  pi?: string;
  epsRep: number;
  epsAssoc: number;
  soft?: number;
  solver: 'batch' | 'stream';
  method?: 'auto' | 'newton' | 'first-order';
  polish?: number;
  tol?: number;
  maxIter?: number;
  seed: number;
  missing: 'error' | 'drop' | 'category';
  backend: 'auto' | 'webgpu' | 'cpu';
  path: 'auto' | 'patterns' | 'rows';
  out?: string;
  report?: string;
  json?: boolean;
  progress: boolean;
  lowMemory?: boolean;
}

function parsePi(s: string | undefined): number[] | Record<string, number> | undefined {
  if (!s) return undefined;
  const parts = s.split(',').map((x) => x.trim());
  if (parts.every((p) => p.includes('='))) {
    return Object.fromEntries(parts.map((p) => {
      const [k, v] = p.split('=');
      const x = Number(v);
      if (!Number.isFinite(x)) throw Object.assign(new Error(`--pi: "${p}" is not name=number`), { code: 'E_ARGUMENT' });
      return [k.trim(), x];
    }));
  }
  return parts.map((p) => {
    const x = Number(p);
    if (!Number.isFinite(x)) throw Object.assign(new Error(`--pi: "${p}" is not a number`), { code: 'E_ARGUMENT' });
    return x;
  });
}

export function formatSummary(file: string, r: BalanceReport, out?: string, reportPath?: string): string {
  const s = r.solver;
  const lines = [
    `m4kit balance — ${file}`,
    `  rows ${r.input.rows}${r.input.dropped ? ` (${r.input.dropped} dropped: missing values)` : ''}, ${r.input.patterns} patterns, groups [${r.input.attributes.join(', ')}], ${r.input.labels.length} labels`,
    `  path ${r.options.path} on ${r.options.backend}; η ${r.options.eta.toFixed(4)}${r.options.etaRequested === 'auto' ? ' (auto)' : ''}, π [${r.options.pi.map((x) => x.toFixed(3)).join(', ')}], ε_R ${r.options.epsRep}, ε_A ${r.options.epsAssoc}${r.options.V !== null ? `, V ${r.options.V}` : ''}`,
    `  solver ${r.options.solver}: ${s.status}${s.converged && s.status !== 'approximate' ? ', converged' : ''}` +
      ` in ${s.iterations} iterations, ${s.timeMs.toFixed(0)} ms; keep rate ${s.keepRate.toFixed(4)},` +
      ` max violation ${s.maxViolation.toExponential(2)}`,
    `  method ${s.method}: ${s.passes} moment passes${s.hessianPasses ? `, ${s.hessianPasses} Hessian passes` : ''}` +
      `; duality gap ${s.dualityGap.toExponential(2)}${s.note ? ` (${s.note})` : ''}`,
  ];
  if (s.violations) {
    const v = s.violations;
    const worst = Math.max(0, ...v.upper, ...v.lower).toExponential(2);
    const eq = v.keepRate.toExponential(2);
    lines.push(`  measured violations: mean q − η ${eq}, moments ≤ ${worst} (report: solver.violations)`);
  }
  if (s.maxFeasibleEta !== undefined) lines.push(`  largest feasible η ${s.maxFeasibleEta.toFixed(4)}`);
  if (s.status === 'infeasible') {
    lines.push(`  INFEASIBLE at η ${r.options.eta}: lower --eta (≤ ${s.maxFeasibleEta?.toFixed(4)}), use --eta auto, loosen --eps-rep/--eps-assoc, or use soft constraints (--soft V).`);
    return lines.join('\n');
  }
  lines.push(`  kept ${r.kept} of ${r.input.rows} rows (seed ${r.options.seed})`, '', formatBiasReport(r.bias));
  if (out) lines.push('', `  wrote ${out}`);
  if (reportPath) lines.push(`  wrote ${reportPath}`);
  return lines.join('\n');
}

export async function runBalance(input: string, o: BalanceCliOptions): Promise<void> {
  if (!o.attributes?.length) throw Object.assign(new Error('--attributes is required (e.g. -a gender)'), { code: 'E_ARGUMENT' });
  if (!o.labels?.length) throw Object.assign(new Error('--labels is required (e.g. -l occupation)'), { code: 'E_ARGUMENT' });
  const eta = o.eta === 'auto' ? 'auto' : Number(o.eta);
  if (eta !== 'auto' && !Number.isFinite(eta)) throw Object.assign(new Error(`--eta must be a number or "auto", got "${o.eta}"`), { code: 'E_ARGUMENT' });
  const showBar = o.progress && !o.json && process.stderr.isTTY;
  const bar = showBar ? new cliProgress.SingleBar({ format: ' {stage} |{bar}| {value}/{total} {info}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  const { result } = await balanceFile(
    input,
    { attributes: o.attributes, labels: o.labels, utility: o.utility, id: o.id, counts: o.counts, missing: o.missing },
    {
      eta,
      pi: parsePi(o.pi),
      epsRep: o.epsRep,
      epsAssoc: o.epsAssoc,
      V: o.soft,
      solver: o.solver,
      method: o.method,
      polish: o.polish,
      tol: o.tol,
      maxIter: o.maxIter,
      seed: o.seed,
      backend: o.backend,
      path: o.path,
      out: o.out,
      reportPath: o.report,
      lowMemory: o.lowMemory,
      read: { onRows: (n) => bar && (started ? bar.update(0, { stage: 'read', info: `${n} rows` }) : (bar.start(1, 0, { stage: 'read', info: `${n} rows` }), (started = true))) },
      onProgress: (p) => {
        if (!bar) return;
        if (!started) {
          bar.start(p.maxIter, 0, { stage: p.stage, info: '' });
          started = true;
        }
        bar.setTotal(p.maxIter);
        bar.update(p.iter, { stage: p.stage, info: Number.isFinite(p.violation) ? `violation ${p.violation.toExponential(1)}` : '' });
      },
    },
  );
  bar?.stop();
  const r = result.report;
  if (o.json) console.log(JSON.stringify({ file: input, ...r }, null, 2));
  else console.log(formatSummary(input, r, r.solver.status === 'infeasible' ? undefined : o.out, o.report));
  process.exitCode = r.solver.status === 'infeasible' ? 3 : 0;
}
