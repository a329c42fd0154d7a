// Evaluate panel: retrieval bias (MaxSkew@k, NDKL@k per query) of image embeddings ranked by query embeddings.
import { CancelledError } from '../client';
import { $, cell, fmt, headerRow, showError } from '../dom';
import { plotEval } from '../plots';
import type { EvalDone } from '../protocol';
import { client } from '../store';

function renderEval(r: EvalDone): void {
  $('eval-results').hidden = false;
  const sum = $('ev-summary');
  sum.textContent = `k = ${r.k}, groups ${r.groups.join(', ')} (dataset shares ${r.datasetShares.map(fmt).join(', ')}); mean MaxSkew@${r.k} ${fmt(r.maxSkew)}, mean NDKL@${r.k} ${fmt(r.ndkl)}; engine: ${r.backend}.`;
  sum.dataset.maxSkew = String(r.maxSkew);
  sum.dataset.ndkl = String(r.ndkl);
  $('ev-table')
    .querySelector('thead')!
    .replaceChildren(headerRow(['query', `MaxSkew@${r.k}`, `NDKL@${r.k}`, ...r.groups.map((g) => `share ${g}`)]));
  $('ev-table')
    .querySelector('tbody')!
    .replaceChildren(
      ...r.perQuery.map((p, i) => {
        const tr = document.createElement('tr');
        tr.append(
          cell('th', p.query),
          cell('td', fmt(p.maxSkew), `perQuery.${i}.maxSkew`, p.maxSkew),
          cell('td', fmt(p.ndkl), `perQuery.${i}.ndkl`, p.ndkl),
          ...p.shares.map((s) => cell('td', fmt(s))),
        );
        return tr;
      }),
    );
  plotEval($('plot-ev'), r);
}

export function initEvaluatePanel(): void {
  const evFile = (id: string) => ($(id) as HTMLInputElement).files?.[0];
  $('ev-labels').addEventListener('change', async () => {
    const f = evFile('ev-labels');
    const sel = $('ev-attribute') as HTMLSelectElement;
    sel.replaceChildren();
    showError('eval-error', null);
    if (!f) return;
    try {
      const cols = await client.call<string[]>({ type: 'columns', name: f.name, bytes: await f.arrayBuffer() });
      sel.replaceChildren(...cols.map((c) => new Option(c, c)));
    } catch (e) {
      showError('eval-error', e);
    }
  });
  $('eval-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    showError('eval-error', null);
    const images = evFile('ev-images');
    const queries = evFile('ev-queries');
    const labels = evFile('ev-labels');
    const names = evFile('ev-names');
    const attribute = ($('ev-attribute') as HTMLSelectElement).value;
    const k = Number(($('ev-k') as HTMLInputElement).value);
    if (!images || !queries || !labels)
      return showError(
        'eval-error',
        new Error('choose the image embeddings, the query embeddings and the labels table'),
      );
    if (!attribute) return showError('eval-error', new Error('choose the attribute column'));
    if (!(Number.isInteger(k) && k >= 1))
      return showError(
        'eval-error',
        new Error(`k must be a positive integer, got "${($('ev-k') as HTMLInputElement).value}"`),
      );
    const file = async (f: File) => ({ name: f.name, bytes: await f.arrayBuffer() });
    $('ev-status').textContent = 'Ranking…';
    ($('ev-run') as HTMLButtonElement).disabled = true;
    try {
      const r = await client.call<EvalDone>({
        type: 'eval',
        req: {
          images: await file(images),
          queries: await file(queries),
          labels: await file(labels),
          queryNames: names ? await file(names) : undefined,
          attribute,
          k,
          backend: ($('backend') as HTMLSelectElement).value as 'auto',
        },
      });
      $('ev-status').textContent = 'Done.';
      renderEval(r);
    } catch (err) {
      $('ev-status').textContent = 'Failed.';
      if (!(err instanceof CancelledError)) showError('eval-error', err);
    } finally {
      ($('ev-run') as HTMLButtonElement).disabled = false;
    }
  });
}
