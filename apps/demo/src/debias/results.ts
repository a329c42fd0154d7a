// The Debias tab's results, rendered from the store's last result: the summary line, the before / after table per
// attribute and method (cells keyed for the e2e test), the methods' notes and the MaxSkew chart.
import * as Plot from '@observablehq/plot';
import { $, cell, fmt, headerRow } from '../dom';
import type { DebiasDone } from './protocol';
import { store } from './store';

function renderResult(r: DebiasDone): void {
  $('db-results').hidden = false;
  const ba = r.methods.find((m) => m.id === 'ba')!;
  $('db-summary').textContent =
    `${r.name}: ${r.train.rows} training rows (D = ${r.train.dim}), ${r.eval.rows} evaluation images, ` +
    `${r.eval.prompts} bias queries, ${r.eval.classes} zero-shot classes, k = ${r.eval.k}; ` +
    (r.validation.separate
      ? `early stopping on ${r.validation.rows} separate validation images; `
      : 'no validation files: the evaluation set also served as validation (the "after" numbers are optimistic); ') +
    `${r.backend}. ` +
    `BA: ${ba.note}.`;
  const thead = $('db-table').querySelector('thead')!;
  thead.replaceChildren(headerRow(['attribute', 'measure', ...r.methods.map((m) => m.label)]));
  const rows: HTMLTableRowElement[] = [];
  const attrs = r.methods[0].perAttribute.map((a) => a.attribute);
  attrs.forEach((attr, ai) => {
    for (const [key, label] of [
      ['maxSkew', `MaxSkew@${r.eval.k}`],
      ['ndkl', `NDKL@${r.eval.k}`],
      ['able', 'ABLE'],
    ] as const) {
      const tr = document.createElement('tr');
      const th = cell('th', `${attr} (${r.methods[0].perAttribute[ai].groups.length} groups)`);
      th.title = r.methods[0].perAttribute[ai].groups.join(', ');
      tr.append(th, cell('td', label));
      for (const m of r.methods)
        tr.append(cell('td', fmt(m.perAttribute[ai][key]), `${m.id}.${attr}.${key}`, m.perAttribute[ai][key]));
      rows.push(tr);
    }
  });
  const zs = document.createElement('tr');
  zs.append(cell('th', 'all'), cell('td', 'zero-shot top-1'));
  for (const m of r.methods) zs.append(cell('td', fmt(m.top1), `${m.id}.top1`, m.top1));
  rows.push(zs);
  $('db-table')
    .querySelector('tbody')!
    .replaceChildren(...rows);
  $('db-notes').replaceChildren(
    ...r.methods.map((m) => {
      const li = document.createElement('li');
      li.textContent = `${m.label}: ${m.note}`;
      return li;
    }),
  );
  const data = r.methods.flatMap((m) =>
    m.perAttribute.map((a) => ({ method: m.label, attribute: a.attribute, maxSkew: a.maxSkew })),
  );
  const el = $('plot-db');
  el.replaceChildren(
    Plot.plot({
      width: Math.max(320, Math.min(760, el.clientWidth || 520)),
      height: 60 + 40 * r.methods.length * attrs.length,
      marginLeft: 180,
      marginRight: 70,
      x: { label: `MaxSkew@${r.eval.k} (lower is fairer)`, grid: true },
      y: { label: null, domain: r.methods.map((m) => m.label) },
      fy: { label: null },
      color: { range: ['#0072B2', '#D55E00', '#009E73', '#CC79A7'], domain: r.methods.map((m) => m.label) },
      marks: [
        Plot.barX(data, { x: 'maxSkew', y: 'method', fy: 'attribute', fill: 'method', tip: true }),
        Plot.ruleX([0]),
      ],
    }),
  );
  // for the e2e test: the result as the page holds it (the module's bytes counted, not copied)
  const g = globalThis as unknown as { __debias?: unknown };
  g.__debias = { ...r, module: { config: r.module.config, bytes: r.module.weights.length } };
}

/** No result (none yet, or a run under way): the section is hidden. */
export function initResults(): void {
  store.watch(['result'], ({ result }) => {
    if (result) renderResult(result);
    else $('db-results').hidden = true;
  });
}
