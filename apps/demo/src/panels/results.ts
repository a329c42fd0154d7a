// Results panel: the summary and per-group tables (cells keyed by their report path), the charts, downloads.
import type { BalanceReport } from '@m4kit/sdk';
import { $, cell, fmt, headerRow, save, showError, stem } from '../dom';
import { plotAssociation, plotKeep, plotRepresentation, plotShares } from '../plots';
import type { BalanceDone } from '../protocol';
import { client, store } from '../store';

export function renderResults(d: BalanceDone): void {
  const r = d.report;
  $('results').hidden = false;
  const s = r.solver;
  $('result-summary').textContent =
    s.status === 'infeasible'
      ? `Infeasible at η = ${fmt(r.options.eta)}: the largest feasible keep rate is ${fmt(s.maxFeasibleEta)}. Lower η, use "auto", loosen ε, or set V (soft constraints). No weights to download.`
      : `${s.status}${s.converged ? ', converged' : ''} in ${s.iterations} iterations; engine: ${r.options.backend}. Kept ${r.kept} of ${r.input.rows} rows.`;
  for (const w of r.warnings ?? []) $('result-summary').textContent += ` Warning: ${w}.`;
  const rows: [string, string, unknown][] = [
    ['rows', 'input.rows', r.input.rows],
    ['dropped (missing values)', 'input.dropped', r.input.dropped],
    ['patterns', 'input.patterns', r.input.patterns],
    ['groups', 'input.attributes', r.input.attributes],
    ['engine (adapter in use)', 'options.backend', r.options.backend],
    ['path', 'options.path', r.options.path],
    ['η', 'options.eta', r.options.eta],
    ['π', 'options.pi', r.options.pi],
    ['tolerance (what ε bounds)', 'options.tolerance', r.options.tolerance],
    ['status', 'solver.status', s.status],
    ['iterations', 'solver.iterations', s.iterations],
    ['max violation', 'solver.maxViolation', s.maxViolation],
    ['largest feasible η', 'solver.maxFeasibleEta', s.maxFeasibleEta],
    ['kept rows (seeded draw)', 'kept', r.kept],
    ['keep rate Σq/N', 'bias.summary.keepRate', r.bias.summary.keepRate],
    ['RB before', 'bias.summary.rbBefore', r.bias.summary.rbBefore],
    ['RB after (balanced data, expected under q)', 'bias.summary.rbBalanced', r.bias.summary.rbBalanced],
    ['RB after, joint moment (÷ N)', 'bias.summary.rbAfter', r.bias.summary.rbAfter],
    ['RB after / η (within kept set)', 'bias.summary.rbAfterNormalized', r.bias.summary.rbAfterNormalized],
    ['AB before', 'bias.summary.abBefore', r.bias.summary.abBefore],
    ['AB after (balanced data, expected under q)', 'bias.summary.abBalanced', r.bias.summary.abBalanced],
    ['AB after, joint moment (÷ N)', 'bias.summary.abAfter', r.bias.summary.abAfter],
    ['AB after / η (within kept set)', 'bias.summary.abAfterNormalized', r.bias.summary.abAfterNormalized],
  ];
  $('summary')
    .querySelector('tbody')!
    .replaceChildren(
      ...rows.map(([label, key, v]) => {
        const tr = document.createElement('tr');
        const text = Array.isArray(v) ? v.map(fmt).join(', ') : fmt(v);
        tr.append(cell('th', label), cell('td', text, key, v));
        return tr;
      }),
      // realised by the seeded draw: shown, not keyed (a float32 GPU q moves a few keep flags)
      ...(
        [
          ['RB of the kept rows', r.bias.summary.rbKept],
          ['AB of the kept rows', r.bias.summary.abKept],
        ] as const
      ).map(([label, v]) => {
        const tr = document.createElement('tr');
        tr.append(cell('th', label), cell('td', fmt(v)));
        return tr;
      }),
    );
  // per group and label
  $('groups')
    .querySelector('thead')!
    .replaceChildren(
      headerRow(['group / label', 'target π', 'share before', 'share after', 'R or C before', 'R or C after']),
    );
  const body: HTMLTableRowElement[] = [];
  r.bias.groups.forEach((g, i) => {
    const tr = document.createElement('tr');
    tr.className = 'group';
    const k = `bias.groups.${i}`;
    tr.append(
      cell('th', g.attribute),
      cell('td', fmt(g.target), `${k}.target`, g.target),
      cell('td', fmt(g.shareBefore), `${k}.shareBefore`, g.shareBefore),
      cell('td', fmt(g.shareAfter), `${k}.shareAfter`, g.shareAfter),
      cell('td', fmt(g.rBefore), `${k}.rBefore`, g.rBefore),
      cell('td', fmt(g.rBalanced), `${k}.rBalanced`, g.rBalanced),
    );
    body.push(tr);
    g.labels.forEach((l, j) => {
      const lr = document.createElement('tr');
      const kk = `${k}.labels.${j}`;
      lr.append(
        cell('th', `  ${l.label}`),
        cell('td', ''),
        cell('td', fmt(l.condBefore), `${kk}.condBefore`, l.condBefore),
        cell('td', fmt(l.condAfter), `${kk}.condAfter`, l.condAfter),
        cell('td', fmt(l.cBefore), `${kk}.cBefore`, l.cBefore),
        cell('td', fmt(l.cBalanced), `${kk}.cBalanced`, l.cBalanced),
      );
      body.push(lr);
    });
  });
  $('groups')
    .querySelector('tbody')!
    .replaceChildren(...body);
  plotShares($('plot-share'), r);
  plotAssociation($('plot-assoc'), r);
  plotRepresentation($('plot-rb'), r);
  plotKeep($('plot-q'), d.q, d.dropped, r.options.eta);
  const infeasible = s.status === 'infeasible';
  ($('dl-weights') as HTMLButtonElement).disabled = infeasible;
}

export function initResultsPanel(): void {
  $('dl-weights').addEventListener('click', async () => {
    const last = store.get().last;
    if (!last) return;
    const format = ($('out-format') as HTMLSelectElement).value as 'csv' | 'parquet';
    try {
      const bytes = await client.call<Uint8Array>({ type: 'download', format });
      save(
        `${stem(last.name)}.balanced.${format}`,
        bytes as BlobPart,
        format === 'csv' ? 'text/csv' : 'application/vnd.apache.parquet',
      );
    } catch (e) {
      showError('balance-error', e);
    }
  });
  $('dl-report').addEventListener('click', () => {
    const last = store.get().last;
    if (!last) return;
    const report: { file: string } & BalanceReport = { file: last.name, ...last.done.report };
    save(`${stem(last.name)}.report.json`, JSON.stringify(report, null, 2), 'application/json');
  });
}
